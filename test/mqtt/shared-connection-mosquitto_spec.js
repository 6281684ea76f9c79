'use strict';
// The shared connection against a real mosquitto with require_certificate: delivery,
// order across a broker restart, the queue bound, and each failure class.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const { makePki, startMosquitto, tempDir } = require('../support/mosquitto');

const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { SharedConnection } = require(path.join(lib, 'mqtt', 'shared-connection.js'));
const { IdentityRegistry } = require(path.join(lib, 'mqtt', 'identity-registry.js'));

function identityOf(cert, overrides = {}) {
    return {
        certPem: cert.certPem,
        keyPem: cert.keyPem,
        commonName: overrides.commonName || 'bench-device',
        credentialsId: overrides.credentialsId || cert.cert,
        notBefore: overrides.notBefore || new Date(Date.now() - 60000),
        notAfter: overrides.notAfter || new Date(Date.now() + 86400000),
    };
}

function lookup(pki, state) {
    return { current: async () => state.identity, caChain: async () => state.ca ?? pki.ca.certPem };
}

function settingsFor(broker, overrides = {}) {
    return { label: 'Plant A', host: 'localhost', port: broker.port, verifyServer: true, keepalive: 30, keyStoreDir: '/nonexistent', ...overrides };
}

function recorder() {
    const states = [];
    const warnings = [];
    return {
        states, warnings,
        user: { onState: (s) => states.push(s), onWarning: (w) => warnings.push(w) },
        waitFor(predicate, timeoutMs = 15000) {
            const deadline = Date.now() + timeoutMs;
            return new Promise((resolve, reject) => {
                const tick = () => {
                    const hit = states.find(predicate);
                    if (hit) return resolve(hit);
                    if (Date.now() > deadline) return reject(new Error(`state not reached; last: ${JSON.stringify(states[states.length - 1])}`));
                    setTimeout(tick, 20);
                };
                tick();
            });
        },
    };
}

function publish(conn, userId, body, queueSize = 10000, topic = 'plant/telemetry') {
    return new Promise((resolve) => conn.publish(userId, { topic, body, qos: 1, queueSize }, (err) => resolve(err)));
}

async function subscriber(pki, broker, topic, options = {}) {
    const client = mqtt.connect({
        protocol: 'mqtts', host: 'localhost', port: broker.port, ca: pki.ca.certPem, cert: pki.device2.certPem, key: pki.device2.keyPem,
        clientId: options.clientId || `sub-${Date.now()}`, clean: options.clean ?? true, reconnectPeriod: 100, protocolVersion: 4,
    });
    client.on('error', () => undefined);
    await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
    });
    await new Promise((resolve, reject) => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    return client;
}

