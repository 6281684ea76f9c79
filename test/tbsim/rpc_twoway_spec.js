'use strict';
// Server-side RPC and shared-attribute pushes to a device (reference §4.2, §4.3; RpcV1Controller, RpcV2Controller,
// AbstractRpcController, DeviceActorMessageProcessor, JsonConverter, TelemetryController), with mqtt.js devices and curl.
const assert = require('assert');
const fs = require('fs');
const { startTbsim, tempDir, curl, adminAuth, x509Device, connectMqtt, waitFor, publish, end } = require('./support');

function subscribe(client, topic, qos = 1) {
    return new Promise((resolve, reject) => client.subscribe(topic, { qos }, (err, granted) => (err ? reject(err) : resolve(granted))));
}

/** The messages the client got on topics matching `re`, payloads parsed. */
function received(client, re) {
    return client.seen.messages.filter((m) => re.test(m.topic)).map((m) => ({ topic: m.topic, body: JSON.parse(m.payload) }));
}

describe('tbsim server-side RPC and shared attributes (device sessions)', function () {
    let sim;
    let dir;
    let auth;
    const clients = [];
    let n = 0;

    async function device(name) {
        const d = await x509Device(sim, dir, `${name}-${++n}`);
        return d;
    }
    async function online(d, topics = []) {
        const { client, connack } = await connectMqtt(sim, { cert: d.cert });
        assert.ok(connack, 'connected');
        clients.push(client);
        for (const t of topics) await subscribe(client, t);
        return client;
    }
    const rest = (method, path, body) => curl(sim, method, path, { auth, body });

    before(async function () {
        dir = tempDir();
        // min_timeout lowered so that timeouts in these tests take a fraction of a second (the default is 5000)
        sim = await startTbsim({ serverSideRpcMinTimeoutMs: 300, clientSideRpcTimeoutMs: 300 });
        auth = await adminAuth(sim);
    });
    afterEach(async function () {
        for (const c of clients.splice(0)) await end(c);
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('two-way RPC', function () {
        it('pushes {"method","params"} to a subscribed device and answers REST with its reply as JSON', async function () {
            const d = await device('rpc-answer');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            client.on('message', (topic, payload) => {
                const m = /^v1\/devices\/me\/rpc\/request\/(\d+)$/.exec(topic);
                if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, JSON.stringify({ pin: JSON.parse(payload).params.pin, state: 'on' }), { qos: 1 });
            });
            const res = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'setGpio', params: { pin: 7, value: 1 }, timeout: 5000 });
            assert.strictEqual(res.status, 200, res.text);
            assert.deepStrictEqual(res.body, { pin: 7, state: 'on' });
            const [request] = received(client, /rpc\/request/);
            assert.match(request.topic, /^v1\/devices\/me\/rpc\/request\/\d+$/);
            assert.deepStrictEqual(request.body, { method: 'setGpio', params: { pin: 7, value: 1 } });
        });

        it('answers the same way on the deprecated /api/plugins/rpc path, and numbers requests per device', async function () {
            const d = await device('rpc-v1');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            client.on('message', (topic) => {
                const m = /rpc\/request\/(\d+)$/.exec(topic);
                if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, JSON.stringify({ id: Number(m[1]) }), { qos: 1 });
            });
            const first = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'a', params: {} });
            const second = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'b', params: {} });
            assert.deepStrictEqual([first.status, second.status], [200, 200]);
            assert.strictEqual(second.body.id, first.body.id + 1);
        });

        it('passes string, missing and array params through as JSON (string stays a string, missing is null)', async function () {
            const d = await device('rpc-params');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            for (const body of [{ method: 'say', params: 'not json {' }, { method: 'bare' }, { method: 'list', params: [1, 'x'] }]) {
                const res = await rest('POST', `/api/rpc/oneway/${d.deviceId}`, body);
                assert.strictEqual(res.status, 200, res.text);
            }
            await waitFor(() => received(client, /rpc\/request/).length === 3, 5000, 'three requests');
            assert.deepStrictEqual(
                received(client, /rpc\/request/).map((r) => r.body),
                [
                    { method: 'say', params: 'not json {' },
                    { method: 'bare', params: null },
                    { method: 'list', params: [1, 'x'] },
                ],
            );
        });

        it('gives REST 406 when the device replies with something that is not JSON, 200 empty for an empty reply', async function () {
            const d = await device('rpc-406');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            const replies = ['plain text, not JSON', ''];
            client.on('message', (topic) => {
                const m = /rpc\/request\/(\d+)$/.exec(topic);
                if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, replies.shift(), { qos: 1 });
            });
            const bad = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'm', params: {} });
            assert.strictEqual(bad.status, 406);
            const empty = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'm', params: {} });
            assert.strictEqual(empty.status, 200);
            assert.strictEqual(empty.text, '');
        });

        it('times out a request the subscribed device does not answer: 504 on /api/rpc, 408 on /api/plugins/rpc, empty body', async function () {
            const d = await device('rpc-timeout');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            const v2 = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'slow', params: {}, timeout: 100 });
            const v1 = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'slow', params: {}, timeout: 100 });
            assert.deepStrictEqual([v2.status, v2.text, v1.status, v1.text], [504, '', 408, '']);
            assert.strictEqual(received(client, /rpc\/request/).length, 2, 'both were delivered');
        });

        it('drops a reply that comes after the timeout (stale) without harm', async function () {
            const d = await device('rpc-stale');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            const res = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'late', params: {}, timeout: 100 });
            assert.strictEqual(res.status, 408);
            const id = received(client, /rpc\/request/)[0].topic.split('/').pop();
            const { err, packet } = await publish(client, `v1/devices/me/rpc/response/${id}`, '{"late":true}');
            assert.ifError(err);
            assert.ok(packet, 'PUBACK for the stale reply');
        });
    });

    describe('devices without an RPC subscription', function () {
        it('is "no active connection" at the timeout, not at once: 409 on /api/plugins/rpc, 504 on /api/rpc', async function () {
            const d = await device('rpc-offline');
            const v1 = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'm', params: {}, timeout: 100 });
            const v2 = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'm', params: {}, timeout: 100 });
            const oneway = await rest('POST', `/api/plugins/rpc/oneway/${d.deviceId}`, { method: 'm', params: {}, timeout: 100 });
            assert.deepStrictEqual([v1.status, v2.status, oneway.status], [409, 504, 409]);
        });

        it('does not send RPC to a connected session that did not subscribe to v1/devices/me/rpc/request/+', async function () {
            const d = await device('rpc-nosub');
            const client = await online(d, ['v1/devices/me/attributes']);
            const res = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'm', params: {}, timeout: 100 });
            assert.strictEqual(res.status, 409);
            assert.deepStrictEqual(received(client, /rpc/), []);
        });

        it('stops sending after UNSUBSCRIBE', async function () {
            const d = await device('rpc-unsub');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            await new Promise((resolve) => client.unsubscribe('v1/devices/me/rpc/request/+', resolve));
            const res = await rest('POST', `/api/plugins/rpc/twoway/${d.deviceId}`, { method: 'm', params: {}, timeout: 100 });
            assert.strictEqual(res.status, 409);
        });

        it('delivers a waiting request to a session that subscribes before it expires', async function () {
            const d = await device('rpc-pending');
            const pending = rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'later', params: { x: 1 }, timeout: 10000 });
            await waitFor(() => sim.pushSubscribers(d.deviceId).pendingRpc === 1, 5000, 'the request waiting');
            const client = await online(d);
            client.on('message', (topic) => {
                const m = /rpc\/request\/(\d+)$/.exec(topic);
                if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, '{"done":1}', { qos: 1 });
            });
            await subscribe(client, 'v1/devices/me/rpc/request/+');
            const res = await pending;
            assert.strictEqual(res.status, 200, res.text);
            assert.deepStrictEqual(res.body, { done: 1 });
            assert.deepStrictEqual(received(client, /rpc\/request/).map((m) => m.body), [{ method: 'later', params: { x: 1 } }]);
        });

        it('raises a shorter "timeout" to server.rest.server_side_rpc.min_timeout (default 5000 ms)', async function () {
            const own = await startTbsim();
            try {
                const d = await x509Device(own, dir, 'rpc-min-timeout');
                const ownAuth = await adminAuth(own);
                const pending = curl(own, 'POST', `/api/rpc/twoway/${d.deviceId}`, { auth: ownAuth, body: { method: 'm', params: {}, timeout: 1 } });
                await waitFor(() => own.pushSubscribers(d.deviceId).pendingRpc === 1, 5000, 'the request waiting');
                const { client } = await connectMqtt(own, { cert: d.cert });
                client.on('message', (topic) => {
                    const m = /rpc\/request\/(\d+)$/.exec(topic);
                    if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, '{"in":"time"}', { qos: 1 });
                });
                await subscribe(client, 'v1/devices/me/rpc/request/+');
                const res = await pending;
                await end(client);
                assert.strictEqual(res.status, 200, res.text);
                assert.deepStrictEqual(res.body, { in: 'time' });
            } finally {
                await own.stop();
            }
        });

        it('answers a persistent RPC with {"rpcId"} at once and delivers it when the device subscribes', async function () {
            const d = await device('rpc-persistent');
            const res = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, { method: 'keep', params: { k: 1 }, persistent: true, timeout: 60000 });
            assert.strictEqual(res.status, 200, res.text);
            assert.deepStrictEqual(Object.keys(res.body), ['rpcId']);
            assert.match(res.body.rpcId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            await waitFor(() => received(client, /rpc\/request/).length === 1, 5000, 'the persistent request');
            assert.deepStrictEqual(received(client, /rpc\/request/)[0].body, { method: 'keep', params: { k: 1 } });
        });
    });

    describe('one-way RPC and REST errors', function () {
        it('answers one-way 200 with an empty body as soon as it is sent', async function () {
            const d = await device('rpc-oneway');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            const res = await rest('POST', `/api/rpc/oneway/${d.deviceId}`, { method: 'blink', params: { times: 3 } });
            assert.deepStrictEqual([res.status, res.text], [200, '']);
            await waitFor(() => received(client, /rpc\/request/).length === 1, 5000, 'one-way request');
            assert.deepStrictEqual(received(client, /rpc\/request/)[0].body, { method: 'blink', params: { times: 3 } });
        });

        it('answers an unknown device 404 in plain text and a body that is not JSON 400', async function () {
            const missing = await rest('POST', '/api/rpc/twoway/6a0e2b40-0000-4000-8000-000000000001', { method: 'm', params: {} });
            assert.strictEqual(missing.status, 404);
            assert.match(missing.text, /Device with requested id wasn't found/);
            const d = await device('rpc-bad-body');
            const bad = await rest('POST', `/api/rpc/twoway/${d.deviceId}`, '{not json');
            assert.strictEqual(bad.status, 400);
            assert.strictEqual(bad.body.errorCode, 31);
        });
    });

    describe('shared attributes', function () {
        it('pushes SHARED_SCOPE values posted on either path to v1/devices/me/attributes subscribers, not SERVER_SCOPE', async function () {
            const d = await device('attr-push');
            const client = await online(d, ['v1/devices/me/attributes']);
            const server = await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SERVER_SCOPE`, { secret: 1 });
            const v1 = await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { fw: 'v2.0', interval: 30 });
            const v2 = await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/attributes/SHARED_SCOPE`, { mode: { eco: true } });
            assert.deepStrictEqual([server.status, v1.status, v1.text, v2.status], [200, 200, '', 200]);
            await waitFor(() => received(client, /attributes$/).length === 2, 5000, 'two pushes');
            assert.deepStrictEqual(received(client, /attributes$/), [
                { topic: 'v1/devices/me/attributes', body: { fw: 'v2.0', interval: 30 } },
                { topic: 'v1/devices/me/attributes', body: { mode: { eco: true } } },
            ]);
            assert.deepStrictEqual(sim.sharedAttributes(d.deviceId), { fw: 'v2.0', interval: 30, mode: { eco: true } });
        });

        it('pushes {"deleted":[…]} when shared attributes are deleted, nothing for other scopes', async function () {
            const d = await device('attr-delete');
            const client = await online(d, ['v1/devices/me/attributes']);
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SERVER_SCOPE`, { s: 1 });
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { a: 1, b: 2, c: 3 });
            const server = await rest('DELETE', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SERVER_SCOPE?keys=s`);
            const shared = await rest('DELETE', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE?keys=a,b`);
            assert.deepStrictEqual([server.status, shared.status, shared.text], [200, 200, '']);
            await waitFor(() => received(client, /attributes$/).length === 2, 5000, 'update and delete pushes');
            assert.deepStrictEqual(received(client, /attributes$/)[1].body, { deleted: ['a', 'b'] });
            assert.deepStrictEqual(sim.sharedAttributes(d.deviceId), { c: 3 });
            assert.deepStrictEqual(sim.serverAttributes(d.deviceId), {});
        });

        it('answers DELETE without keys 400 and attributes of an unknown device 404, both in plain text', async function () {
            const d = await device('attr-errors');
            const noKeys = await rest('DELETE', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`);
            assert.strictEqual(noKeys.status, 400);
            assert.match(noKeys.text, /^Empty keys/);
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { x: 1, y: 2 });
            const repeated = await rest('DELETE', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE?key=x&key=y`);
            assert.strictEqual(repeated.status, 200);
            assert.deepStrictEqual(sim.sharedAttributes(d.deviceId), {});
            const unknown = await rest('POST', '/api/plugins/telemetry/DEVICE/6a0e2b40-0000-4000-8000-000000000002/SHARED_SCOPE', { a: 1 });
            assert.strictEqual(unknown.status, 404);
            assert.match(unknown.text, /Device with requested id wasn't found/);
            const notObject = await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, [1]);
            assert.strictEqual(notObject.status, 400);
            assert.match(notObject.text, /not a JSON object/);
        });

        it('before 4.3 needs "keys" on DELETE (400 without it, 500 when empty) and ignores repeated "key"', async function () {
            const old = await startTbsim({ tbVersion: '4.2.1' });
            try {
                const oldAuth = await adminAuth(old);
                const d = await x509Device(old, dir, 'attr-delete-421');
                const del = (query) => curl(old, 'DELETE', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE${query}`, { auth: oldAuth });
                const missing = await del('?key=a');
                const empty = await del('?keys=');
                assert.deepStrictEqual([missing.status, missing.body.errorCode, empty.status, empty.body.errorCode], [400, 31, 500, 2]);
                assert.match(missing.body.message, /'keys'/);
            } finally {
                await old.stop();
            }
        });

        for (const [tbVersion, expected] of [
            ['4.2.1', { fw: 2, count: 25, name: 'pump' }],
            ['3.6.4', { fw: '2.0', count: '25', name: 'pump' }],
        ]) {
            it(`${tbVersion === '3.6.4' ? 'keeps numeric strings as strings before 4.2' : 'casts numeric strings to numbers from 4.2'} (${tbVersion})`, async function () {
                const own = await startTbsim({ tbVersion });
                try {
                    const ownAuth = await adminAuth(own);
                    const d = await x509Device(own, dir, `attr-cast-${tbVersion}`);
                    const { client } = await connectMqtt(own, { cert: d.cert });
                    await subscribe(client, 'v1/devices/me/attributes');
                    const res = await curl(own, 'POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, {
                        auth: ownAuth,
                        body: { fw: '2.0', count: '25', name: 'pump' },
                    });
                    assert.strictEqual(res.status, 200, res.text);
                    await waitFor(() => client.seen.messages.length === 1, 5000, 'the push');
                    assert.deepStrictEqual(JSON.parse(client.seen.messages[0].payload), expected);
                    assert.deepStrictEqual(own.sharedAttributes(d.deviceId), expected);
                    const withNull = await curl(own, 'POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { auth: ownAuth, body: { a: null, b: 1 } });
                    assert.strictEqual(withNull.status, tbVersion === '3.6.4' ? 200 : 500, 'null values: skipped before 4.2, refused since');
                    await end(client);
                } finally {
                    await own.stop();
                }
            });
        }

        it('pushes nothing to a session that did not subscribe to v1/devices/me/attributes', async function () {
            const d = await device('attr-nosub');
            const client = await online(d);
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { before: 1 });
            await subscribe(client, 'v1/devices/me/attributes');
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { after: 2 });
            await waitFor(() => received(client, /attributes$/).length > 0, 5000, 'the push after subscribing');
            assert.deepStrictEqual(received(client, /attributes$/).map((m) => m.body), [{ after: 2 }]);
        });

        it('answers attribute requests with only the sections that have values', async function () {
            const d = await device('attr-request');
            const client = await online(d, ['v1/devices/me/attributes/response/+']);
            await publish(client, 'v1/devices/me/attributes', JSON.stringify({ model: 'X1', serial: 42 }));
            await rest('POST', `/api/plugins/telemetry/DEVICE/${d.deviceId}/SHARED_SCOPE`, { fw: 'v2.0', interval: 30 });
            const requests = [
                { clientKeys: 'model', sharedKeys: 'fw,interval' },
                { clientKeys: 'serial' },
                { sharedKeys: 'interval' },
                {},
                { clientKeys: 'nothing', sharedKeys: 'none' },
            ];
            for (const [i, body] of requests.entries()) await publish(client, `v1/devices/me/attributes/request/${i + 1}`, JSON.stringify(body));
            await waitFor(() => received(client, /attributes\/response/).length === requests.length, 5000, 'all answers');
            const byId = Object.fromEntries(received(client, /attributes\/response/).map((m) => [m.topic.split('/').pop(), m.body]));
            assert.deepStrictEqual(byId, {
                1: { client: { model: 'X1' }, shared: { fw: 'v2.0', interval: 30 } },
                2: { client: { serial: 42 } },
                3: { shared: { interval: 30 } },
                4: { client: { model: 'X1', serial: 42 }, shared: { fw: 'v2.0', interval: 30 } },
                5: {},
            });
        });
    });

    describe('device-to-server RPC', function () {
        it('answers {"error":"timeout"} after the client-side RPC timeout by default', async function () {
            const d = await device('crpc-default');
            const client = await online(d, ['v1/devices/me/rpc/response/+']);
            await publish(client, 'v1/devices/me/rpc/request/5', JSON.stringify({ method: 'getCurrentTime', params: {} }));
            await waitFor(() => received(client, /rpc\/response\/5$/).length === 1, 5000, 'the timeout answer');
            assert.deepStrictEqual(received(client, /rpc\/response/)[0].body, { error: 'timeout' });
        });

        it('answers with a handler set by sim.onClientRpc, a thrown error as {"error"}, and falls back once removed', async function () {
            const d = await device('crpc-handler');
            const client = await online(d, ['v1/devices/me/rpc/response/+']);
            const calls = [];
            sim.onClientRpc('getCurrentTime', (params, dev) => {
                calls.push({ params, dev });
                return { time: 1767225600000 };
            });
            sim.onClientRpc('fail', async () => {
                throw new Error('no such thing');
            });
            await publish(client, 'v1/devices/me/rpc/request/1', JSON.stringify({ method: 'getCurrentTime', params: { tz: 'UTC' } }));
            await publish(client, 'v1/devices/me/rpc/request/2', JSON.stringify({ method: 'fail', params: {} }));
            await waitFor(() => received(client, /rpc\/response/).length === 2, 5000, 'two answers');
            sim.onClientRpc('getCurrentTime', undefined);
            sim.onClientRpc('fail', undefined);
            await publish(client, 'v1/devices/me/rpc/request/3', JSON.stringify({ method: 'getCurrentTime', params: {} }));
            await waitFor(() => received(client, /rpc\/response/).length === 3, 5000, 'the timeout answer');
            const byId = Object.fromEntries(received(client, /rpc\/response/).map((m) => [m.topic.split('/').pop(), m.body]));
            assert.deepStrictEqual(byId, { 1: { time: 1767225600000 }, 2: { error: 'no such thing' }, 3: { error: 'timeout' } });
            assert.deepStrictEqual(calls, [{ params: { tz: 'UTC' }, dev: { id: d.deviceId, name: d.device.name } }]);
        });

        it('takes handlers from the clientRpcHandlers option', async function () {
            const own = await startTbsim({ clientRpcHandlers: { getCurrentTime: () => ({ time: 7 }) } });
            try {
                const d = await x509Device(own, dir, 'crpc-option');
                const { client } = await connectMqtt(own, { cert: d.cert });
                await subscribe(client, 'v1/devices/me/rpc/response/+');
                await publish(client, 'v1/devices/me/rpc/request/9', JSON.stringify({ method: 'getCurrentTime', params: {} }));
                await waitFor(() => client.seen.messages.length === 1, 5000, 'the answer');
                assert.deepStrictEqual(client.seen.messages.map((m) => [m.topic, JSON.parse(m.payload)]), [['v1/devices/me/rpc/response/9', { time: 7 }]]);
                await end(client);
            } finally {
                await own.stop();
            }
        });
    });

    describe('test hooks', function () {
        it('sendRpc sends like REST and resolves with the outcome (reply text, or the error)', async function () {
            const d = await device('hooks-send');
            const offline = await sim.sendRpc(d.deviceId, { method: 'm', timeoutMs: 1 });
            assert.deepStrictEqual(offline, { error: 'NO_ACTIVE_CONNECTION' });
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            client.on('message', (topic) => {
                const m = /rpc\/request\/(\d+)$/.exec(topic);
                if (m) client.publish(`v1/devices/me/rpc/response/${m[1]}`, 'raw reply', { qos: 1 });
            });
            assert.deepStrictEqual(await sim.sendRpc(d.deviceId, { method: 'echo', params: 'p' }), { response: 'raw reply' });
            assert.deepStrictEqual(received(client, /rpc\/request/).map((m) => m.body), [{ method: 'echo', params: 'p' }]);
            assert.deepStrictEqual(await sim.sendRpc(d.deviceId, { method: 'fire', oneway: true }), {});
        });

        it('ends a waiting sendRpc when tbsim stops', async function () {
            const own = await startTbsim();
            const d = await x509Device(own, dir, 'hooks-stop');
            const waiting = own.sendRpc(d.deviceId, { method: 'm', timeoutMs: 60000 });
            await own.stop();
            assert.deepStrictEqual(await waiting, { error: 'NO_ACTIVE_CONNECTION' });
        });

        it('pushRaw sends text that is not JSON as it is; kick closes the session', async function () {
            const d = await device('hooks');
            const client = await online(d, ['v1/devices/me/rpc/request/+']);
            assert.strictEqual(sim.pushRaw(d.deviceId, 'v1/devices/me/rpc/request/77', 'not {json'), true);
            await waitFor(() => client.seen.messages.length === 1, 5000, 'the raw push');
            assert.deepStrictEqual(client.seen.messages, [{ topic: 'v1/devices/me/rpc/request/77', payload: 'not {json' }]);
            assert.deepStrictEqual(sim.pushSubscribers(d.deviceId), { rpc: 1, attributes: 0, pendingRpc: 0 });
            sim.kick(d.deviceId);
            await waitFor(() => client.seen.closed, 5000, 'close');
            await waitFor(() => sim.pushSubscribers(d.deviceId).rpc === 0, 5000, 'subscription gone with the session');
            assert.strictEqual(sim.pushRaw(d.deviceId, 'v1/devices/me/rpc/request/78', 'x'), false);
        });
    });
});
