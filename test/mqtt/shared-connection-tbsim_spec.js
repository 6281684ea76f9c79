'use strict';
// The shared connection against the ThingsBoard stand-in: no PUBACK for gateway topics on a
// session that is not a gateway session (three sends, then the reason), the reconnect after
// the device is marked gateway, a backlog drained under transport rate limits (getSessionLimits
// on 4.3, learned from closes on 3.6.4), and one certificate on two servers.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir, makeCert, curl, login, bearer } = require('../tbsim/support');

const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { SharedConnection } = require(path.join(lib, 'mqtt', 'shared-connection.js'));
const { IdentityRegistry } = require(path.join(lib, 'mqtt', 'identity-registry.js'));

/** A device with an X.509 certificate, registered with a tenant login (API keys exist only from 4.3). */
async function x509Device(sim, dir, name) {
    const cert = await makeCert(dir, name);
    const auth = bearer((await login(sim)).token);
    const res = await curl(sim, 'POST', '/api/device-with-credentials', {
        auth, body: { device: { name }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
    });
    if (res.status !== 200) throw new Error(`registering ${name} failed: ${res.text}`);
    return { cert, deviceId: res.body.id.id, device: res.body, auth };
}

function connectionFor(sim, cert, options = {}) {
    const identity = {
        certPem: cert.certPem, keyPem: cert.keyPem, commonName: options.commonName || 'dev',
        credentialsId: options.credentialsId || cert.certPem, notBefore: new Date(Date.now() - 60000), notAfter: new Date(Date.now() + 86400000),
    };
    const settings = { label: options.label || 'Plant A', host: 'localhost', port: sim.mqttPort, verifyServer: true, keepalive: 30, keyStoreDir: '/nonexistent' };
    const states = [];
    const warnings = [];
    const conn = new SharedConnection(settings, { current: async () => identity, caChain: async () => sim.caPem }, {
        configId: options.configId || `cfg-${Math.random()}`, registry: options.registry || new IdentityRegistry(), ...options.connection,
    });
    conn.register('out', { onState: (s) => states.push(s), onWarning: (w) => warnings.push(w) });
    return { conn, states, warnings };
}

function publish(conn, topic, body) {
    return new Promise((resolve) => conn.publish('out', { topic, body: JSON.stringify(body), qos: 1, queueSize: 100000 }, (err) => resolve(err)));
}

async function until(predicate, ms = 20000, what = 'condition') {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe('shared connection against tbsim', function () {
    this.timeout(90000);
    let dir;
    const cleanups = [];
    before(function () {
        dir = tempDir();
    });
    afterEach(async function () {
        while (cleanups.length) await cleanups.pop()();
    });
    after(function () {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    async function sim(opts = {}) {
        const s = await startTbsim(opts);
        cleanups.push(() => s.stop());
        return s;
    }
    function track(c) {
        cleanups.push(() => c.conn.close());
        return c;
    }

    it('fails a gateway message after its third unacknowledged send, saying the device is not a gateway', async function () {
        const tb = await sim();
        const { cert } = await x509Device(tb, dir, 'not-a-gateway');
        const { conn, states } = track(connectionFor(tb, cert, { commonName: 'not-a-gateway', connection: { ackTimeoutMs: 400 } }));
        await until(() => states.some((s) => s.phase === 'connected'));
        const err = await publish(conn, 'v1/gateway/telemetry', { 'Sensor A': [{ t: 1 }] });
        assert.ok(err, 'the message failed');
        assert.strictEqual(err.code, 'MQTT_GATEWAY_NOT_ACKNOWLEDGED');
        assert.strictEqual(err.params.sends, 3);
        assert.strictEqual(err.params.topic, 'v1/gateway/telemetry');
        assert.strictEqual(err.params.commonName, 'not-a-gateway');
        assert.match(err.message, /not a gateway in ThingsBoard/);
        // a device message on the same connection is still delivered
        assert.strictEqual(await publish(conn, 'v1/devices/me/telemetry', { ok: 1 }), undefined);
    });

    it('delivers gateway telemetry after the device is marked gateway and the connection reconnects', async function () {
        const tb = await sim();
        const { cert, deviceId, device, auth } = await x509Device(tb, dir, 'late-gateway');
        const { conn, states } = track(connectionFor(tb, cert, { commonName: 'late-gateway', credentialsId: 'late', connection: { ackTimeoutMs: 20000 } }));
        await until(() => states.some((s) => s.phase === 'connected'));
        const pending = publish(conn, 'v1/gateway/telemetry', { 'Sensor B': [{ t: 7 }] });
        await new Promise((r) => setTimeout(r, 300)); // sent on the plain session: no PUBACK
        const res = await curl(tb, 'POST', '/api/device', { auth, body: { ...device, additionalInfo: { ...(device.additionalInfo || {}), gateway: true } } });
        assert.strictEqual(res.status, 200, res.text);
        conn.reconnectIfConnectedAs('late');
        assert.strictEqual(await pending, undefined, 'acknowledged on the gateway session');
        const sensor = tb.findDeviceByName('Sensor B');
        assert.ok(sensor, 'the sub-device was created');
        assert.deepStrictEqual(tb.telemetry(sensor.id).map((e) => e.values), [{ t: 7 }]);
        assert.ok(deviceId);
    });

    for (const [release, expectPacing] of [['4.3.1.3', 'getSessionLimits'], ['3.6.4', 'learned']]) {
        it(`drains a backlog under a device telemetry limit with nothing lost and at most two forced disconnects (${release}, ${expectPacing})`, async function () {
            const limit = '50:1,100:2';
            const tb = await sim({ tbVersion: release, rateLimits: { transportDeviceTelemetryMsgRateLimit: limit } });
            const { cert, deviceId } = await x509Device(tb, dir, `backlog-${release}`);
            const { conn, states } = track(connectionFor(tb, cert, { commonName: 'backlog' }));
            const count = expectPacing === 'learned' ? 150 : 250;
            const results = [];
            for (let i = 0; i < count; i++) results.push(publish(conn, 'v1/devices/me/telemetry', { i }));
            const errors = (await Promise.all(results)).filter(Boolean);
            assert.deepStrictEqual(errors, []);
            const stored = tb.telemetry(deviceId).map((e) => e.values.i);
            assert.deepStrictEqual([...new Set(stored)].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), 'every message stored');
            const forced = tb.rateLimitViolations().length;
            assert.ok(forced <= 2, `${forced} forced disconnects`);
            if (expectPacing === 'getSessionLimits') {
                assert.strictEqual(forced, 0, 'paced by the reported limits');
                assert.ok(states.some((s) => s.rateLimited), 'status said "rate limited"');
            }
        });
    }

    it('connects one certificate to two servers at once', async function () {
        const one = await sim();
        const two = await sim();
        const { cert } = await x509Device(one, dir, 'twice');
        const res = await curl(two, 'POST', '/api/device-with-credentials', {
            auth: bearer((await login(two)).token), body: { device: { name: 'twice' }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
        });
        assert.strictEqual(res.status, 200, res.text);
        const registry = new IdentityRegistry();
        const a = track(connectionFor(one, cert, { registry, label: 'Server 1', credentialsId: 'same' }));
        const b = track(connectionFor(two, cert, { registry, label: 'Server 2', credentialsId: 'same' }));
        assert.strictEqual(await publish(a.conn, 'v1/devices/me/telemetry', { s: 1 }), undefined);
        assert.strictEqual(await publish(b.conn, 'v1/devices/me/telemetry', { s: 2 }), undefined);
        assert.deepStrictEqual([...a.warnings, ...b.warnings], []);
    });
});