describe('shared connection against mosquitto (mutual TLS)', function () {
    this.timeout(60000);
    let dir, pki, broker;
    const cleanups = [];

    before(async function () {
        dir = tempDir();
        pki = makePki(dir);
    });
    afterEach(async function () {
        while (cleanups.length) await cleanups.pop()();
        if (broker) await broker.stop();
        broker = undefined;
    });
    after(function () {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    function track(conn) {
        cleanups.push(() => conn.close());
        return conn;
    }

    it('delivers 2000 QoS 1 messages across a broker restart, each done once, in order of first arrival', async function () {
        broker = await startMosquitto({ pki, persistence: true });
        const sub = await subscriber(pki, broker, 'plant/#', { clientId: 'order-sub', clean: false });
        cleanups.push(() => new Promise((r) => sub.end(true, r)));
        const firstArrival = [];
        const seen = new Set();
        let arrivals = 0;
        sub.on('message', (_t, payload) => {
            arrivals++;
            const i = JSON.parse(payload.toString()).i;
            if (!seen.has(i)) {
                seen.add(i);
                firstArrival.push(i);
            }
        });

        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor(broker), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-order' }));
        conn.register('out1', rec.user);
        await rec.waitFor((s) => s.phase === 'connected');

        const doneCount = new Array(2000).fill(0);
        const errors = [];
        const deliveries = [];
        const send = (i) => deliveries.push(new Promise((resolve) => {
            conn.publish('out1', { topic: 'plant/telemetry', body: JSON.stringify({ i }), qos: 1, queueSize: 5000 }, (err) => {
                doneCount[i]++;
                if (err) errors.push(err);
                resolve();
            });
        }));
        for (let i = 0; i < 1000; i++) send(i);
        await broker.stop();
        await rec.waitFor((s) => s.phase === 'waiting');
        for (let i = 1000; i < 2000; i++) send(i);
        await rec.waitFor((s) => s.phase === 'waiting' && s.queued > 0);
        await broker.start();
        await Promise.all(deliveries);
        assert.deepStrictEqual(errors, []);
        assert.ok(doneCount.every((n) => n === 1), 'every message done exactly once');

        const deadline = Date.now() + 20000;
        while (seen.size < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.strictEqual(seen.size, 2000, `subscriber got ${seen.size} distinct messages`);
        assert.deepStrictEqual(firstArrival, Array.from({ length: 2000 }, (_, i) => i), 'order of first arrival');
        assert.ok(arrivals >= 2000);
        assert.ok(rec.states.some((s) => s.phase === 'waiting' && s.failure && s.failure.class === 'transient'));
    });

    it('refuses a new message when the queue is full, and delivers the queued ones after reconnect', async function () {
        broker = await startMosquitto({ pki });
        const port = broker.port;
        await broker.stop();
        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor({ port }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-full' }));
        conn.register('out1', rec.user);
        await rec.waitFor((s) => s.phase === 'waiting' && s.failure && s.failure.status === 'mqtt-connection-refused');
        const queued = [publish(conn, 'out1', '{"a":1}', 2), publish(conn, 'out1', '{"a":2}', 2)];
        const refused = await publish(conn, 'out1', '{"a":3}', 2);
        assert.strictEqual(refused.code, 'MQTT_QUEUE_FULL');
        assert.strictEqual(refused.message, `Not sent: 2 messages already wait for the connection to localhost:${port} (queue size 2). Check the connection, or raise the node's Queue size.`);
        await rec.waitFor((s) => s.phase === 'waiting' && s.queued === 2);
        await broker.start();
        conn.retryNow();
        assert.deepStrictEqual(await Promise.all(queued), [undefined, undefined]);
    });

    it('fails at once with "server certificate not trusted" when the CA does not match the broker', async function () {
        broker = await startMosquitto({ pki });
        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor(broker), lookup(pki, { identity: identityOf(pki.device), ca: pki.otherCa.certPem }), { configId: 'cfg-untrusted' }));
        conn.register('out1', rec.user);
        const early = publish(conn, 'out1', '{"a":1}');
        const state = await rec.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(state.failure.status, 'mqtt-server-untrusted');
        const err = await early;
        assert.strictEqual(err.code, 'MQTT_SERVER_UNTRUSTED');
        assert.match(err.message, /^The server certificate of localhost:\d+ is not trusted \(\w+\)\. Put the server's CA chain/);
        const later = await publish(conn, 'out1', '{"a":2}');
        assert.strictEqual(later.code, 'MQTT_SERVER_UNTRUSTED', 'new messages fail at once');
    });

    it('reports "host name mismatch" when the certificate does not name the host', async function () {
        broker = await startMosquitto({ pki });
        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor(broker, { servername: 'broker.example.com' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-name' }));
        conn.register('out1', rec.user);
        const state = await rec.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(state.failure.status, 'mqtt-host-mismatch');
        assert.strictEqual((await publish(conn, 'out1', '{}')).code, 'MQTT_HOST_MISMATCH');
    });

    it('reports "certificate rejected by server" for a client certificate the broker does not know, then recovers on retryNow', async function () {
        broker = await startMosquitto({ pki });
        const rec = recorder();
        const idState = { identity: identityOf(pki.stranger, { commonName: 'unknown-device' }) };
        const conn = track(new SharedConnection(settingsFor(broker), lookup(pki, idState), { configId: 'cfg-stranger' }));
        conn.register('out1', rec.user);
        const state = await rec.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(state.failure.status, 'mqtt-cert-rejected');
        const err = await publish(conn, 'out1', '{}');
        assert.strictEqual(err.code, 'MQTT_CERT_REJECTED');
        assert.match(err.message, /refused the device certificate of config "Plant A" \(CN "unknown-device"; /);
        // the identity changes (x509-generate, provisioning): the connection retries at once
        idState.identity = identityOf(pki.device);
        rec.states.length = 0;
        conn.retryNow();
        await rec.waitFor((s) => s.phase === 'connected', 5000);
        assert.strictEqual(await publish(conn, 'out1', '{"ok":1}'), undefined);
    });

    it('names "host not found" for a host that does not exist', async function () {
        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor({ port: 8883 }, { host: 'no-such-host.invalid' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-dns' }));
        conn.register('out1', rec.user);
        const state = await rec.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(state.failure.status, 'mqtt-host-not-found');
        const err = await publish(conn, 'out1', '{}');
        assert.strictEqual(err.code, 'MQTT_HOST_NOT_FOUND');
        assert.match(err.message, /^Host "no-such-host.invalid" of config "Plant A" was not found/);
    });

    it('warns before connecting with an expired certificate, and says "no device identity" without one', async function () {
        broker = await startMosquitto({ pki });
        const rec = recorder();
        const expired = identityOf(pki.device, { notAfter: new Date('2020-01-01T00:00:00Z') });
        const conn = track(new SharedConnection(settingsFor(broker), lookup(pki, { identity: expired }), { configId: 'cfg-expired' }));
        conn.register('out1', rec.user);
        await rec.waitFor((s) => s.phase === 'connected' || s.phase === 'waiting');
        assert.strictEqual(rec.warnings.length, 1);
        assert.strictEqual(rec.warnings[0].code, 'CERT_EXPIRED');
        assert.deepStrictEqual(rec.warnings[0].params, { config: 'Plant A', commonName: 'bench-device', date: '2020-01-01T00:00:00.000Z' });
        assert.match(rec.warnings[0].message, /expired on 2020-01-01T00:00:00.000Z/);

        const rec2 = recorder();
        const none = track(new SharedConnection(settingsFor(broker), lookup(pki, { identity: undefined }), { configId: 'cfg-none' }));
        none.register('out1', rec2.user);
        const state = await rec2.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(state.failure.status, 'mqtt-no-identity');
        assert.strictEqual((await publish(none, 'out1', '{}')).code, 'MQTT_NO_IDENTITY');
    });

    it('stays connected across a redeploy of its only user, and closes when the last user is removed', async function () {
        broker = await startMosquitto({ pki });
        const rec = recorder();
        const conn = track(new SharedConnection(settingsFor(broker), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-life' }));
        conn.register('out1', rec.user);
        await rec.waitFor((s) => s.phase === 'connected');
        await conn.deregister('out1', false); // redeploy: closed, not removed
        const again = recorder();
        conn.register('out1', again.user);
        assert.deepStrictEqual(again.states.map((s) => s.phase), ['connected'], 'no reconnect for a redeployed node');
        assert.strictEqual(await publish(conn, 'out1', '{"a":1}'), undefined);
        await conn.deregister('out1', true);
        assert.strictEqual(conn.state().phase, 'idle');
    });

    it('connects one certificate to two servers at once: a session is per server, not per certificate', async function () {
        broker = await startMosquitto({ pki });
        const second = await startMosquitto({ pki });
        cleanups.push(() => second.stop());
        const registry = new IdentityRegistry();
        const recA = recorder();
        const recB = recorder();
        const a = track(new SharedConnection(settingsFor(broker, { label: 'Server 1' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-s1', registry }));
        const b = track(new SharedConnection(settingsFor(second, { label: 'Server 2' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-s2', registry }));
        a.register('outA', recA.user);
        b.register('outB', recB.user);
        await recA.waitFor((s) => s.phase === 'connected');
        await recB.waitFor((s) => s.phase === 'connected');
        assert.deepStrictEqual([...recA.warnings, ...recB.warnings], []);
        assert.strictEqual(await publish(a, 'outA', '{"a":1}'), undefined);
        assert.strictEqual(await publish(b, 'outB', '{"b":1}'), undefined);
    });

    it('keeps a second config with the same certificate off, warning both, until the first lets go', async function () {
        broker = await startMosquitto({ pki });
        const registry = new IdentityRegistry();
        const recA = recorder();
        const recB = recorder();
        const a = track(new SharedConnection(settingsFor(broker, { label: 'Config A' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-a', registry }));
        const b = track(new SharedConnection(settingsFor(broker, { label: 'Config B' }), lookup(pki, { identity: identityOf(pki.device) }), { configId: 'cfg-b', registry }));
        a.register('outA', recA.user);
        await recA.waitFor((s) => s.phase === 'connected');
        b.register('outB', recB.user);
        const blocked = await recB.waitFor((s) => s.phase === 'waiting');
        assert.strictEqual(blocked.failure.status, 'mqtt-identity-in-use');
        assert.strictEqual(blocked.heldBy, 'Config A');
        const expected = 'Configs "Config A" and "Config B" hold the same device certificate (CN "bench-device"). ThingsBoard allows one session per device: only "Config A" connects. Give each config its own certificate.';
        assert.deepStrictEqual(recA.warnings.map((w) => w.message), [expected]);
        assert.deepStrictEqual(recB.warnings.map((w) => w.message), [expected]);
        assert.strictEqual((await publish(b, 'outB', '{}')).code, 'MQTT_IDENTITY_IN_USE');
        assert.ok(recA.states.every((s) => s.phase !== 'waiting'), 'the holder was never disconnected');
        await a.deregister('outA', true);
        await recB.waitFor((s) => s.phase === 'connected', 5000);
        assert.strictEqual(await publish(b, 'outB', '{"b":1}'), undefined);
    });
});
