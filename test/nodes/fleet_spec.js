'use strict';
// Fleet mode in a Node-RED flow against the ThingsBoard stand-in: tb-x509-ca signs, x509-generate
// onboards each msg.deviceName into the fleet config, tb-x509-mqtt-out sends on that device's own
// connection. Devices unknown to ThingsBoard are created from their chain on first connect
// (X509_CERTIFICATE_CHAIN profile); maxConnections closes the least recently used connection
// without losing a message; running the onboarding flow again within renewBefore renews the
// certificate and the connection switches to it without loss.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, nodes, coreNode } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { openssl, opensslCredentialsId, tempDir, removeDir } = require('../support/openssl');

const catchNode = coreNode('core/common/25-catch.js');
const completeNode = coreNode('core/common/24-complete.js');
const functionNode = coreNode('core/function/10-function.js');

const waitFor = (predicate, timeoutMs = 30000) => pollUntil(predicate, timeoutMs);
const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i);

async function startSim() {
    const { startTbsim } = require(path.join(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'index.js'));
    return startTbsim({});
}

/** A root CA made by openssl (independent of the package's own CA code). */
async function opensslCa(dir, name) {
    const keyFile = path.join(dir, `${name}-key.pem`);
    const certFile = path.join(dir, `${name}.pem`);
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '30', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
}

