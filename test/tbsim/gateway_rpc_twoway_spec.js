'use strict';
// Server-side RPC and shared attributes for devices behind a gateway (reference §4.4, §9.2; AbstractGatewaySessionHandler,
// AbstractGatewayDeviceSessionContext, JsonConverter.toGatewayJson / getJsonObjectForGateway): pushes go only to the
// gateway session that connected the device, and a reconnected gateway must connect its devices again (issue #8719).
const assert = require('assert');
const fs = require('fs');
const { startTbsim, tempDir, curl, adminAuth, x509Device, connectMqtt, waitFor, publish, end, connectedRaw, waitPacket } = require('./support');

function subscribe(client, topic, qos = 1) {
    return new Promise((resolve, reject) => client.subscribe(topic, { qos }, (err, granted) => (err ? reject(err) : resolve(granted))));
}

function received(client, topic) {
    return client.seen.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload));
}

describe('tbsim gateway RPC and attributes (two-way)', function () {
    let sim;
    let dir;
    let auth;
    const clients = [];
    let n = 0;

    const rest = (method, path, body) => curl(sim, method, path, { auth, body });

    async function gatewayDevice(name) {
        return x509Device(sim, dir, `${name}-${++n}`, { gateway: true });
    }
    async function gatewayOnline(gw, topics = ['v1/gateway/rpc', 'v1/gateway/attributes', 'v1/gateway/attributes/response']) {
        const { client, connack } = await connectMqtt(sim, { cert: gw.cert });
        assert.ok(connack, 'gateway connected');
        clients.push(client);
        for (const t of topics) await subscribe(client, t);
        return client;
    }
    async function announce(client, device) {
        const { err } = await publish(client, 'v1/gateway/connect', JSON.stringify({ device }));
        assert.ifError(err);
        return sim.findDeviceByName(device).id;
    }
    /** Answers every v1/gateway/rpc request with {"device","id","data"}; `data` is made from the request. */
    function answerRpc(client, data) {
        client.on('message', (topic, payload) => {
            if (topic !== 'v1/gateway/rpc') return;
            const req = JSON.parse(payload);
            client.publish('v1/gateway/rpc', JSON.stringify({ device: req.device, id: req.data.id, data: data(req) }), { qos: 1 });
        });
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim({ serverSideRpcMinTimeoutMs: 300 });
        auth = await adminAuth(sim);
    });
    afterEach(async function () {
        for (const c of clients.splice(0)) await end(c);
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('pushes {"device","data":{"id","method","params"}} on v1/gateway/rpc and answers REST with the reply\'s data', async function () {
        const gw = await gatewayDevice('gw-rpc');
        const client = await gatewayOnline(gw);
        const id = await announce(client, 'Pump 1');
        answerRpc(client, (req) => ({ ok: true, echo: req.data.params }));
        const res = await rest('POST', `/api/rpc/twoway/${id}`, { method: 'setSpeed', params: { rpm: 1200 } });
        assert.strictEqual(res.status, 200, res.text);
        assert.deepStrictEqual(res.body, { ok: true, echo: { rpm: 1200 } });
        const [push] = received(client, 'v1/gateway/rpc');
        assert.deepStrictEqual(Object.keys(push), ['device', 'data']);
        assert.deepStrictEqual(Object.keys(push.data), ['id', 'method', 'params']);
        assert.deepStrictEqual({ device: push.device, method: push.data.method, params: push.data.params }, {
            device: 'Pump 1',
            method: 'setSpeed',
            params: { rpm: 1200 },
        });
        assert.strictEqual(typeof push.data.id, 'number');
    });

    it('delivers only to the gateway session that connected the device', async function () {
        const gwA = await gatewayDevice('gw-a');
        const gwB = await gatewayDevice('gw-b');
        const a = await gatewayOnline(gwA);
        const b = await gatewayOnline(gwB);
        const valveId = await announce(a, 'Valve A');
        await announce(b, 'Valve B');
        answerRpc(a, () => 'from A');
        answerRpc(b, () => 'from B');
        const res = await rest('POST', `/api/rpc/twoway/${valveId}`, { method: 'open', params: {} });
        assert.deepStrictEqual([res.status, res.body], [200, 'from A']);
        await rest('POST', `/api/plugins/telemetry/DEVICE/${valveId}/SHARED_SCOPE`, { setpoint: 5 });
        await waitFor(() => received(a, 'v1/gateway/attributes').length === 1, 5000, 'attribute push to A');
        assert.deepStrictEqual(received(a, 'v1/gateway/attributes'), [{ device: 'Valve A', data: { setpoint: 5 } }]);
        assert.deepStrictEqual(received(b, 'v1/gateway/rpc'), []);
        assert.deepStrictEqual(received(b, 'v1/gateway/attributes'), []);
    });

    it('delivers nothing after a reconnect until the gateway connects the device again', async function () {
        const gw = await gatewayDevice('gw-reconnect');
        const first = await gatewayOnline(gw);
        const id = await announce(first, 'Meter 1');
        await end(first);
        await waitFor(() => sim.pushSubscribers(id).rpc === 0, 5000, 'the old session gone');

        const second = await gatewayOnline(gw);
        answerRpc(second, () => ({ n: 2 }));
        const before = await rest('POST', `/api/plugins/rpc/twoway/${id}`, { method: 'read', params: {}, timeout: 100 });
        assert.strictEqual(before.status, 409, 'no active connection: not announced on this session');
        assert.deepStrictEqual(received(second, 'v1/gateway/rpc'), []);

        await announce(second, 'Meter 1');
        const after = await rest('POST', `/api/plugins/rpc/twoway/${id}`, { method: 'read', params: {} });
        assert.deepStrictEqual([after.status, after.body], [200, { n: 2 }]);
    });

    it('stops pushes for a device the gateway disconnected (v1/gateway/disconnect)', async function () {
        const gw = await gatewayDevice('gw-disconnect');
        const client = await gatewayOnline(gw);
        const id = await announce(client, 'Lamp 1');
        assert.deepStrictEqual(sim.pushSubscribers(id), { rpc: 1, attributes: 1, pendingRpc: 0 });
        await publish(client, 'v1/gateway/disconnect', JSON.stringify({ device: 'Lamp 1' }));
        const res = await rest('POST', `/api/plugins/rpc/oneway/${id}`, { method: 'on', params: {}, timeout: 100 });
        assert.strictEqual(res.status, 409);
        assert.deepStrictEqual(sim.pushSubscribers(id), { rpc: 0, attributes: 0, pendingRpc: 0 });
    });

    it('connects a device by its first telemetry as well, and pushes without any SUBSCRIBE to the gateway topics', async function () {
        const gw = await gatewayDevice('gw-nosub');
        const client = await gatewayOnline(gw, []);
        await publish(client, 'v1/gateway/telemetry', JSON.stringify({ 'Sensor 9': [{ t: 1 }] }));
        const id = sim.findDeviceByName('Sensor 9').id;
        const res = await rest('POST', `/api/rpc/oneway/${id}`, { method: 'ping', params: 'now' });
        assert.strictEqual(res.status, 200, res.text);
        await waitFor(() => received(client, 'v1/gateway/rpc').length === 1, 5000, 'the push');
        assert.deepStrictEqual(received(client, 'v1/gateway/rpc')[0].data.params, 'now');
    });

    it('pushes deleted shared attributes as {"device","data":{"deleted":[…]}}', async function () {
        const gw = await gatewayDevice('gw-attr-delete');
        const client = await gatewayOnline(gw);
        const id = await announce(client, 'Heater 1');
        await rest('POST', `/api/plugins/telemetry/DEVICE/${id}/attributes/SHARED_SCOPE`, { a: 1, b: true });
        await rest('DELETE', `/api/plugins/telemetry/DEVICE/${id}/SHARED_SCOPE?keys=b`);
        await waitFor(() => received(client, 'v1/gateway/attributes').length === 2, 5000, 'two pushes');
        assert.deepStrictEqual(received(client, 'v1/gateway/attributes'), [
            { device: 'Heater 1', data: { a: 1, b: true } },
            { device: 'Heater 1', data: { deleted: ['b'] } },
        ]);
    });

    it('answers v1/gateway/attributes/request with "value" for one key, "values" for several, neither when none is found', async function () {
        const gw = await gatewayDevice('gw-attr-request');
        const client = await gatewayOnline(gw);
        const id = await announce(client, 'Boiler 1');
        await publish(client, 'v1/gateway/attributes', JSON.stringify({ 'Boiler 1': { model: 'B7', serial: 9 } }));
        await rest('POST', `/api/plugins/telemetry/DEVICE/${id}/SHARED_SCOPE`, { target: 60, mode: 'eco' });
        const requests = [
            { id: 1, device: 'Boiler 1', client: false, key: 'target' },
            { id: 2, device: 'Boiler 1', client: false, keys: ['target', 'mode'] },
            { id: 3, device: 'Boiler 1', client: true, key: 'model' },
            { id: 4, device: 'Boiler 1', client: true, keys: ['model', 'missing'] },
            { id: 5, device: 'Boiler 1', client: false, key: 'model' },
        ];
        for (const r of requests) {
            const { err } = await publish(client, 'v1/gateway/attributes/request', JSON.stringify(r));
            assert.ifError(err);
        }
        await waitFor(() => received(client, 'v1/gateway/attributes/response').length === requests.length, 5000, 'all answers');
        const byId = Object.fromEntries(received(client, 'v1/gateway/attributes/response').map((m) => [m.id, m]));
        assert.deepStrictEqual(byId, {
            1: { id: 1, device: 'Boiler 1', value: 60 },
            2: { id: 2, device: 'Boiler 1', values: { target: 60, mode: 'eco' } },
            3: { id: 3, device: 'Boiler 1', value: 'B7' },
            4: { id: 4, device: 'Boiler 1', values: { model: 'B7' } },
            5: { id: 5, device: 'Boiler 1' },
        });
    });

    it('closes the gateway session on a malformed RPC reply (PUBACK 0x83 on MQTT 5)', async function () {
        const gw = await gatewayDevice('gw-bad-reply');
        const session = await connectedRaw(sim, { protocolVersion: 5, cert: gw.cert });
        session.send({ cmd: 'publish', topic: 'v1/gateway/rpc', payload: Buffer.from(JSON.stringify({ device: 'X', data: {} })), qos: 1, messageId: 3, retain: false, dup: false });
        const ack = await waitPacket(session, (p) => p.cmd === 'puback' && p.messageId === 3, 'PUBACK');
        assert.strictEqual(ack.reasonCode, 0x83);
        await session.closedPromise;
    });

    it('before 3.7 leaves a reply without "id" unanswered (no PUBACK) and the session open', async function () {
        const old = await startTbsim({ tbVersion: '3.6.4' });
        const session = await connectedRaw(old, { protocolVersion: 4, cert: (await x509Device(old, dir, 'gw-36', { gateway: true })).cert });
        try {
            const send = (messageId, topic, body) =>
                session.send({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, messageId, retain: false, dup: false });
            send(3, 'v1/gateway/rpc', { device: 'Old X', data: {} });
            send(4, 'v1/gateway/telemetry', { 'Old X': [{ t: 1 }] }); // answered in order: once 4 is acked, 3 never will be
            await waitPacket(session, (p) => p.cmd === 'puback' && p.messageId === 4, 'PUBACK of the telemetry');
            assert.deepStrictEqual(session.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId), [4]);
            assert.strictEqual(session.closed, false);
        } finally {
            session.socket.destroy();
            await old.stop();
        }
    });
});
