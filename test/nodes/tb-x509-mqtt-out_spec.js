'use strict';
// tb-x509-mqtt-out in a Node-RED flow against the ThingsBoard stand-in: telemetry lands on
// the device whose certificate the config holds, every payload form, attributes, gateway
// topics, each refusal reaching a Catch node, Complete only after the server's PUBACK, and
// the unregistered-certificate case recovering once the certificate is provisioned.
const assert = require('assert');
const mqtt = require('mqtt');
const path = require('path');
const { helper, nodes, coreNode, dist } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { recordOutNode } = require('../support/mqtt-out-flow');
const { selfSigned, signedByCa, useSimAndNodeRed, simRest } = require('../provision/support');

const catchNode = coreNode('core/common/25-catch.js');
const completeNode = coreNode('core/common/24-complete.js');

const waitFor = (predicate, timeoutMs = 15000) => pollUntil(predicate, timeoutMs);

async function registerDevice(sim, name, certPem, additionalInfo) {
    const res = await simRest(sim, 'POST', '/api/device-with-credentials', {
        device: { name, type: 'default', ...(additionalInfo ? { additionalInfo } : {}) },
        credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: certPem },
    });
    assert.strictEqual(res.status, 200, JSON.stringify(res.body));
    return res.body.id.id;
}

