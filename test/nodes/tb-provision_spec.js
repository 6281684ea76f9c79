'use strict';
// tb-provision as a user wires it: inject → x509-generate → tb-provision against the
// ThingsBoard stand-in, then an independent client (mosquitto_pub) connects with the
// generated identity and its telemetry arrives. Also: the config's own identity as the
// certificate source, and the errors a half-configured node gives. The onboarding runs against every
// tested ThingsBoard release.
const assert = require('assert');
const path = require('path');
const { execFile } = require('child_process');
const { helper, nodes, coreNode } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { selfSigned, useSimAndNodeRed, simRest, provisionError, provisionOk } = require('../provision/support');
const { forEachRelease } = require('../support/releases');
const { coded } = require('../support/errors');
const { recordOutNode } = require('../support/mqtt-out-flow');

const injectNode = coreNode('core/common/20-inject.js');
const catchNode = coreNode('core/common/25-catch.js');
const completeNode = coreNode('core/common/24-complete.js');

function mosquittoPub(args) {
    return new Promise((resolve) => {
        execFile('mosquitto_pub', args, { timeout: 20000 }, (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` }));
    });
}

const waitFor = (predicate, timeoutMs = 10000) => pollUntil(predicate, timeoutMs, 50);

forEachRelease('tb-provision node: onboarding and gateway marking', function (tbVersion) {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-provision-node-', simOptions: { tbVersion } });

    it('onboards a device: inject → x509-generate → tb-provision, then mosquitto_pub publishes with that identity', async function () {
        const keyStore = path.join(dir, 'keystore-onboard');
        const flow = [
            {
                id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort),
                restUrl: sim.restUrl, keyStore,
            },
            {
                id: 'start', type: 'inject', once: true, onceDelay: 0.1, repeat: '', topic: '',
                props: [{ p: 'deviceName', v: 'onboard-1', vt: 'str' }], wires: [['gen']],
            },
            { id: 'gen', type: 'x509-generate', config: 'cfg', keyType: 'ec', curve: 'P-256', commonName: 'deviceName', commonNameType: 'msg', days: '30', reuse: true, wires: [['prov']] },
            { id: 'prov', type: 'tb-provision', config: 'cfg', deviceName: 'deviceName', deviceNameType: 'msg', wires: [['out']] },
            { id: 'out', type: 'helper' },
        ];
        const credentials = { cfg: { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password } };
        const provisioned = [];
        const outputs = [];
        await helper.load([injectNode, nodes.config, nodes.generate, nodes.provision], flow, credentials);
        const runtime = helper.getNode('cfg').runtime;
        const notifyProvisioned = runtime.notifyProvisioned.bind(runtime);
        runtime.notifyProvisioned = (id) => {
            provisioned.push(id);
            notifyProvisioned(id);
        };
        helper.getNode('out').on('input', (msg) => outputs.push(msg));
        const errors = [];
        helper.getNode('prov').on('call:error', (call) => errors.push(call.args[0]));
        helper.getNode('gen').on('call:error', (call) => errors.push(call.args[0]));
        await waitFor(() => outputs.length || errors.length, 20000);
        assert.deepStrictEqual(errors, []);
        const msg = outputs[0];
        const device = sim.findDeviceByName('onboard-1');
        assert.ok(device, 'device created in ThingsBoard');
        assert.deepStrictEqual(msg.payload, { deviceId: device.id, deviceName: 'onboard-1', created: true, credentialsType: 'X509_CERTIFICATE' });
        assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
        assert.deepStrictEqual(provisioned, [device.credentials.id], 'the config was told');

        const certFile = path.join(keyStore, 'cert.pem');
        const keyFile = path.join(keyStore, 'key.pem');
        const published = await mosquittoPub([
            '-h', '127.0.0.1', '-p', String(sim.mqttPort), '--cafile', sim.caFile, '--cert', certFile, '--key', keyFile,
            '-V', 'mqttv311', '-q', '1', '-i', 'onboard-1-client', '-t', 'v1/devices/me/telemetry', '-m', '{"temperature":25}',
        ]);
        assert.strictEqual(published.code, 0, published.output);
        await waitFor(() => sim.telemetry(device.id).length);
        assert.deepStrictEqual(sim.telemetry(device.id).map((entry) => entry.values), [{ temperature: 25 }]);
        const readBack = await simRest(sim, 'GET', `/api/plugins/telemetry/DEVICE/${device.id}/values/timeseries?keys=temperature`);
        assert.strictEqual(readBack.status, 200);
        assert.strictEqual(String(readBack.body.temperature[0].value), '25');
    });

    it('reconnects the config\'s open connection, so gateway telemetry is accepted at once', async function () {
        const identity = selfSigned(dir, 'gw-live');
        const registered = await simRest(sim, 'POST', '/api/device-with-credentials', {
            device: { name: 'gw-live' },
            credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: identity.leafBase64 },
        });
        assert.strictEqual(registered.status, 200, JSON.stringify(registered.body));
        const deviceId = registered.body.id.id;
        const flow = [
            { id: 'tab', type: 'tab' },
            { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort), restUrl: sim.restUrl, keyStore: path.join(dir, 'ks-gw') },
            { id: 'out', z: 'tab', x: 100, y: 100, type: 'tb-x509-mqtt-out', config: 'cfg', target: 'msg', qos: '1', key: '', queueSize: '10' },
            { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', x: 100, y: 100, type: 'helper' },
            { id: 'complete', z: 'tab', x: 100, y: 100, type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
            { id: 'completed', z: 'tab', x: 100, y: 100, type: 'helper' },
            { id: 'prov', z: 'tab', x: 100, y: 100, type: 'tb-provision', config: 'cfg', deviceName: '', deviceNameType: 'str', gateway: true, wires: [['provOut']] },
            { id: 'provOut', z: 'tab', x: 100, y: 100, type: 'helper' },
        ];
        const connects = [];
        const onConnect = (info) => { if (info.deviceId === deviceId) connects.push(info); };
        sim.events.on('connect', onConnect);
        try {
            await helper.load([nodes.config, nodes.mqttOut, nodes.provision, catchNode, completeNode], flow, {
                cfg: { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password, cert: identity.certPem, key: identity.keyPem },
            });
            const { out, caught, completed } = recordOutNode();
            out.receive({ topic: 'v1/devices/me/telemetry', payload: { uptime: 1 } });
            await waitFor(() => completed.length === 1 || caught.length);
            assert.deepStrictEqual(caught, []);
            assert.strictEqual(connects.length, 1, 'one session, not a gateway session');

            const logStart = sim.requestLog().length;
            await provisionOk({ prov: helper.getNode('prov'), out: helper.getNode('provOut') }, { payload: 'mark' });
            assert.strictEqual(sim.findDeviceByName('gw-live').additionalInfo.gateway, true);
            assert.ok(!sim.requestLog().slice(logStart).some((r) => r.path === '/api/device/credentials'), 'the unchanged certificate was not posted');
            // Nothing else ends the session (the credentials did not change): the config reconnected on its own.
            await waitFor(() => connects.length === 2);

            out.receive({ topic: 'v1/gateway/telemetry', payload: { 'pump-9': [{ flow: 3 }] } });
            await waitFor(() => completed.length === 2 || caught.length);
            assert.deepStrictEqual(caught, []);
            const pump = sim.findDeviceByName('pump-9');
            assert.ok(pump, 'the gateway created its device');
            assert.deepStrictEqual(sim.telemetry(pump.id).map((entry) => entry.values), [{ flow: 3 }]);
        } finally {
            sim.events.off('connect', onConnect);
        }
    });
});

describe('tb-provision node', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-provision-node-' });

    it('registers the config\'s own identity when the msg carries no certificate', async function () {
        const cert = selfSigned(dir, 'own-identity');
        const flow = [
            { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort), restUrl: sim.restUrl, keyStore: path.join(dir, 'ks-own') },
            { id: 'prov', type: 'tb-provision', config: 'cfg', deviceName: '', deviceNameType: 'str', wires: [['out']] },
            { id: 'out', type: 'helper' },
        ];
        await helper.load([nodes.config, nodes.provision], flow, {
            cfg: { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password, cert: cert.certPem, key: cert.keyPem },
        });
        const msg = await provisionOk({ prov: helper.getNode('prov'), out: helper.getNode('out') }, { payload: 'go' });
        assert.strictEqual(msg.payload.deviceName, 'own-identity', 'named after the certificate CN');
        assert.strictEqual(sim.findDeviceByName('own-identity').credentials.id, cert.credentialsId);
    });

    it('says when there is no certificate anywhere', async function () {
        const flow = [
            { id: 'cfg', type: 'tb-x509-config', name: 'empty', host: sim.mqttHost, restUrl: sim.restUrl, keyStore: path.join(dir, 'ks-empty') },
            { id: 'prov', type: 'tb-provision', config: 'cfg', wires: [['out']] },
            { id: 'out', type: 'helper' },
        ];
        await helper.load([nodes.config, nodes.provision], flow, { cfg: { ca: sim.caPem, apiKey: sim.apiKey } });
        const error = await provisionError({ prov: helper.getNode('prov'), out: helper.getNode('out') }, { deviceName: 'x', payload: {} });
        coded('TB_NO_CERTIFICATE', { config: 'empty' }, 'put one in msg.payload.certificate or msg.certificate')(error);
    });

    it('says when its config node is missing', async function () {
        const flow = [
            { id: 'prov', type: 'tb-provision', config: 'nowhere', wires: [['out']] },
            { id: 'out', type: 'helper' },
        ];
        await helper.load([nodes.config, nodes.provision], flow);
        const error = await provisionError({ prov: helper.getNode('prov'), out: helper.getNode('out') }, { deviceName: 'x', payload: {} });
        coded('TB_NO_CONFIG', {}, 'choose a config node and deploy')(error);
    });

    it('hands a Catch node the refusal code beside the text, so a flow can tell refusals apart', async function () {
        const flow = [
            { id: 'tab', type: 'tab' },
            { id: 'prov', z: 'tab', x: 100, y: 100, type: 'tb-provision', config: 'nowhere', wires: [[]] },
            { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: ['prov'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', x: 100, y: 100, type: 'helper' },
        ];
        await helper.load([nodes.config, nodes.provision, catchNode], flow);
        const caught = new Promise((resolve) => helper.getNode('caught').once('input', resolve));
        helper.getNode('prov').receive({ deviceName: 'x', payload: {} });
        const msg = await caught;
        assert.strictEqual(msg.error.code, 'TB_NO_CONFIG');
        assert.strictEqual(msg.error.source.id, 'prov');
        assert.ok(msg.error.message.includes('choose a config node and deploy'), msg.error.message);
    });
});