describe('fleet mode: x509-generate → tb-x509-mqtt-out, one connection per device', function () {
    this.timeout(120000);
    let sim, dir, ca;
    let connects = [];
    let open = 0;
    let maxOpen = 0;
    const arrivals = new Map();

    before(async function () {
        await helper.startServer();
        sim = await startSim();
        dir = await tempDir();
        ca = await opensslCa(dir, 'Fleet Flow CA');
        sim.createDeviceProfile({
            name: 'pumps', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: ca.certPem,
            certificateRegExPattern: '(.*)\\.pumps\\.example', allowCreateNewDevicesByX509Certificate: true,
        });
        sim.events.on('connect', (info) => {
            connects.push(info.deviceName);
            maxOpen = Math.max(maxOpen, ++open);
        });
        sim.events.on('disconnect', () => open--);
        sim.events.on('telemetry', (deviceId, entry) => {
            if (!arrivals.has(deviceId)) arrivals.set(deviceId, []);
            arrivals.get(deviceId).push(entry.values.seq);
        });
    });
    afterEach(async function () {
        await helper.unload();
        await waitFor(() => open === 0, 10000);
        connects = [];
        maxOpen = 0;
    });
    after(async function () {
        await helper.stopServer();
        await sim.stop();
        await removeDir(dir);
    });

    let flowCount = 0;
    async function deploy({ config = {}, gen = {} } = {}) {
        const n = ++flowCount;
        const flow = [
            { id: 'tab', type: 'tab' },
            { id: 'ca', type: 'tb-x509-ca', name: 'Pumps CA', keyStore: path.join(dir, `ca-${n}`) },
            {
                id: 'cfg', type: 'tb-x509-config', name: 'Pumps', host: sim.mqttHost, port: String(sim.mqttPort),
                identityMode: 'fleet', ca: 'ca', keyStore: path.join(dir, `fleet-${n}`), ...config,
            },
            { id: 'gen', z: 'tab', type: 'x509-generate', config: 'cfg', commonNameType: 'msg', commonName: 'deviceName', keyType: 'ec', curve: 'P-256', days: '30', wires: [['fn']], ...gen },
            { id: 'fn', z: 'tab', type: 'function', func: 'msg.payload = { seq: msg.seq }; return msg;', outputs: 1, wires: [['out']] },
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: 'telemetry', qos: '1', queueSize: '1000' },
            { id: 'catch', z: 'tab', type: 'catch', scope: ['out', 'gen'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', type: 'helper' },
            { id: 'complete', z: 'tab', type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
            { id: 'completed', z: 'tab', type: 'helper' },
        ].map((node) => (node.z ? { x: 100, y: 100, ...node } : node));
        const credentials = { cfg: { ca: sim.caPem }, ca: { cert: ca.certPem, key: ca.keyPem } };
        await helper.load([nodes.config, nodes.ca, nodes.generate, nodes.mqttOut, functionNode, catchNode, completeNode], flow, credentials);
        const caught = [];
        const completed = [];
        const statuses = [];
        helper.getNode('caught').on('input', (msg) => caught.push(msg));
        helper.getNode('completed').on('input', (msg) => completed.push(msg));
        const out = helper.getNode('out');
        out.on('call:status', (call) => statuses.push(call.args[0]));
        return { gen: helper.getNode('gen'), out, caught, completed, statuses };
    }

    const cn = (name) => `${name}.pumps.example`;
    const seqsOf = (name) => {
        const device = sim.findDeviceByName(name);
        return device ? arrivals.get(device.id) || [] : [];
    };

    it('onboards 50 devices unknown to ThingsBoard: each connects with its chain, is created with the CN-derived name, and streams on its own connection', async function () {
        const { gen, out, caught, completed, statuses } = await deploy();
        const names = range(50).map((i) => `pump-${i}`);
        for (const name of names) assert.strictEqual(sim.findDeviceByName(name), undefined);
        for (const name of names) gen.receive({ deviceName: cn(name), seq: 0 });
        await waitFor(() => completed.length + caught.length === 50);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        for (let seq = 1; seq < 10; seq++) for (const name of names) out.receive({ deviceName: cn(name), payload: { seq } });
        await waitFor(() => completed.length + caught.length === 500);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        for (const name of names) {
            const device = sim.findDeviceByName(name);
            assert.ok(device, `${name} created by ThingsBoard from the chain`);
            assert.strictEqual(device.type, 'pumps');
            assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
            assert.deepStrictEqual(seqsOf(name), range(10), `${name}: every message, in order`);
        }
        assert.strictEqual(connects.length, 50, 'one connection per device');
        assert.strictEqual(new Set(connects).size, 50);
        await waitFor(() => statuses.length > 0 && statuses[statuses.length - 1].text === '50 connected, 0 queued', 5000);
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: '50 connected, 0 queued' });
    });

    it('with maxConnections 10, closes the least recently used connection and reopens it, losing nothing', async function () {
        const { gen, out, caught, completed } = await deploy({ config: { maxConnections: '10' } });
        const names = range(25).map((i) => `lru-${i}`);
        for (const name of names) gen.receive({ deviceName: cn(name), seq: 0 });
        await waitFor(() => completed.length + caught.length === 25);
        for (let round = 1; round < 4; round++) {
            for (let m = 0; m < 3; m++) for (const name of names) out.receive({ deviceName: cn(name), payload: { seq: (round - 1) * 3 + m + 1 } });
            await waitFor(() => completed.length + caught.length === 25 + round * 75);
        }
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        for (const name of names) assert.deepStrictEqual(seqsOf(name), range(10), `${name}: every message once, in order`);
        assert.ok(maxOpen <= 10, `at most 10 sessions at once (saw ${maxOpen})`);
        assert.ok(connects.length > 25, `closed connections reopened (${connects.length} connects)`);
    });

    it('renews an identity within renewBefore when the onboarding flow runs again; the connection switches to it without losing a queued message', async function () {
        // renewBefore longer than the validity: every run of the onboarding flow renews
        const { gen, out, caught, completed } = await deploy({ gen: { renewBefore: '60' } });
        const name = 'renew-1';
        gen.receive({ deviceName: cn(name), seq: 0 });
        await waitFor(() => completed.length === 1);
        const first = sim.findDeviceByName(name).credentials.id;
        for (let seq = 1; seq < 40; seq++) out.receive({ deviceName: cn(name), payload: { seq } });
        gen.receive({ deviceName: cn(name), seq: 40 });
        for (let seq = 41; seq < 80; seq++) out.receive({ deviceName: cn(name), payload: { seq } });
        await waitFor(() => completed.length + caught.length === 80);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        assert.deepStrictEqual([...new Set(seqsOf(name))].sort((a, b) => a - b), range(80), 'nothing lost (a message in flight at the swap may come twice)');
        const stored = fs.readFileSync(path.join(dir, `fleet-${flowCount}`, cn(name), 'cert.pem'), 'utf8');
        const leafFile = path.join(dir, 'renewed-leaf.pem');
        fs.writeFileSync(leafFile, stored);
        const expected = opensslCredentialsId(leafFile); // the leaf: the first certificate of cert.pem
        const device = sim.findDeviceByName(name);
        assert.notStrictEqual(device.credentials.id, first, 'the certificate was renewed');
        assert.strictEqual(device.credentials.id, expected, 'ThingsBoard rotated to the renewed certificate at its connect');
        assert.strictEqual(connects.length, 2, 'one reconnect');
    });

    it('fails a msg without msg.deviceName, or for a device never onboarded, through the Catch node, naming which', async function () {
        const { out, caught } = await deploy();
        out.receive({ payload: { seq: 1 } });
        out.receive({ deviceName: cn('never'), payload: { seq: 1 } });
        await waitFor(() => caught.length === 2);
        const byCode = Object.fromEntries(caught.map((m) => [m.error.code, m.error]));
        assert.ok(byCode.FLEET_DEVICE_NAME_MISSING, JSON.stringify(caught.map((m) => m.error)));
        assert.match(byCode.FLEET_DEVICE_NAME_MISSING.message, /msg\.deviceName/);
        assert.ok(byCode.FLEET_DEVICE_UNKNOWN);
        assert.match(byCode.FLEET_DEVICE_UNKNOWN.message, /never\.pumps\.example/);
        assert.strictEqual(connects.length, 0);
    });
});
