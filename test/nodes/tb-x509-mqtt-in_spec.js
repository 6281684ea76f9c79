'use strict';
// tb-x509-mqtt-in in a Node-RED flow against the ThingsBoard stand-in: a two-way RPC made through the
// REST API is answered by the flow (tb-x509-mqtt-out target rpc-response), also after the server
// kicked the session; shared-attribute updates reach the flow; a gateway's devices get their RPC,
// also after a reconnect; malformed pushes arrive as text; replies without their ids fail.
const assert = require('assert');
const { helper, nodes, coreNode } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { selfSigned, useSimAndNodeRed, simRest } = require('../provision/support');

const catchNode = coreNode('core/common/25-catch.js');
const functionNode = coreNode('core/function/10-function.js');

const waitFor = (predicate, timeoutMs = 15000) => pollUntil(predicate, timeoutMs);

async function registerDevice(sim, name, certPem, additionalInfo) {
    const res = await simRest(sim, 'POST', '/api/device-with-credentials', {
        device: { name, type: 'default', ...(additionalInfo ? { additionalInfo } : {}) },
        credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: certPem },
    });
    assert.strictEqual(res.status, 200, JSON.stringify(res.body));
    return res.body.id.id;
}

function onTab(flow) {
    return flow.map((n) => (n.z ? { x: 100, y: 100, ...n } : n));
}

