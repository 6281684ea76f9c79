'use strict';
// Each example flow, imported as a user would, against tbsim: the device exists, telemetry arrives.
// Onboarding (1) and streaming (2) run against every tested ThingsBoard release, the failure path and
// the gateway example against the newest (the gateway path of every release: test/nodes/tb-provision_spec.js).
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { selfSignedEc } = require('../support/openssl');
const { startTbsim, deployExamples, watchEditor, waitFor: waitUntil, credentialsIdOf, rest } = require('./support');
const { forEachRelease, NEWEST_RELEASE } = require('../support/releases');

const CONFIG_ID = 'a1b2c3d4e5f60718'; // the tb-x509-config shared by examples 1 and 2
const GATEWAY_CONFIG_ID = 'c3d4e5f607182930';
const FLEET_CONFIG_ID = 'e5f60718293a4b5c';

function assertNoErrorsLogged(deployment) {
    const errors = deployment.output().split('\n').filter((line) => /\[error\]/.test(line));
    assert.deepStrictEqual(errors, []);
}

forEachRelease('example flows against tbsim', function (tbVersion) {
    this.timeout(90000);
    let tbsim;
    let deployment;
    // What a timeout message shows: Node-RED's log and the REST calls tbsim answered.
    const seen = () => `--- Node-RED:\n${deployment ? deployment.output() : ''}\n--- tbsim REST:\n` +
        tbsim.requestLog().map((r) => `${r.method} ${r.path} ${r.status}`).join('\n');
    const waitFor = (what, probe) => waitUntil(what, probe, 30000, seen);

    before(async () => {
        tbsim = await startTbsim({ restPort: 0, mqttPort: 0, tbVersion });
    });
    afterEach(async () => {
        if (deployment) await deployment.stop();
        deployment = undefined;
    });
    after(async () => {
        if (tbsim) await tbsim.stop();
    });

    it('"1 Onboard a device" registers sensor-1 with the certificate it keeps in the config key store, and reuses it after a restart', async function () {
        deployment = await deployExamples(tbsim, ['1 Onboard a device']);
        const device = await waitFor('sensor-1 in tbsim', () => {
            const d = tbsim.findDeviceByName('sensor-1');
            return d && d.credentials && d.credentials.type === 'X509_CERTIFICATE' && d;
        });
        const keyStore = path.join(deployment.userDir, 'tb-x509', CONFIG_ID);
        const certPem = fs.readFileSync(path.join(keyStore, 'cert.pem'), 'utf8');
        assert.strictEqual(device.credentials.id, credentialsIdOf(certPem));
        assert.match(new crypto.X509Certificate(certPem).subject, /CN=sensor-1/);
        assert.strictEqual(fs.statSync(path.join(keyStore, 'key.pem')).mode & 0o777, 0o600);
        const editor = await watchEditor(deployment.url());
        try {
            const status = await waitFor('tb-provision status', () => editor.statuses.get('1a00000000000005'));
            assert.strictEqual(status.fill, 'green', JSON.stringify(status));
            assert.match(status.text, /sensor-1/);
        } finally {
            editor.close();
        }
        assertNoErrorsLogged(deployment);

        // The flow runs at every start: the identity is reused, the device keeps its credentials.
        const requestsBefore = tbsim.requestLog().length;
        await deployment.restart();
        await waitFor('the onboarding flow to run again', () =>
            tbsim.requestLog().slice(requestsBefore).some((r) => /\/credentials$/.test(r.path)));
        assert.strictEqual(fs.readFileSync(path.join(keyStore, 'cert.pem'), 'utf8'), certPem);
        const again = tbsim.findDeviceByName('sensor-1');
        assert.strictEqual(again.id, device.id);
        assert.strictEqual(again.credentials.id, device.credentials.id);
        assertNoErrorsLogged(deployment);
    });

    it('"2 Stream a simulated sensor" publishes temperature and humidity every second with the config identity', async function () {
        // An identity made and registered outside this package (openssl + the REST API).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-x509-stream-'));
        try {
            const { certPem: cert, keyPem: key } = selfSignedEc({
                keyFile: path.join(dir, 'key.pem'), certFile: path.join(dir, 'cert.pem'), commonName: 'stream-example',
            });
            const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
            const created = await rest(tbsim, 'POST', '/api/device-with-credentials', {
                device: { name: 'stream-example' },
                credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: body },
            });
            const deviceId = created.id.id;

            deployment = await deployExamples(tbsim, ['2 Stream a simulated sensor'], { [CONFIG_ID]: { cert, key } });
            const entries = await waitFor('three readings from stream-example', () => {
                const t = tbsim.telemetry(deviceId);
                return t.length >= 3 && t;
            });
            for (const entry of entries) {
                assert.deepStrictEqual(Object.keys(entry.values).sort(), ['humidity', 'temperature']);
                assert.strictEqual(typeof entry.values.temperature, 'number');
                assert.strictEqual(typeof entry.values.humidity, 'number');
            }
            // Complete → debug counts delivered readings in its status.
            const editor = await watchEditor(deployment.url());
            try {
                await waitFor('the "readings delivered" counter', () => {
                    const status = editor.statuses.get('1b00000000000007');
                    return status && Number(status.text) >= 1;
                });
                assert.strictEqual(editor.statuses.get('1b00000000000005').fill, 'green');
            } finally {
                editor.close();
            }
            assertNoErrorsLogged(deployment);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    if (tbVersion === NEWEST_RELEASE) it('"2 Stream a simulated sensor" reports undeliverable readings to its Catch node while the certificate is not registered', async function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-x509-stream-'));
        try {
            const { certPem: cert, keyPem: key } = selfSignedEc({
                keyFile: path.join(dir, 'key.pem'), certFile: path.join(dir, 'cert.pem'), commonName: 'never-registered',
            });
            deployment = await deployExamples(tbsim, ['2 Stream a simulated sensor'], { [CONFIG_ID]: { cert, key } });
            const editor = await watchEditor(deployment.url());
            try {
                const caught = await waitFor('a "delivery error" debug message',
                    () => editor.debug.find((d) => d.id === '1b00000000000009'));
                const text = String(caught.msg);
                assert.match(text, /refused the device certificate/);
                assert.doesNotMatch(text, /PRIVATE KEY/);
                const status = editor.statuses.get('1b00000000000005');
                assert.strictEqual(status.fill, 'red', JSON.stringify(status));
                assert.ok(!editor.statuses.get('1b00000000000007') || !Number(editor.statuses.get('1b00000000000007').text),
                    'nothing counted as delivered');
            } finally {
                editor.close();
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    if (tbVersion === NEWEST_RELEASE) it('"5 Onboard a fleet" sets up the chain profile, and every listed device is created at its first connect and streams on its own connection', async function () {
        const names = ['pump-1', 'pump-2', 'boiler-1', 'chiller-1', 'fan-1'];
        for (const name of names) assert.strictEqual(tbsim.findDeviceByName(name), undefined);
        deployment = await deployExamples(tbsim, ['5 Onboard a fleet']);
        for (const name of names) {
            const device = await waitFor(`${name} created with telemetry`, () => {
                const d = tbsim.findDeviceByName(name);
                return d && tbsim.telemetry(d.id).some((e) => e.values.online === true) && d;
            });
            assert.strictEqual(device.type, 'node-red-fleet', `${name} created by the chain profile`);
            assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
            // the certificate ThingsBoard holds is the leaf kept in the fleet key store for that device
            const keyStore = path.join(deployment.userDir, 'tb-x509', FLEET_CONFIG_ID, name);
            assert.strictEqual(device.credentials.id, credentialsIdOf(fs.readFileSync(path.join(keyStore, 'cert.pem'), 'utf8')));
        }
        await waitFor('a reading from every device', () => names.every((name) =>
            tbsim.telemetry(tbsim.findDeviceByName(name).id).some((e) => typeof e.values.temperature === 'number')));
        const sessions = tbsim.sessions().map((s) => s.deviceId);
        assert.strictEqual(new Set(sessions).size, sessions.length, 'one session per device');
        assert.strictEqual(sessions.length, names.length);
        const editor = await watchEditor(deployment.url());
        try {
            const status = await waitFor('the summed status', () => {
                const s = editor.statuses.get('1e0000000000000a');
                return s && s.text === '5 connected, 0 queued' && s;
            });
            assert.strictEqual(status.fill, 'green');
        } finally {
            editor.close();
        }
        assertNoErrorsLogged(deployment);
    });

    if (tbVersion === NEWEST_RELEASE) it('"3 Gateway - onboard a device list" onboards the gateway and streams for every listed device', async function () {
        // Nothing is prepared in ThingsBoard: the example itself creates node-red-gateway marked "Is gateway".
        assert.strictEqual(tbsim.findDeviceByName('node-red-gateway'), undefined);

        deployment = await deployExamples(tbsim, ['3 Gateway - onboard a device list']);
        const gateway = await waitFor('the gateway certificate in tbsim', () => {
            const d = tbsim.findDeviceByName('node-red-gateway');
            return d && d.credentials && d.credentials.type === 'X509_CERTIFICATE' && d;
        });
        const certPem = fs.readFileSync(path.join(deployment.userDir, 'tb-x509', GATEWAY_CONFIG_ID, 'cert.pem'), 'utf8');
        assert.strictEqual(gateway.credentials.id, credentialsIdOf(certPem));
        // tbsim accepts v1/gateway/* only from a marked device, so the telemetry below depends on this too.
        assert.strictEqual(gateway.additionalInfo && gateway.additionalInfo.gateway, true, 'tb-provision marked the gateway');

        for (const name of ['pump-1', 'pump-2', 'boiler-1']) {
            const device = await waitFor(`telemetry of ${name}`, () => {
                const d = tbsim.findDeviceByName(name);
                return d && tbsim.telemetry(d.id).length > 0 && d;
            });
            assert.strictEqual(typeof tbsim.telemetry(device.id)[0].values.temperature, 'number');
        }

        // RPC to a listed device is answered by the flow, also after the gateway's session was kicked
        const pump = tbsim.findDeviceByName('pump-2');
        await waitFor('pump-2 subscribed to RPC through the gateway', () => tbsim.pushSubscribers(pump.id).rpc === 1);
        const off = await rest(tbsim, 'POST', `/api/rpc/twoway/${pump.id}`, { method: 'setRunning', params: { on: false }, timeout: 5000 });
        assert.deepStrictEqual(off, { device: 'pump-2', running: false });
        tbsim.kick(gateway.id);
        await waitFor('the gateway session gone', () => tbsim.pushSubscribers(pump.id).rpc === 0);
        await waitFor('pump-2 announced again after the reconnect', () => tbsim.sessions().some((x) => x.deviceId === gateway.id) && tbsim.pushSubscribers(pump.id).rpc === 1);
        const state = await rest(tbsim, 'POST', `/api/rpc/twoway/${pump.id}`, { method: 'getState', params: {}, timeout: 5000 });
        assert.deepStrictEqual(state, { device: 'pump-2', running: false });
        assertNoErrorsLogged(deployment);
    });

    if (tbVersion === NEWEST_RELEASE) it('"4 Remote control" answers setValve over RPC, reports the state, and follows the shared attribute interval', async function () {
        deployment = await deployExamples(tbsim, ['4 Remote control']);
        const valve = await waitFor('valve-1 registered and subscribed to RPC', () => {
            const d = tbsim.findDeviceByName('valve-1');
            return d && tbsim.pushSubscribers(d.id).rpc === 1 && tbsim.pushSubscribers(d.id).attributes === 1 && d;
        });
        const reply = await rest(tbsim, 'POST', `/api/rpc/twoway/${valve.id}`, { method: 'setValve', params: { open: true }, timeout: 5000 });
        assert.deepStrictEqual(reply, { open: true });
        await waitFor('the state reported as attribute valveOpen', () => tbsim.attributes(valve.id).valveOpen === true);
        await waitFor('a reading with the valve open', () => tbsim.telemetry(valve.id).some((e) => e.values.valveOpen === true));

        // default: one reading every 5 s; the shared attribute interval = 1 makes it one a second
        await rest(tbsim, 'POST', `/api/plugins/telemetry/DEVICE/${valve.id}/SHARED_SCOPE`, { interval: 1 });
        const before = tbsim.telemetry(valve.id).length;
        await waitFor('four readings at the new interval', () => tbsim.telemetry(valve.id).length >= before + 4);

        // after the session was kicked, RPC still reaches the flow without a redeploy
        tbsim.kick(valve.id);
        await waitFor('the session gone', () => tbsim.pushSubscribers(valve.id).rpc === 0);
        await waitFor('valve-1 back', () => tbsim.sessions().some((x) => x.deviceId === valve.id) && tbsim.pushSubscribers(valve.id).rpc === 1);
        const closed = await rest(tbsim, 'POST', `/api/rpc/twoway/${valve.id}`, { method: 'setValve', params: { open: false }, timeout: 5000 });
        assert.deepStrictEqual(closed, { open: false });
        await waitFor('valveOpen reported false', () => tbsim.attributes(valve.id).valveOpen === false);
        assertNoErrorsLogged(deployment);
    });
});
