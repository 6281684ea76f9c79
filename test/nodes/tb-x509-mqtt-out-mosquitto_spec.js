'use strict';
// tb-x509-mqtt-out in a Node-RED flow against a real, independent mutual-TLS broker
// (mosquitto, require_certificate true; key material made by openssl): 2000 QoS 1 msgs
// across a broker restart, each completed once, in order of first arrival; an untrusted
// server and an unknown client certificate end in the right status and Catch messages.
const assert = require('assert');
const fs = require('fs');
const mqtt = require('mqtt');
const { helper, nodes } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { recordOutNode } = require('../support/mqtt-out-flow');
const { makePki, startMosquitto, tempDir } = require('../support/mosquitto');

const TOPIC = 'v1/devices/me/telemetry';

const waitFor = (predicate, timeoutMs = 20000) => pollUntil(predicate, timeoutMs);

function flow(broker, out = {}) {
    return [
        { id: 'tab', type: 'tab' },
        { id: 'cfg', type: 'tb-x509-config', name: 'mosquitto', host: 'localhost', port: String(broker.port), keepalive: '10' },
        { id: 'out', z: 'tab', x: 1, y: 1, type: 'tb-x509-mqtt-out', config: 'cfg', target: 'telemetry', qos: '1', queueSize: '1000', ...out },
        { id: 'catch', z: 'tab', x: 1, y: 1, type: 'catch', scope: ['out'], uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', x: 1, y: 1, type: 'helper' },
        { id: 'complete', z: 'tab', x: 1, y: 1, type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
        { id: 'completed', z: 'tab', x: 1, y: 1, type: 'helper' },
    ];
}

describe('tb-x509-mqtt-out against mosquitto (mutual TLS)', function () {
    this.timeout(90000);
    let dir, pki, broker;
    const cleanups = [];

    before(async function () {
        await helper.startServer();
        dir = tempDir();
        pki = makePki(dir);
    });
    after(async function () {
        await helper.stopServer();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    afterEach(async function () {
        await helper.unload();
        while (cleanups.length) await cleanups.pop()();
        if (broker) await broker.stop();
        broker = undefined;
    });

    async function load(credentials, out) {
        await helper.load([nodes.config, nodes.mqttOut], flow(broker, out), { cfg: credentials });
        return recordOutNode();
    }

    it('delivers 2000 QoS 1 msgs across a broker restart: all arrive in order, each completes once', async function () {
        broker = await startMosquitto({ pki, persistence: true });
        const sub = mqtt.connect({
            protocol: 'mqtts', host: 'localhost', port: broker.port, ca: pki.ca.certPem, cert: pki.device2.certPem, key: pki.device2.keyPem,
            clientId: 'node-order-sub', clean: false, reconnectPeriod: 100,
        });
        sub.on('error', () => undefined);
        cleanups.push(() => new Promise((r) => sub.end(true, r)));
        await new Promise((resolve) => sub.once('connect', resolve));
        await new Promise((resolve, reject) => sub.subscribe(TOPIC, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
        const firstArrival = [];
        const seen = new Set();
        sub.on('message', (_topic, payload) => {
            const i = JSON.parse(payload).i;
            if (!seen.has(i)) {
                seen.add(i);
                firstArrival.push(i);
            }
        });

        const { out, caught, completed, statuses } = await load(
            { ca: pki.ca.certPem, cert: pki.device.certPem, key: pki.device.keyPem },
            { queueSize: '5000' },
        );
        await waitFor(() => statuses.some((s) => s.text === 'connected'));
        for (let i = 0; i < 1000; i++) out.receive({ payload: { i } });
        await broker.stop();
        // down: messages still waiting show as "queued N (…)", otherwise the reason in red
        await waitFor(() => statuses.some((s) => s.text === 'connection lost' || /^queued \d+ \(connection lost\)$/.test(s.text)));
        for (let i = 1000; i < 2000; i++) out.receive({ payload: { i } });
        await waitFor(() => statuses.some((s) => /^queued \d+ \(/.test(s.text)));
        const completedWhileDown = completed.length;
        await new Promise((r) => setTimeout(r, 300));
        assert.strictEqual(completed.length, completedWhileDown, 'nothing completes while the broker is down');
        await broker.start();
        helper.getNode('cfg').runtime.connection().retryNow();

        await waitFor(() => completed.length + caught.length >= 2000, 60000);
        await new Promise((r) => setTimeout(r, 200)); // a late duplicate done() would show up here
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        const doneCount = new Array(2000).fill(0);
        for (const msg of completed) doneCount[msg.payload.i]++;
        assert.ok(doneCount.every((n) => n === 1), 'every msg completed exactly once');
        await waitFor(() => seen.size === 2000, 20000);
        assert.deepStrictEqual(firstArrival, Array.from({ length: 2000 }, (_, i) => i));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: 'connected' });
    });

    it('shows "server certificate not trusted" and fails msgs when the CA is not the broker\'s', async function () {
        broker = await startMosquitto({ pki });
        const { out, caught, completed, statuses } = await load({ ca: pki.otherCa.certPem, cert: pki.device.certPem, key: pki.device.keyPem });
        await waitFor(() => statuses.some((s) => s.fill === 'red'));
        assert.deepStrictEqual(statuses.find((s) => s.fill === 'red'), { fill: 'red', shape: 'ring', text: 'server certificate not trusted' });
        out.receive({ payload: { t: 1 } });
        await waitFor(() => caught.length === 1);
        assert.match(caught[0].error.message, /^Error: The server certificate of localhost:\d+ is not trusted \(/);
        assert.strictEqual(completed.length, 0);
    });

    it('shows "certificate rejected by server" for a client certificate the broker does not trust, and keeps running', async function () {
        broker = await startMosquitto({ pki });
        const { out, caught, statuses } = await load({ ca: pki.ca.certPem, cert: pki.stranger.certPem, key: pki.stranger.keyPem });
        await waitFor(() => statuses.some((s) => s.fill === 'red'));
        assert.deepStrictEqual(statuses.find((s) => s.fill === 'red'), { fill: 'red', shape: 'ring', text: 'certificate rejected by server' });
        out.receive({ payload: { t: 1 } });
        await waitFor(() => caught.length === 1);
        assert.match(caught[0].error.message, /refused the device certificate of config "mosquitto" \(CN "unknown-device"; /);
        await helper.unload();

        // the runtime is still fine: a flow with a trusted certificate delivers
        const ok = await load({ ca: pki.ca.certPem, cert: pki.device.certPem, key: pki.device.keyPem });
        ok.out.receive({ payload: { t: 2 } });
        await waitFor(() => ok.completed.length === 1);
    });
});
