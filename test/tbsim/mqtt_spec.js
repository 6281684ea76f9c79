'use strict';
// tbsim's MQTT transport seen by mqtt.js and by a bare packet-level session: ThingsBoard's codes and session rules.
const assert = require('assert');
const fs = require('fs');
const {
    startTbsim, tempDir, curl, apiKey, makeCert, makeExpiredCert, registerCertificate, connectMqtt, waitFor, publish, end, rawSession,
} = require('./support');

describe('tbsim MQTT', function () {
    let sim;
    let dir;
    const clients = [];
    async function connect(opts) {
        const result = await connectMqtt(sim, opts);
        clients.push(result.client);
        return result;
    }
    async function registeredDevice(name) {
        const cert = await makeCert(dir, name);
        const res = await registerCertificate(sim, name, cert.certPem);
        assert.strictEqual(res.status, 200, res.text);
        return { cert, deviceId: res.body.id.id };
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
    });
    afterEach(async function () {
        await Promise.all(clients.splice(0).map(end));
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('CONNECT', function () {
        it('refuses an unknown certificate on MQTT 5 with CONNACK 0x87 followed by DISCONNECT 0x87', async function () {
            const cert = await makeCert(dir, 'unknown-v5');
            const session = rawSession(sim, { protocolVersion: 5, cert });
            await session.closedPromise;
            assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.reasonCode]), [['connack', 0x87], ['disconnect', 0x87]]);
            const viaClient = await connect({ cert, protocolVersion: 5 });
            assert.strictEqual(viaClient.error.code, 135);
        });

        it('refuses an unknown certificate on MQTT 3.1.1 with CONNACK 5 and closes', async function () {
            const cert = await makeCert(dir, 'unknown-v3');
            const session = rawSession(sim, { protocolVersion: 4, cert });
            await session.closedPromise;
            assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.returnCode]), [['connack', 5]]);
        });

        it('maps token failures like ThingsBoard: bad token → 5 / 0x86, clientId only → 2 / 0x85', async function () {
            assert.strictEqual((await connect({ username: 'no-such-token' })).error.code, 5);
            assert.strictEqual((await connect({ username: 'no-such-token', protocolVersion: 5 })).error.code, 0x86);
            assert.strictEqual((await connect({ clientId: 'lonely', protocolVersion: 4 })).error.code, 2);
            assert.strictEqual((await connect({ clientId: 'lonely', protocolVersion: 5 })).error.code, 0x85);
        });

        it('accepts an access token as username and reports the session', async function () {
            const created = await curl(sim, 'POST', '/api/device?accessToken=tok-abc', { auth: apiKey(sim), body: { name: 'token-dev' } });
            const { connack } = await connect({ username: 'tok-abc', clientId: 'token-client' });
            assert.strictEqual(connack.returnCode, 0);
            assert.ok(sim.sessions().some((s) => s.deviceId === created.body.id.id && s.clientId === 'token-client' && s.protocolVersion === 4));
        });

        it('refuses a registered certificate outside its validity window (CONNACK 5 / 0x87)', async function () {
            const cert = makeExpiredCert(dir, 'expired');
            const res = await registerCertificate(sim, 'expired', cert.certPem);
            assert.strictEqual(res.status, 200);
            assert.strictEqual((await connect({ cert, protocolVersion: 5 })).error.code, 0x87);
            assert.strictEqual((await connect({ cert, protocolVersion: 4 })).error.code, 5);
        });

        it('drops a TLS session whose presented chain does not verify link by link, but not a good chain', async function () {
            const { run } = require('./support');
            const path = require('path');
            const file = (n) => path.join(dir, n);
            for (const n of ['inter-real', 'inter-fake']) {
                await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', file(`${n}-key.pem`), '-out', file(`${n}.pem`), '-days', '2', '-subj', '/CN=Same Intermediate Name']);
            }
            await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                '-keyout', file('chained-key.pem'), '-out', file('chained.csr'), '-subj', '/CN=chained']);
            const signed = await run('openssl', ['x509', '-req', '-in', file('chained.csr'), '-CA', file('inter-real.pem'),
                '-CAkey', file('inter-real-key.pem'), '-CAcreateserial', '-out', file('chained.pem'), '-days', '2']);
            assert.strictEqual(signed.code, 0, signed.stderr);
            const leaf = fs.readFileSync(file('chained.pem'), 'utf8');
            const keyPem = fs.readFileSync(file('chained-key.pem'), 'utf8');
            assert.strictEqual((await registerCertificate(sim, 'chained', leaf)).status, 200);
            const good = await connect({ cert: { certPem: leaf + fs.readFileSync(file('inter-real.pem'), 'utf8'), keyPem }, protocolVersion: 5 });
            assert.strictEqual(good.connack.reasonCode, 0);
            await end(good.client);
            const bad = await connect({ cert: { certPem: leaf + fs.readFileSync(file('inter-fake.pem'), 'utf8'), keyPem }, protocolVersion: 5 });
            assert.strictEqual(bad.error.code, 'EPROTO'); // the handshake fails with a fatal certificate_unknown alert
            assert.match(bad.error.message, /alert number 46/);
            assert.strictEqual(bad.connack, undefined);
        });

        it('gives a provision session CONNACK 0 even when a certificate is presented', async function () {
            const cert = await makeCert(dir, 'prov-with-cert');
            const { connack } = await connect({ cert, username: 'provision', protocolVersion: 5 });
            assert.strictEqual(connack.reasonCode, 0);
        });
    });

    describe('PUBLISH', function () {
        it('stores every telemetry form of the reference, casting numeric strings and skipping nulls', async function () {
            const { cert, deviceId } = await registeredDevice('forms');
            const { client } = await connect({ cert, protocolVersion: 5 });
            const arrived = [];
            sim.events.on('telemetry', (id, entry) => id === deviceId && arrived.push(entry));
            for (const payload of [
                { temperature: 25, humidity: '60', gone: null },
                { ts: 1767225600000, values: { pressure: 1013.5 } },
                [{ a: 1 }, { ts: 1767225601000, values: { b: 'text', nested: { x: [1, 2] } } }],
                { ts: 5, other: true },
            ]) {
                const { err } = await publish(client, 'v1/devices/me/telemetry', JSON.stringify(payload));
                assert.ifError(err);
            }
            const stored = sim.telemetry(deviceId).map((e) => e.values);
            assert.deepStrictEqual(stored, [
                { temperature: 25, humidity: 60 },
                { pressure: 1013.5 },
                { a: 1 },
                { b: 'text', nested: { x: [1, 2] } },
                { ts: 5, other: true },
            ]);
            assert.strictEqual(sim.telemetry(deviceId)[1].ts, 1767225600000);
            assert.strictEqual(arrived.length, 5);
            await publish(client, 'v1/devices/me/attributes', JSON.stringify({ fw: '1.0', model: 'X' }));
            assert.deepStrictEqual(sim.attributes(deviceId), { fw: 1, model: 'X' });
            const attrs = await curl(sim, 'GET', `/api/plugins/telemetry/DEVICE/${deviceId}/values/attributes/CLIENT_SCOPE`, { auth: apiKey(sim) });
            assert.deepStrictEqual(attrs.body.map((a) => [a.key, a.value]), [['fw', 1], ['model', 'X']]);
        });

        it('answers an unknown topic with PUBACK 0x90 on MQTT 5 and drops it silently on 3.1.1', async function () {
            const { cert, deviceId } = await registeredDevice('typo');
            const v5 = await connect({ cert, protocolVersion: 5 });
            const r5 = await publish(v5.client, 'v1/devices/me/telemetri', '{"a":1}');
            assert.strictEqual(r5.err.code, 0x90);
            assert.strictEqual(v5.client.connected, true);
            await end(v5.client);
            const v3 = await connect({ cert, protocolVersion: 4 });
            const r3 = await publish(v3.client, 'v1/devices/me/telemetri', '{"a":1}');
            assert.ifError(r3.err);
            assert.strictEqual(v3.client.connected, true);
            assert.deepStrictEqual(sim.telemetry(deviceId), []);
        });

        it('closes a 3.1.1 session on invalid JSON or a non-object, answers MQTT 5 with PUBACK 0x99', async function () {
            const { cert, deviceId } = await registeredDevice('badjson');
            for (const payload of ['{"a":', '42', '[1,2]']) {
                const v3 = await connect({ cert, protocolVersion: 4 });
                v3.client.publish('v1/devices/me/telemetry', payload, { qos: 1 });
                await waitFor(() => v3.client.seen.closed, 5000, `close after ${payload}`);
            }
            const v5 = await connect({ cert, protocolVersion: 5 });
            const r = await publish(v5.client, 'v1/devices/me/telemetry', '{"a":');
            assert.strictEqual(r.err.code, 0x99);
            assert.strictEqual(v5.client.connected, true);
            assert.deepStrictEqual(sim.telemetry(deviceId), []);
        });

        it('closes a session whose packet exceeds 65536 bytes (MQTT 5: DISCONNECT 0x81) and accepts one just below', async function () {
            const { cert, deviceId } = await registeredDevice('big');
            const big = JSON.stringify({ blob: 'x'.repeat(70000) });
            const v5 = await connect({ cert, protocolVersion: 5 });
            const near = JSON.stringify({ blob: 'y'.repeat(65000) });
            assert.ifError((await publish(v5.client, 'v1/devices/me/telemetry', near)).err);
            v5.client.publish('v1/devices/me/telemetry', big, { qos: 1 });
            await waitFor(() => v5.client.seen.closed, 5000, 'close after the big packet');
            assert.deepStrictEqual(v5.client.seen.disconnects, [0x81]);
            const v3 = await connect({ cert, protocolVersion: 4 });
            v3.client.publish('v1/devices/me/telemetry', big, { qos: 1 });
            await waitFor(() => v3.client.seen.closed, 5000, 'v3 close after the big packet');
            assert.strictEqual(sim.telemetry(deviceId).length, 1);
        });

        it('makes the payload limit an option', async function () {
            const small = await startTbsim({ maxPayloadSize: 100 });
            try {
                const cert = await makeCert(dir, 'small-limit');
                assert.strictEqual((await registerCertificate(small, 'small-limit', cert.certPem)).status, 200);
                const r = await connectMqtt(small, { cert, protocolVersion: 5 });
                r.client.publish('v1/devices/me/telemetry', JSON.stringify({ t: 'z'.repeat(200) }), { qos: 1 });
                await waitFor(() => r.client.seen.closed, 5000, 'close');
                assert.deepStrictEqual(r.client.seen.disconnects, [0x81]);
            } finally {
                await small.stop();
            }
        });
    });

    describe('SUBSCRIBE', function () {
        it('grants at most QoS 1 and refuses unsupported filters (0x80 on 3.1.1, 0x8F on 5)', async function () {
            const { cert } = await registeredDevice('subs');
            const v3 = await connect({ cert, protocolVersion: 4 });
            const granted3 = await new Promise((resolve) =>
                v3.client.subscribe({ 'v1/devices/me/rpc/request/+': { qos: 2 }, '#': { qos: 0 } }, (err, g, packet) => resolve(packet.granted)),
            );
            assert.deepStrictEqual(granted3, [1, 0x80]);
            await end(v3.client);
            const session = rawSession(sim, { protocolVersion: 5, cert });
            await waitFor(() => session.packets.length === 1, 5000, 'connack');
            session.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'v1/devices/me/+', qos: 1 }, { topic: 'v1/devices/me/attributes', qos: 1 }] });
            await waitFor(() => session.packets.length === 2, 5000, 'suback');
            assert.deepStrictEqual(session.packets[1].granted, [0x8f, 1]);
            session.socket.destroy();
        });
    });

    describe('one session per device', function () {
        it('closes the older session when the same certificate connects again (MQTT 5: DISCONNECT 0x8E)', async function () {
            const { cert, deviceId } = await registeredDevice('twice');
            const first = await connect({ cert, protocolVersion: 5, clientId: 'first' });
            const second = await connect({ cert, protocolVersion: 5, clientId: 'second' });
            assert.strictEqual(second.connack.reasonCode, 0);
            await waitFor(() => first.client.seen.closed, 5000, 'older session closed');
            assert.deepStrictEqual(first.client.seen.disconnects, [0x8e]);
            assert.strictEqual(second.client.connected, true);
            assert.deepStrictEqual(sim.sessions().filter((s) => s.deviceId === deviceId).map((s) => s.clientId), ['second']);
        });

        it('kicks the session when its credentials change (DISCONNECT 0x98), not when identical ones are re-posted', async function () {
            const { cert, deviceId } = await registeredDevice('rotated');
            const { client } = await connect({ cert, protocolVersion: 5 });
            const current = (await curl(sim, 'GET', `/api/device/${deviceId}/credentials`, { auth: apiKey(sim) })).body;
            const same = await curl(sim, 'POST', '/api/device/credentials', { auth: apiKey(sim), body: { ...current, credentialsValue: cert.certPem } });
            assert.strictEqual(same.status, 200, same.text);
            assert.ifError((await publish(client, 'v1/devices/me/telemetry', '{"still":1}')).err);
            assert.strictEqual(client.connected, true);
            const next = await makeCert(dir, 'rotated-next');
            const changed = await curl(sim, 'POST', '/api/device/credentials', { auth: apiKey(sim), body: { ...current, credentialsValue: next.certPem } });
            assert.strictEqual(changed.status, 200, changed.text);
            await waitFor(() => client.seen.closed, 5000, 'kick');
            assert.deepStrictEqual(client.seen.disconnects, [0x98]);
            assert.strictEqual((await connect({ cert, protocolVersion: 5 })).error.code, 0x87);
            assert.strictEqual((await connect({ cert: next, protocolVersion: 5 })).connack.reasonCode, 0);
        });
    });

    describe('gateway API', function () {
        it('creates sub-devices for a gateway device and stores their telemetry', async function () {
            const cert = await makeCert(dir, 'gw');
            const res = await curl(sim, 'POST', '/api/device-with-credentials', {
                auth: apiKey(sim),
                body: { device: { name: 'gw', additionalInfo: { gateway: true } }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
            });
            assert.strictEqual(res.status, 200, res.text);
            const { client } = await connect({ cert, protocolVersion: 5 });
            assert.ifError((await publish(client, 'v1/gateway/connect', JSON.stringify({ device: 'Sub A', type: 'thermo' }))).err);
            assert.ifError((await publish(client, 'v1/gateway/telemetry', JSON.stringify({ 'Sub A': [{ t: 1 }], 'Sub B': [{ ts: 1767225600000, values: { t: 2 } }], 'Sub C': { t: 3 } }))).err);
            assert.ifError((await publish(client, 'v1/gateway/attributes', JSON.stringify({ 'Sub A': { fw: 'x' } }))).err);
            const a = sim.findDeviceByName('Sub A');
            assert.strictEqual(a.type, 'thermo');
            assert.deepStrictEqual(sim.telemetry(a.id).map((e) => e.values), [{ t: 1 }]);
            assert.deepStrictEqual(sim.attributes(a.id), { fw: 'x' });
            assert.strictEqual(sim.findDeviceByName('Sub B').type, 'default');
            assert.strictEqual(sim.findDeviceByName('Sub C'), undefined); // non-array entries are dropped
            assert.strictEqual((await publish(client, 'v1/gateway/telemetry', '{"Sub A":')).err.code, 0x99); // not JSON

            // a sub-device that cannot be created fails the message (processFailure: PUBACK 0x80), not the session
            assert.strictEqual((await publish(client, 'v1/gateway/telemetry', JSON.stringify({ '': [{ t: 1 }] }))).err.code, 0x80);
            assert.strictEqual(client.connected, true);

            // JSON of the wrong shape is a RuntimeException in the gateway handler: PUBACK 0x83, then DISCONNECT 0x83
            client.publish('v1/gateway/telemetry', JSON.stringify({ 'Sub A': { t: 3 } }), { qos: 1 }); // nothing valid left
            await waitFor(() => client.seen.closed, 5000, 'session closed');
            assert.deepStrictEqual(client.seen.disconnects, [0x83]);
        });
    });
});
