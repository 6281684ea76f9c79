'use strict';
// A fleet config's device connections (FleetPool) against the ThingsBoard stand-in: one
// connection per msg.deviceName, devices unknown to ThingsBoard created from their chain on
// first connect, maxConnections with least-recently-used closing that loses nothing, idle
// close and reopen, a renewed certificate swapped in without loss, and the summed status.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir } = require('../tbsim/support');

const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { FleetPool } = require(path.join(lib, 'mqtt', 'fleet-pool.js'));
const { fleetStatus } = require(path.join(lib, 'mqtt', 'fleet-status.js'));
const { IdentityRegistry } = require(path.join(lib, 'mqtt', 'identity-registry.js'));
const { FleetKeyStore } = require(path.join(lib, 'pki', 'fleet-keystore.js'));
const { CertificateAuthority } = require(path.join(lib, 'pki', 'ca.js'));

const TELEMETRY = 'v1/devices/me/telemetry';

async function until(predicate, ms = 20000, what = 'condition') {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe('fleet status (summed per node)', function () {
    const connected = { phase: 'connected', queued: 0 };
    it('counts connected devices and queued messages; green only when every open device is connected', function () {
        assert.deepStrictEqual(
            { ...fleetStatus([connected, { phase: 'connected', queued: 3 }]), english: undefined },
            { fill: 'green', shape: 'dot', key: 'mqtt-fleet', english: undefined, params: { connected: 2, queued: 3 } },
        );
        const opening = fleetStatus([connected, { phase: 'connecting', queued: 2 }, { phase: 'idle', queued: 1 }]);
        assert.strictEqual(opening.fill, 'yellow');
        assert.deepStrictEqual(opening.params, { connected: 1, queued: 3 });
        assert.strictEqual(fleetStatus([]).fill, 'grey');
    });

    it('shows how many devices fail and the worst failure: a permanent one outranks a transient one', function () {
        const lost = { phase: 'waiting', queued: 4, failure: { class: 'transient', status: 'mqtt-connection-lost' } };
        const rejected = { phase: 'waiting', queued: 0, failure: { class: 'permanent', status: 'mqtt-cert-rejected' }, blocking: new Error('x') };
        const transientOnly = fleetStatus([connected, lost]);
        assert.strictEqual(transientOnly.fill, 'yellow');
        assert.strictEqual(transientOnly.reasonKey, 'mqtt-connection-lost');
        const both = fleetStatus([lost, connected, rejected, lost]);
        assert.strictEqual(both.key, 'mqtt-fleet-failure');
        assert.strictEqual(both.fill, 'red');
        assert.strictEqual(both.reasonKey, 'mqtt-cert-rejected');
        assert.strictEqual(both.params.failing, 3);
        assert.strictEqual(both.params.connected, 1);
        assert.strictEqual(both.params.queued, 8);
    });
});

describe('fleet pool against tbsim', function () {
    this.timeout(120000);
    let sim, dir, authority;
    let counter = 0;
    const pools = [];
    /** device name → telemetry values in the order tbsim received them */
    const arrivals = new Map();
    let connects = [];
    let open = 0;
    let maxOpen = 0;

    before(async function () {
        dir = tempDir('fleet-pool-');
        sim = await startTbsim();
        ({ authority } = await CertificateAuthority.generateRoot('Fleet Pool CA', 30));
        // chain provisioning: a device unknown to ThingsBoard is created at its first connect
        sim.createDeviceProfile({
            name: 'fleet', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: authority.certificatePem,
            certificateRegExPattern: '(.*)\\.fleet\\.example', allowCreateNewDevicesByX509Certificate: true,
        });
        sim.events.on('telemetry', (deviceId, entry) => {
            const device = [...arrivals.keys()].find((name) => sim.findDeviceByName(name)?.id === deviceId);
            if (device) arrivals.get(device).push(entry.values.seq);
        });
        sim.events.on('connect', (info) => {
            connects.push(info.deviceName);
            maxOpen = Math.max(maxOpen, ++open);
        });
        sim.events.on('disconnect', () => open--);
    });
    afterEach(async function () {
        await Promise.all(pools.splice(0).map((p) => p.close()));
        await until(() => open === 0, 10000, 'every session closed');
        connects = [];
        maxOpen = 0;
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    function fleetFor({ maxConnections = 1000, idleTimeout = 300 } = {}) {
        const n = ++counter;
        const store = new FleetKeyStore(path.join(dir, `fleet-${n}`), 'Fleet A');
        const settings = {
            label: 'Fleet A', host: 'localhost', port: sim.mqttPort, verifyServer: true, keepalive: 30,
            keyStoreDir: store.keyStoreDir, identityMode: 'fleet', maxConnections, idleTimeout,
        };
        const registry = new IdentityRegistry();
        registry.setMaxListeners(0); // one listener per device connection, as the process-wide registry allows
        const pool = new FleetPool(settings, `cfg-${n}`, store, async () => sim.caPem, { registry });
        const states = [];
        const warnings = [];
        pool.register('out', { onState: (s) => states.push(s), onWarning: (w) => warnings.push(w) });
        pools.push(pool);
        return { pool, store, states, warnings };
    }

    /** A CA-signed identity for `cn` in the store; ThingsBoard's device name is the part before .fleet.example */
    async function onboard(store, cn) {
        const issued = await authority.issue({ keyType: 'ec', curve: 'P-256', commonName: cn, days: 30 });
        await store.install(cn, { keyPem: issued.keyPem, certPem: issued.certPem + issued.chainPem });
        arrivals.set(cn.replace(/\.fleet\.example$/, ''), arrivals.get(cn.replace(/\.fleet\.example$/, '')) || []);
        return issued;
    }

    function send(pool, deviceName, seq) {
        return new Promise((resolve) => {
            pool.publish('out', deviceName, { topic: TELEMETRY, body: JSON.stringify({ seq }), qos: 1, queueSize: 100000 }, (err) => resolve(err));
        });
    }

    const names = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}-${i}.fleet.example`);
    const deviceOf = (cn) => cn.replace(/\.fleet\.example$/, '');
    const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);

    it('streams 50 devices at once, one connection each; devices unknown to ThingsBoard are created from their chain with the CN-derived name', async function () {
        const { pool, store, states } = fleetFor();
        const devices = names('s50', 50);
        for (const cn of devices) await onboard(store, cn);
        for (const cn of devices) assert.strictEqual(sim.findDeviceByName(deviceOf(cn)), undefined, 'not in ThingsBoard before');
        const results = [];
        for (let seq = 0; seq < 20; seq++) for (const cn of devices) results.push(send(pool, cn, seq));
        const errors = (await Promise.all(results)).filter(Boolean);
        assert.deepStrictEqual(errors.map((e) => e.message), []);
        for (const cn of devices) {
            const device = sim.findDeviceByName(deviceOf(cn));
            assert.ok(device, `${deviceOf(cn)} created`);
            assert.strictEqual(device.type, 'fleet');
            assert.deepStrictEqual(arrivals.get(deviceOf(cn)), range(20), `${deviceOf(cn)}: every message, in order`);
        }
        assert.strictEqual(connects.length, 50, 'one connection per device');
        assert.strictEqual(new Set(connects).size, 50);
        assert.strictEqual(pool.openConnections, 50);
        // the status follows the deliveries (throttled): it settles at 50 connected, nothing queued
        const lastStatus = () => (states.length > 0 ? fleetStatus(states[states.length - 1].devices) : undefined);
        await until(() => lastStatus()?.params.connected === 50 && lastStatus()?.params.queued === 0, 5000, 'summed status');
        assert.strictEqual(lastStatus().fill, 'green');
    });

    it('keeps at most maxConnections open, closes the least recently used first and reopens it for its next message, losing nothing', async function () {
        const { pool, store } = fleetFor({ maxConnections: 10 });
        const devices = names('lru', 30);
        for (const cn of devices) await onboard(store, cn);
        let overLimit = 0;
        const sendChecked = (cn, seq) => send(pool, cn, seq).then((err) => {
            if (pool.openConnections > 10) overLimit++;
            return err;
        });
        for (let round = 0; round < 3; round++) {
            const results = [];
            // interleaved: devices beyond the limit wait while the open ones still have messages pending
            for (let m = 0; m < 5; m++) for (const cn of devices) results.push(sendChecked(cn, round * 5 + m));
            const errors = (await Promise.all(results)).filter(Boolean);
            assert.deepStrictEqual(errors.map((e) => e.message), [], `round ${round}`);
        }
        for (const cn of devices) assert.deepStrictEqual(arrivals.get(deviceOf(cn)), range(15), `${deviceOf(cn)}: every message once, in order`);
        assert.ok(maxOpen <= 10, `at most 10 sessions at once on the server (saw ${maxOpen})`);
        assert.strictEqual(overLimit, 0);
        assert.ok(connects.length > 30, `closed devices reopened (${connects.length} connects for 30 devices)`);
        // all settled, ten open: the next device takes the slot of the least recently used one
        await until(() => pool.openConnections === 10, 5000, 'ten open');
        const [lru, second] = pool.devices();
        assert.strictEqual(await send(pool, lru, 15), undefined); // now the most recently used
        const newcomer = names('lru-new', 1)[0];
        await onboard(store, newcomer);
        assert.strictEqual(await send(pool, newcomer, 0), undefined);
        assert.ok(!pool.devices().includes(second), `${second} (least recently used) closed`);
        assert.ok(pool.devices().includes(lru), `${lru} (used again) stays open`);
        assert.ok(pool.devices().includes(newcomer));
    });

    it('closes a connection idle for idleTimeout and reopens it for the next message', async function () {
        const { pool, store } = fleetFor({ idleTimeout: 1 });
        const [cn] = names('idle', 1);
        await onboard(store, cn);
        assert.strictEqual(await send(pool, cn, 0), undefined);
        assert.strictEqual(pool.openConnections, 1);
        await until(() => pool.openConnections === 0 && open === 0, 5000, 'idle close');
        assert.strictEqual(await send(pool, cn, 1), undefined);
        assert.deepStrictEqual(arrivals.get(deviceOf(cn)), [0, 1]);
        assert.strictEqual(connects.length, 2);
    });

    it('switches a connection to a renewed certificate without losing a queued message; the server rotates the credentials at that connect', async function () {
        const { pool, store } = fleetFor();
        const [cn] = names('renew', 1);
        await onboard(store, cn);
        const results = [];
        for (let seq = 0; seq < 50; seq++) results.push(send(pool, cn, seq));
        await until(() => arrivals.get(deviceOf(cn)).length > 0, 10000, 'first message');
        const oldId = sim.findDeviceByName(deviceOf(cn)).credentials.id;
        const renewed = await onboard(store, cn);
        for (let seq = 50; seq < 100; seq++) results.push(send(pool, cn, seq));
        const errors = (await Promise.all(results)).filter(Boolean);
        assert.deepStrictEqual(errors.map((e) => e.message), []);
        // a message in flight at the swap may arrive twice (QoS 1), none may be missing
        const firstArrivals = [...new Set(arrivals.get(deviceOf(cn)))];
        assert.deepStrictEqual(firstArrivals, range(100));
        assert.strictEqual(connects.length, 2, 'one reconnect, with the new certificate');
        const device = sim.findDeviceByName(deviceOf(cn));
        assert.notStrictEqual(device.credentials.id, oldId);
        assert.strictEqual(device.credentials.id, renewed.credentialsId, 'ThingsBoard holds the renewed certificate');
    });

    it('refuses a message without msg.deviceName, or for a device without identity, naming which', async function () {
        const { pool } = fleetFor();
        const missing = await send(pool, undefined, 0);
        assert.strictEqual(missing.code, 'FLEET_DEVICE_NAME_MISSING');
        assert.strictEqual(missing.params.actual, 'missing');
        assert.strictEqual((await send(pool, '  ', 0)).code, 'FLEET_DEVICE_NAME_MISSING');
        const unknown = await send(pool, 'nobody.fleet.example', 0);
        assert.strictEqual(unknown.code, 'FLEET_DEVICE_UNKNOWN');
        assert.strictEqual(unknown.params.deviceName, 'nobody.fleet.example');
        assert.match(unknown.message, /nobody\.fleet\.example/);
        assert.deepStrictEqual(pool.devices(), []);
        assert.strictEqual(connects.length, 0);
    });

    it('listen: a handler per device connection, on those already open and those opened later, with the device name; gone once its user deregistered', async function () {
        const { pool, store } = fleetFor();
        const [early, late] = names('listen', 2);
        await onboard(store, early);
        await onboard(store, late);
        assert.strictEqual(await send(pool, early, 0), undefined);
        const heard = [];
        const sentinel = [];
        const made = [];
        const filter = 'v1/devices/me/rpc/request/+';
        pool.listen('in', filter, (deviceName) => {
            made.push(deviceName);
            return (topic, payload) => heard.push([deviceName, topic, payload.toString()]);
        });
        pool.listen('in-2', filter, (deviceName) => (topic) => sentinel.push([deviceName, topic]));
        assert.deepStrictEqual(made, [early], 'attached at once to the open connection');
        assert.strictEqual(await send(pool, late, 0), undefined);
        assert.deepStrictEqual(made, [early, late], 'attached to the connection opened later');
        const idEarly = sim.findDeviceByName(deviceOf(early)).id;
        const idLate = sim.findDeviceByName(deviceOf(late)).id;
        await until(() => sim.pushSubscribers(idEarly).rpc === 1 && sim.pushSubscribers(idLate).rpc === 1, 5000, 'both subscribed');
        assert.ok(sim.pushRaw(idEarly, 'v1/devices/me/rpc/request/7', '{"method":"a"}'));
        assert.ok(sim.pushRaw(idLate, 'v1/devices/me/rpc/request/8', '{"method":"b"}'));
        await until(() => heard.length === 2, 5000, 'both pushes heard');
        assert.deepStrictEqual(heard.sort(), [
            [early, 'v1/devices/me/rpc/request/7', '{"method":"a"}'],
            [late, 'v1/devices/me/rpc/request/8', '{"method":"b"}'],
        ]);
        await pool.deregister('in', false);
        assert.ok(sim.pushRaw(idEarly, 'v1/devices/me/rpc/request/9', '{"method":"c"}'));
        await until(() => sentinel.length === 3, 5000, 'the other listener heard it');
        assert.strictEqual(heard.length, 2, 'nothing for the deregistered listener');
    });
});