/** cfg + out (+ catch → caught, complete → completed) on one tab. */
function flowFor(sim, identity, out = {}) {
    // nodes on a tab need x/y, or the runtime takes them for config nodes
    return onTab([
        { id: 'tab', type: 'tab' },
        { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort) },
        { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: 'telemetry', qos: '1', key: '', queueSize: '1000', ...out },
        { id: 'catch', z: 'tab', type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
        { id: 'complete', z: 'tab', type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
        { id: 'completed', z: 'tab', type: 'helper' },
    ]);
}

function onTab(flow) {
    return flow.map((n) => (n.z ? { x: 100, y: 100, ...n } : n));
}

describe('tb-x509-mqtt-out against tbsim', function () {
    this.timeout(60000);
    let sim, dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-mqtt-out-' });

    async function load(identity, out = {}) {
        const credentials = { cfg: { ca: sim.caPem, cert: identity.certPem, key: identity.keyPem } };
        await helper.load([nodes.config, nodes.mqttOut, catchNode, completeNode], flowFor(sim, identity, out), credentials);
        return recordOutNode();
    }

    it('publishes every payload form as telemetry of the device that owns the certificate', async function () {
        const id = selfSigned(dir, 'forms-1');
        const deviceId = await registerDevice(sim, 'forms-1', id.certPem);
        const other = selfSigned(dir, 'forms-other');
        await registerDevice(sim, 'forms-other', other.certPem);
        const { out, caught, completed, statuses } = await load(id);
        await waitFor(() => statuses.some((s) => s.text === 'connected'));
        assert.deepStrictEqual(statuses[0], { fill: 'yellow', shape: 'ring', text: 'connecting' });
        assert.deepStrictEqual(statuses.find((s) => s.text === 'connected'), { fill: 'green', shape: 'dot', text: 'connected' });

        const msgs = [
            { payload: { temperature: 25 } },
            { payload: '{"humidity": 60}' },
            { payload: [{ a: 1 }, { ts: 1700000000000, values: { b: 2 } }] },
            { payload: { pressure: 1013 }, timestamp: 1700000001000 },
            { payload: { door: true }, timestamp: new Date(1700000002000) },
        ];
        for (const msg of msgs) out.receive(msg);
        await waitFor(() => completed.length === msgs.length);
        assert.deepStrictEqual(caught, []);
        const values = sim.telemetry(deviceId);
        const byKey = (k) => values.filter((e) => k in e.values).map((e) => e.values[k]);
        assert.deepStrictEqual(byKey('temperature'), [25]);
        assert.deepStrictEqual(byKey('humidity'), [60]);
        assert.deepStrictEqual(byKey('a'), [1]);
        assert.deepStrictEqual(values.find((e) => 'b' in e.values).ts, 1700000000000);
        assert.strictEqual(values.find((e) => 'pressure' in e.values).ts, 1700000001000);
        assert.strictEqual(values.find((e) => 'door' in e.values).ts, 1700000002000);
        assert.deepStrictEqual(sim.telemetry(sim.findDeviceByName('forms-other').id), [], 'nothing on another device');
        assert.ok(sim.sessions().some((s) => s.deviceId === deviceId && s.protocolVersion === 5), 'one MQTT 5 session of that device');
    });

    it('wraps bare values with the node\'s key; a string stays a value', async function () {
        const id = selfSigned(dir, 'key-1');
        const deviceId = await registerDevice(sim, 'key-1', id.certPem);
        const { out, caught, completed } = await load(id, { key: 'level' });
        for (const payload of [7, 'high', true]) out.receive({ payload });
        out.receive({ payload: 8, timestamp: 1700000003000 });
        await waitFor(() => completed.length === 4);
        assert.deepStrictEqual(caught, []);
        assert.deepStrictEqual(sim.telemetry(deviceId).map((e) => e.values.level), [7, 'high', true, 8]);
        assert.strictEqual(sim.telemetry(deviceId)[3].ts, 1700000003000);
    });

    it('publishes attributes, and the gateway topics for sub-devices', async function () {
        const id = selfSigned(dir, 'gw-1');
        const gatewayId = await registerDevice(sim, 'gw-1', id.certPem, { gateway: true });
        const { out, caught, completed } = await load(id, { target: 'msg' });
        out.receive({ topic: 'v1/devices/me/attributes', payload: { firmware: 'v1.2' } });
        out.receive({ topic: 'v1/gateway/connect', payload: { device: 'Sensor A', type: 'default' } });
        out.receive({ topic: 'v1/gateway/telemetry', payload: { 'Sensor A': [{ temperature: 21 }] } });
        out.receive({ topic: 'v1/gateway/attributes', payload: { 'Sensor A': { room: 'lab' } } });
        await waitFor(() => completed.length + caught.length === 4);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        assert.strictEqual(sim.attributes(gatewayId).firmware, 'v1.2');
        const sensor = await waitFor(() => sim.findDeviceByName('Sensor A'));
        await waitFor(() => sim.telemetry(sensor.id).length === 1);
        assert.deepStrictEqual(sim.telemetry(sensor.id)[0].values, { temperature: 21 });
        assert.strictEqual(sim.attributes(sensor.id).room, 'lab');
    });

    it('sends refused payloads and topics to the Catch node with the reason, sending nothing', async function () {
        const id = selfSigned(dir, 'errors-1');
        const deviceId = await registerDevice(sim, 'errors-1', id.certPem);
        const { out, caught, completed, statuses } = await load(id, { target: 'msg' });
        await waitFor(() => statuses.some((s) => s.text === 'connected'));
        const bad = [
            { topic: 'v1/devices/me/telemetry', payload: 42 },
            { topic: 'v1/devices/me/telemetry', payload: 'not json' },
            { topic: 'v1/devices/me/telemetry', payload: [{ a: 1 }], timestamp: 1700000000000 },
            { topic: 'v1/devices/me/telemetry', payload: { big: 'x'.repeat(70000) } },
            { topic: 'sensors/temperature', payload: { t: 1 } },
            { topic: 'v1/gateway/telemetry', payload: { 'Dev A': { t: 1 } } },
        ];
        for (const msg of bad) out.receive(msg);
        await waitFor(() => caught.length === bad.length);
        // Node-RED puts String(err) into msg.error.message, hence "Error: "
        assert.deepStrictEqual(caught.map((m) => m.error.message.replace(/^Error: /, '').slice(0, 40)), [
            'msg.payload is a bare number, but Things',
            'msg.payload is text that is not JSON (Un',
            'msg.timestamp is set but msg.payload is ',
            'The message would be 70038 bytes on the ',
            'ThingsBoard does not serve the topic "se',
            'Gateway telemetry needs device names map',
        ]);
        assert.ok(caught.every((m) => m.error.source.id === 'out'));
        assert.deepStrictEqual(completed, []);
        assert.deepStrictEqual(sim.telemetry(deviceId), []);
        assert.ok(statuses.every((s) => s.fill !== 'red'), 'a bad msg does not touch the connection');
    });

    it('fires Complete only once the server acknowledged the message', async function () {
        const id = selfSigned(dir, 'complete-1');
        const deviceId = await registerDevice(sim, 'complete-1', id.certPem);
        const { out, completed } = await load(id);
        const storedAtComplete = [];
        helper.getNode('completed').on('input', (msg) => {
            storedAtComplete.push(sim.telemetry(deviceId).some((e) => e.values.n === msg.payload.n));
        });
        for (let i = 1; i <= 20; i++) out.receive({ payload: { n: i } });
        await waitFor(() => completed.length === 20);
        assert.deepStrictEqual(storedAtComplete, new Array(20).fill(true), 'each msg was stored by the server before Complete saw it');
    });

    it('shows "certificate rejected by server" for an unregistered certificate, fails msgs, and recovers when provisioned', async function () {
        const id = selfSigned(dir, 'late-1');
        const { out, caught, completed, statuses } = await load(id);
        await waitFor(() => statuses.some((s) => s.text === 'certificate rejected by server'));
        assert.deepStrictEqual(statuses.find((s) => s.fill === 'red'), { fill: 'red', shape: 'ring', text: 'certificate rejected by server' });
        out.receive({ payload: { t: 1 } });
        await waitFor(() => caught.length === 1);
        assert.strictEqual(completed.length, 0);
        assert.match(caught[0].error.message, /refused the device certificate of config "tbsim" \(CN "late-1"; CONNACK 0x87 Not authorized\)/);

        const deviceId = await registerDevice(sim, 'late-1', id.certPem);
        helper.getNode('cfg').runtime.notifyProvisioned(id.credentialsId);
        await waitFor(() => statuses[statuses.length - 1].text === 'connected', 5000);
        out.receive({ payload: { t: 2 } });
        await waitFor(() => completed.length === 1);
        assert.deepStrictEqual(sim.telemetry(deviceId).map((e) => e.values), [{ t: 2 }]);
    });

    it('says "session taken over" and warns when another client connects with the same certificate', async function () {
        const id = selfSigned(dir, 'takeover-1');
        await registerDevice(sim, 'takeover-1', id.certPem);
        const { out, statuses } = await load(id);
        const warnings = [];
        out.on('call:warn', (call) => warnings.push(call.args[0]));
        await waitFor(() => statuses.some((s) => s.text === 'connected'));
        const intruder = mqtt.connect({
            protocol: 'mqtts', host: sim.mqttHost, port: sim.mqttPort, ca: sim.caPem, cert: id.certPem, key: id.keyPem,
            protocolVersion: 5, reconnectPeriod: 0, clientId: 'intruder',
        });
        intruder.on('error', () => undefined);
        try {
            await waitFor(() => statuses.some((s) => s.text === 'session taken over'));
            assert.deepStrictEqual(statuses.find((s) => s.text === 'session taken over'), { fill: 'red', shape: 'ring', text: 'session taken over' });
            await waitFor(() => warnings.length === 1);
            assert.match(warnings[0], /^Another client connected to 127\.0\.0\.1:\d+ with the device certificate of config "tbsim" \(CN "takeover-1"\) and took over its session/);
        } finally {
            await new Promise((resolve) => intruder.end(true, resolve));
        }
        helper.getNode('cfg').runtime.connection().retryNow();
        await waitFor(() => statuses[statuses.length - 1].text === 'connected', 5000);
    });

    it('says "device identity unusable" when the key does not belong to the certificate, naming the cause', async function () {
        const a = selfSigned(dir, 'mismatch-a');
        const b = selfSigned(dir, 'mismatch-b');
        const { out, caught, statuses } = await load({ certPem: a.certPem, keyPem: b.keyPem });
        await waitFor(() => statuses.some((s) => s.fill === 'red'));
        assert.deepStrictEqual(statuses.find((s) => s.fill === 'red'), { fill: 'red', shape: 'ring', text: 'device identity unusable' });
        out.receive({ payload: { t: 1 } });
        await waitFor(() => caught.length === 1);
        assert.match(caught[0].error.message, /^Error: The device identity of config "tbsim" cannot be used: .*does not belong to the certificate/);
        assert.ok(!caught[0].error.message.includes('PRIVATE KEY'), 'no key material in the message');
    });

    it('connects with a shuffled chain holding a stray certificate: sent leaf → issuer, the stray left out and named in a warning', async function () {
        const device = signedByCa(dir, 'chain-1');
        const stray = selfSigned(dir, 'stray-cert');
        const deviceId = await registerDevice(sim, 'chain-1', device.certPem);
        // the server checks the chain in the order sent: a CA before its leaf would fail the handshake
        const shuffled = { certPem: stray.certPem + device.caPem + device.certPem, keyPem: device.keyPem };
        const { out, caught, completed } = await load(shuffled);
        // every warn of this node so far, also those before this line (the spy of the test helper)
        const warningsOf = () => out.warn.getCalls().filter((c) => c.thisValue === out).map((c) => String(c.args[0]));
        out.receive({ payload: { chained: 1 } });
        await waitFor(() => completed.length + caught.length === 1);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        assert.deepStrictEqual(sim.telemetry(deviceId).map((e) => e.values), [{ chained: 1 }]);
        const warnings = warningsOf();
        assert.strictEqual(warnings.length, 1);
        assert.match(warnings[0], /"stray-cert"/);
        assert.match(warnings[0], /not on the certificate's issuer path/);
    });

    it('without a config: red "no config" status and every msg fails', async function () {
        await helper.load([nodes.config, nodes.mqttOut, catchNode, completeNode], onTab([
            { id: 'tab', type: 'tab' },
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: '', target: 'telemetry' },
            { id: 'catch', z: 'tab', type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', type: 'helper' },
        ]));
        const caught = [];
        helper.getNode('caught').on('input', (msg) => caught.push(msg));
        helper.getNode('out').receive({ payload: { t: 1 } });
        await waitFor(() => caught.length === 1);
        assert.strictEqual(caught[0].error.message, 'Error: No ThingsBoard config is selected, or it is not deployed. Open the node and choose a tb-x509-config.');
    });

    it('fails a gateway message on a device that is not a gateway after three sends, through the Catch node, saying why', async function () {
        const defaults = require(path.join(dist, 'lib', 'mqtt', 'connection-types.js')).CONNECTION_DEFAULTS;
        const saved = defaults.ackTimeoutMs;
        defaults.ackTimeoutMs = 300;
        try {
            const id = selfSigned(dir, 'puback-1');
            await registerDevice(sim, 'puback-1', id.certPem);
            // ThingsBoard neither acknowledges nor refuses gateway topics on a session that is not a gateway session
            const { out, caught, completed } = await load(id, { target: 'gateway-telemetry' });
            out.receive({ payload: { 'Dev A': [{ t: 1 }] } });
            await waitFor(() => caught.length + completed.length === 1);
            assert.deepStrictEqual(completed, []);
            assert.match(caught[0].error.message, /^Error: ThingsBoard did not acknowledge the message on v1\/gateway\/telemetry \(sent 3 times/);
            assert.match(caught[0].error.message, /is not a gateway in ThingsBoard/);
        } finally {
            defaults.ackTimeoutMs = saved;
        }
    });
});