describe('tb-x509-mqtt-in against tbsim', function () {
    this.timeout(60000);
    let sim, dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-mqtt-in-', simOptions: { serverSideRpcMinTimeoutMs: 300 } });

    /** cfg + in (→ helper `got`, and → `logic` → out when `reply` is a function body) + catch on out → `caught`. */
    async function load(identity, { mode = 'rpc', reply, outTarget = 'rpc-response', extra = [] } = {}) {
        const flow = onTab([
            { id: 'tab', type: 'tab' },
            { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort) },
            { id: 'in', z: 'tab', type: 'tb-x509-mqtt-in', config: 'cfg', mode, wires: [reply ? ['got', 'logic'] : ['got']] },
            { id: 'got', z: 'tab', type: 'helper' },
            ...(reply ? [{ id: 'logic', z: 'tab', type: 'function', func: reply, outputs: 1, wires: [['out']] }] : []),
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: outTarget, qos: '1', key: '', queueSize: '1000' },
            { id: 'catch', z: 'tab', type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', type: 'helper' },
            ...extra,
        ]);
        const credentials = { cfg: { ca: sim.caPem, cert: identity.certPem, key: identity.keyPem } };
        await helper.load([nodes.config, nodes.mqttIn, nodes.mqttOut, catchNode, functionNode], flow, credentials);
        const got = [];
        const caught = [];
        const statuses = [];
        helper.getNode('got').on('input', (msg) => got.push(msg));
        helper.getNode('caught').on('input', (msg) => caught.push(msg));
        helper.getNode('in').on('call:status', (call) => statuses.push(call.args[0]));
        return { got, caught, statuses, out: helper.getNode('out') };
    }

    const rpc = (deviceId, body) => simRest(sim, 'POST', `/api/rpc/twoway/${deviceId}`, { timeout: 5000, ...body });

    it('answers a two-way RPC made through the REST API, again after the server kicked the session, without a redeploy', async function () {
        const id = selfSigned(dir, 'in-rpc-1');
        const deviceId = await registerDevice(sim, 'in-rpc-1', id.certPem);
        const { got, caught, statuses } = await load(id, {
            reply: 'msg.payload = { valve: msg.payload.open ? "open" : "closed", method: msg.method }; return msg;',
        });
        await waitFor(() => sim.pushSubscribers(deviceId).rpc === 1);
        assert.deepStrictEqual(statuses.find((s) => s.text === 'connected'), { fill: 'green', shape: 'dot', text: 'connected' });

        const first = await rpc(deviceId, { method: 'setValve', params: { open: true } });
        assert.strictEqual(first.status, 200, JSON.stringify(first.body));
        assert.deepStrictEqual(first.body, { valve: 'open', method: 'setValve' });
        assert.strictEqual(got.length, 1);
        assert.strictEqual(got[0].method, 'setValve');
        assert.deepStrictEqual(got[0].payload, { open: true });
        assert.strictEqual(typeof got[0].requestId, 'number');
        assert.strictEqual(got[0].topic, `v1/devices/me/rpc/response/${got[0].requestId}`);

        const sessionsBefore = sim.sessions().filter((s) => s.deviceId === deviceId).length;
        sim.kick(deviceId);
        await waitFor(() => sim.pushSubscribers(deviceId).rpc === 0);
        await waitFor(() => sim.pushSubscribers(deviceId).rpc === 1);
        assert.strictEqual(sim.sessions().filter((s) => s.deviceId === deviceId).length, sessionsBefore, 'one session again');

        const second = await rpc(deviceId, { method: 'setValve', params: { open: false } });
        assert.strictEqual(second.status, 200, JSON.stringify(second.body));
        assert.deepStrictEqual(second.body, { valve: 'closed', method: 'setValve' });
        assert.deepStrictEqual(caught, []);
    });

    it('opens the connection by itself when no tb-x509-mqtt-out uses the config', async function () {
        const id = selfSigned(dir, 'in-alone');
        const deviceId = await registerDevice(sim, 'in-alone', id.certPem);
        const flow = onTab([
            { id: 'tab', type: 'tab' },
            { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort) },
            { id: 'in', z: 'tab', type: 'tb-x509-mqtt-in', config: 'cfg', mode: 'attributes', wires: [['got']] },
            { id: 'got', z: 'tab', type: 'helper' },
        ]);
        await helper.load([nodes.config, nodes.mqttIn], flow, { cfg: { ca: sim.caPem, cert: id.certPem, key: id.keyPem } });
        const got = [];
        helper.getNode('got').on('input', (msg) => got.push(msg));
        await waitFor(() => sim.pushSubscribers(deviceId).attributes === 1);
        const res = await simRest(sim, 'POST', `/api/plugins/telemetry/DEVICE/${deviceId}/SHARED_SCOPE`, { interval: 5 });
        assert.strictEqual(res.status, 200);
        await waitFor(() => got.length === 1);
        assert.deepStrictEqual(got[0].payload, { interval: 5 });
    });

    it('emits shared-attribute updates and deletions', async function () {
        const id = selfSigned(dir, 'in-attr');
        const deviceId = await registerDevice(sim, 'in-attr', id.certPem);
        const { got } = await load(id, { mode: 'attributes' });
        await waitFor(() => sim.pushSubscribers(deviceId).attributes === 1);
        await simRest(sim, 'POST', `/api/plugins/telemetry/DEVICE/${deviceId}/SHARED_SCOPE`, { interval: 10, mode: 'eco' });
        await waitFor(() => got.length === 1);
        assert.deepStrictEqual(got[0].payload, { interval: 10, mode: 'eco' });
        assert.strictEqual(got[0].deleted, undefined);
        await simRest(sim, 'DELETE', `/api/plugins/telemetry/DEVICE/${deviceId}/SHARED_SCOPE?keys=mode`);
        await waitFor(() => got.length === 2);
        assert.deepStrictEqual(got[1].deleted, ['mode']);
        assert.deepStrictEqual(got[1].payload, {});
    });

    it('hands malformed pushes to the flow as text, emits a request id once per session, and keeps working', async function () {
        const id = selfSigned(dir, 'in-raw');
        const deviceId = await registerDevice(sim, 'in-raw', id.certPem);
        const { got } = await load(id, { extra: [
            { id: 'in2', z: 'tab', type: 'tb-x509-mqtt-in', config: 'cfg', mode: 'attributes', wires: [['got2']] },
            { id: 'got2', z: 'tab', type: 'helper' },
        ] });
        const got2 = [];
        helper.getNode('got2').on('input', (msg) => got2.push(msg));
        await waitFor(() => sim.pushSubscribers(deviceId).rpc === 1 && sim.pushSubscribers(deviceId).attributes === 1);
        assert.ok(sim.pushRaw(deviceId, 'v1/devices/me/rpc/request/4242', 'not json {'));
        assert.ok(sim.pushRaw(deviceId, 'v1/devices/me/rpc/request/4242', 'not json {'));
        assert.ok(sim.pushRaw(deviceId, 'v1/devices/me/attributes', '{broken'));
        await waitFor(() => got.length === 1 && got2.length === 1);
        assert.strictEqual(got[0].payload, 'not json {');
        assert.strictEqual(got[0].requestId, 4242);
        assert.strictEqual(got2[0].payload, '{broken');
        // a well-formed request afterwards still arrives, and a string params stays a string
        const res = await simRest(sim, 'POST', `/api/rpc/oneway/${deviceId}`, { method: 'say', params: 'not json {' });
        assert.strictEqual(res.status, 200);
        await waitFor(() => got.length === 2);
        assert.strictEqual(got[1].method, 'say');
        assert.strictEqual(got[1].payload, 'not json {');
        assert.strictEqual(got.filter((m) => m.requestId === 4242).length, 1, 'id 4242 emitted once');
    });

    it('fails a reply without msg.requestId through the Catch node, sending nothing', async function () {
        const id = selfSigned(dir, 'in-noid');
        await registerDevice(sim, 'in-noid', id.certPem);
        const { caught, out } = await load(id);
        out.receive({ payload: { ok: true } });
        await waitFor(() => caught.length === 1);
        assert.strictEqual(caught[0].error.source.id, 'out');
        assert.match(caught[0].error.message, /msg\.requestId/);
    });

    describe('gateway', function () {
        async function gatewayFlow(name) {
            const id = selfSigned(dir, name);
            const gatewayId = await registerDevice(sim, name, id.certPem, { gateway: true });
            const env = await load(id, {
                mode: 'gateway-rpc',
                outTarget: 'gateway-rpc-response',
                reply: 'msg.payload = { device: msg.device, method: msg.method, echo: msg.payload }; return msg;',
                extra: [{ id: 'connect', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: 'gateway-connect', qos: '1', key: '', queueSize: '10' }],
            });
            return { ...env, id, gatewayId };
        }

        it("answers RPC to a gateway's devices, also after the session was kicked (the devices are announced again)", async function () {
            const { got, caught, gatewayId } = await gatewayFlow('gw-in-1');
            await waitFor(() => sim.pushSubscribers(gatewayId).rpc === 1 || sim.sessions().some((s) => s.deviceId === gatewayId));
            helper.getNode('connect').receive({ payload: 'Valve A' });
            const valve = await waitFor(() => sim.findDeviceByName('Valve A'));
            await waitFor(() => sim.pushSubscribers(valve.id).rpc === 1);

            const first = await rpc(valve.id, { method: 'setValve', params: { open: true } });
            assert.strictEqual(first.status, 200, JSON.stringify(first.body));
            assert.deepStrictEqual(first.body, { device: 'Valve A', method: 'setValve', echo: { open: true } });
            assert.strictEqual(got[0].device, 'Valve A');

            sim.kick(gatewayId);
            await waitFor(() => sim.pushSubscribers(valve.id).rpc === 0);
            await waitFor(() => sim.pushSubscribers(valve.id).rpc === 1);
            const second = await rpc(valve.id, { method: 'setValve', params: { open: false } });
            assert.strictEqual(second.status, 200, JSON.stringify(second.body));
            assert.deepStrictEqual(second.body, { device: 'Valve A', method: 'setValve', echo: { open: false } });
            assert.deepStrictEqual(caught, []);
        });

        it('emits shared-attribute updates of a gateway device with msg.device', async function () {
            const id = selfSigned(dir, 'gw-in-attr');
            await registerDevice(sim, 'gw-in-attr', id.certPem, { gateway: true });
            const { got } = await load(id, {
                mode: 'gateway-attributes',
                outTarget: 'gateway-connect',
            });
            helper.getNode('out').receive({ payload: { device: 'Lamp B', type: 'default' } });
            const lamp = await waitFor(() => sim.findDeviceByName('Lamp B'));
            await waitFor(() => sim.pushSubscribers(lamp.id).attributes === 1);
            await simRest(sim, 'POST', `/api/plugins/telemetry/DEVICE/${lamp.id}/SHARED_SCOPE`, { brightness: 80 });
            await waitFor(() => got.length === 1);
            assert.strictEqual(got[0].device, 'Lamp B');
            assert.deepStrictEqual(got[0].payload, { brightness: 80 });
        });

        it('fails a gateway reply without msg.device, naming it', async function () {
            const { caught, out } = await gatewayFlow('gw-in-nodevice');
            out.receive({ requestId: 3, payload: { ok: true } });
            await waitFor(() => caught.length === 1);
            assert.match(caught[0].error.message, /msg\.device/);
        });
    });
});
