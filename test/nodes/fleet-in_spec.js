'use strict';
// Fleet mode of tb-x509-mqtt-in in a Node-RED flow against the ThingsBoard stand-in: two devices of a
// fleet config are onboarded (x509-generate → tb-x509-mqtt-out opens each one's connection); a two-way
// RPC to each is emitted by the in node with that device's msg.deviceName, and the flow's answer
// (tb-x509-mqtt-out, target rpc-response) goes out on that device's own connection.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, nodes, coreNode } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { openssl, tempDir, removeDir } = require('../support/openssl');

const catchNode = coreNode('core/common/25-catch.js');
const completeNode = coreNode('core/common/24-complete.js');
const functionNode = coreNode('core/function/10-function.js');

const waitFor = (predicate, timeoutMs = 30000) => pollUntil(predicate, timeoutMs);

async function opensslCa(dir, name) {
    const keyFile = path.join(dir, `${name}-key.pem`);
    const certFile = path.join(dir, `${name}.pem`);
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '30', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
}

describe('fleet mode: tb-x509-mqtt-in listens on every device connection', function () {
    this.timeout(60000);
    let sim, dir, ca;

    before(async function () {
        await helper.startServer();
        const { startTbsim } = require(path.join(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'index.js'));
        sim = await startTbsim({ serverSideRpcMinTimeoutMs: 300 });
        dir = await tempDir();
        ca = await opensslCa(dir, 'Valves CA');
        sim.createDeviceProfile({
            name: 'valves', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: ca.certPem,
            certificateRegExPattern: '(.*)\\.valves\\.example', allowCreateNewDevicesByX509Certificate: true,
        });
    });
    afterEach(() => helper.unload());
    after(async function () {
        await helper.stopServer();
        await sim.stop();
        await removeDir(dir);
    });

    let flowCount = 0;
    async function deploy({ config = {} } = {}) {
        const n = ++flowCount;
        const flow = [
            { id: 'tab', type: 'tab' },
            { id: 'ca', type: 'tb-x509-ca', name: 'Valves CA', keyStore: path.join(dir, `ca-${n}`) },
            {
                id: 'cfg', type: 'tb-x509-config', name: 'Valves', host: sim.mqttHost, port: String(sim.mqttPort),
                identityMode: 'fleet', ca: 'ca', keyStore: path.join(dir, `fleet-${n}`), ...config,
            },
            // onboarding: the first telemetry opens the device's connection
            { id: 'gen', z: 'tab', type: 'x509-generate', config: 'cfg', commonNameType: 'msg', commonName: 'deviceName', keyType: 'ec', curve: 'P-256', days: '30', wires: [['fn']] },
            { id: 'fn', z: 'tab', type: 'function', func: 'msg.payload = { online: 1 }; return msg;', outputs: 1, wires: [['out']] },
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: 'telemetry', qos: '1', queueSize: '1000' },
            // the RPC loop: in → got, and → answer → reply (rpc-response)
            { id: 'in', z: 'tab', type: 'tb-x509-mqtt-in', config: 'cfg', mode: 'rpc', wires: [['got', 'answer']] },
            { id: 'got', z: 'tab', type: 'helper' },
            { id: 'answer', z: 'tab', type: 'function', func: 'msg.payload = { answeredAs: msg.deviceName, method: msg.method, params: msg.payload }; return msg;', outputs: 1, wires: [['reply']] },
            { id: 'reply', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: 'rpc-response', qos: '1', queueSize: '1000' },
            // device-to-server requests: each on its msg.deviceName's connection
            { id: 'req', z: 'tab', type: 'tb-x509-mqtt-request', config: 'cfg', kind: 'rpc', method: 'whoAmI', timeout: '5', wires: [['answers']] },
            { id: 'answers', z: 'tab', type: 'helper' },
            { id: 'catch', z: 'tab', type: 'catch', scope: ['out', 'gen', 'reply', 'req'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', type: 'helper' },
            { id: 'complete', z: 'tab', type: 'complete', scope: ['out'], uncaught: false, wires: [['completed']] },
            { id: 'completed', z: 'tab', type: 'helper' },
        ].map((node) => (node.z ? { x: 100, y: 100, ...node } : node));
        const credentials = { cfg: { ca: sim.caPem }, ca: { cert: ca.certPem, key: ca.keyPem } };
        await helper.load([nodes.config, nodes.ca, nodes.generate, nodes.mqttOut, nodes.mqttIn, nodes.mqttRequest, functionNode, catchNode, completeNode], flow, credentials);
        const got = [];
        const caught = [];
        const completed = [];
        const statuses = [];
        const answers = [];
        helper.getNode('answers').on('input', (msg) => answers.push(msg));
        helper.getNode('got').on('input', (msg) => got.push(msg));
        helper.getNode('caught').on('input', (msg) => caught.push(msg));
        helper.getNode('completed').on('input', (msg) => completed.push(msg));
        helper.getNode('in').on('call:status', (call) => statuses.push(call.args[0]));
        return { gen: helper.getNode('gen'), out: helper.getNode('out'), req: helper.getNode('req'), got, caught, completed, statuses, answers };
    }

    const cn = (name) => `${name}.valves.example`;

    async function onboard(gen, completed, caught, names) {
        for (const name of names) gen.receive({ deviceName: cn(name) });
        await waitFor(() => completed.length + caught.length >= names.length);
        assert.deepStrictEqual(caught.map((m) => m.error.message), []);
        const ids = names.map((name) => sim.findDeviceByName(name).id);
        // each device's own session subscribed to its RPC requests (the in node's filter on that connection)
        await waitFor(() => ids.every((id) => sim.pushSubscribers(id).rpc === 1));
        return ids;
    }

    it('emits each device\'s two-way RPC with its msg.deviceName and answers it on that device\'s connection', async function () {
        const { gen, got, caught, completed, statuses } = await deploy();
        const [idA, idB] = await onboard(gen, completed, caught, ['valve-a', 'valve-b']);

        const [a, b] = await Promise.all([
            sim.sendRpc(idA, { method: 'setValve', params: { open: true }, timeoutMs: 5000 }),
            sim.sendRpc(idB, { method: 'setValve', params: { open: false }, timeoutMs: 5000 }),
        ]);
        assert.ok(a.response && b.response, JSON.stringify({ a, b, caught: caught.map((m) => m.error.code) }));
        assert.deepStrictEqual(JSON.parse(a.response), { answeredAs: cn('valve-a'), method: 'setValve', params: { open: true } });
        assert.deepStrictEqual(JSON.parse(b.response), { answeredAs: cn('valve-b'), method: 'setValve', params: { open: false } });
        assert.deepStrictEqual(got.map((m) => m.deviceName).sort(), [cn('valve-a'), cn('valve-b')]);
        for (const msg of got) {
            assert.strictEqual(typeof msg.requestId, 'number');
            assert.strictEqual(msg.topic, `v1/devices/me/rpc/response/${msg.requestId}`);
        }
        // a second round to one device only: only that one is emitted
        const again = await sim.sendRpc(idB, { method: 'ping', timeoutMs: 5000 });
        assert.deepStrictEqual(JSON.parse(again.response), { answeredAs: cn('valve-b'), method: 'ping', params: null });
        assert.strictEqual(got.length, 3);
        assert.strictEqual(got[2].deviceName, cn('valve-b'));
        assert.deepStrictEqual(caught, []);
        // the in node shows the fleet's connections summed, as tb-x509-mqtt-out does
        await waitFor(() => statuses.length > 0 && statuses[statuses.length - 1].text === '2 connected, 0 queued', 5000);
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: '2 connected, 0 queued' });
    });

    it('listens again on a device connection that closed when idle and reopened with the device\'s next msg', async function () {
        const { gen, out, got, caught, completed } = await deploy({ config: { idleTimeout: '1' } });
        const [id] = await onboard(gen, completed, caught, ['valve-idle']);
        await waitFor(() => sim.pushSubscribers(id).rpc === 0, 10000);
        const unanswered = await sim.sendRpc(id, { method: 'closed', timeoutMs: 300 });
        assert.deepStrictEqual(unanswered, { error: 'NO_ACTIVE_CONNECTION' });
        out.receive({ deviceName: cn('valve-idle'), payload: { online: 1 } });
        await waitFor(() => sim.pushSubscribers(id).rpc === 1);
        const answer = await sim.sendRpc(id, { method: 'reopened', timeoutMs: 5000 });
        assert.deepStrictEqual(JSON.parse(answer.response), { answeredAs: cn('valve-idle'), method: 'reopened', params: null });
        assert.deepStrictEqual(got.map((m) => [m.deviceName, m.method]), [[cn('valve-idle'), 'reopened']]);
        assert.deepStrictEqual(caught, []);
    });

    describe('tb-x509-mqtt-request', function () {
        before(() => sim.onClientRpc('whoAmI', (params, device) => ({ device: device.name, asked: params })));
        after(() => sim.onClientRpc('whoAmI', undefined));

        it('asks on msg.deviceName\'s connection, and the answer comes back to that msg', async function () {
            const { gen, req, caught, completed, answers } = await deploy();
            await onboard(gen, completed, caught, ['valve-c', 'valve-d']);
            req.receive({ deviceName: cn('valve-c'), payload: { n: 1 } });
            req.receive({ deviceName: cn('valve-d'), payload: { n: 2 } });
            req.receive({ deviceName: cn('valve-c'), payload: { n: 3 } });
            await waitFor(() => answers.length + caught.length === 3);
            assert.deepStrictEqual(caught.map((m) => m.error.message), []);
            const byN = Object.fromEntries(answers.map((m) => [m.payload.asked.n, [m.deviceName, m.payload.device]]));
            assert.deepStrictEqual(byN, {
                1: [cn('valve-c'), 'valve-c'],
                2: [cn('valve-d'), 'valve-d'],
                3: [cn('valve-c'), 'valve-c'],
            });
        });

        it('fails a request without msg.deviceName, or for a device never onboarded, through the Catch node, naming which', async function () {
            const { req, caught, answers } = await deploy();
            req.receive({ payload: { n: 1 } });
            req.receive({ deviceName: 42, payload: { n: 2 } });
            req.receive({ deviceName: cn('nobody'), payload: { n: 3 } });
            await waitFor(() => caught.length === 3);
            assert.deepStrictEqual(answers, []);
            const byN = Object.fromEntries(caught.map((m) => [m.payload.n, m.error]));
            assert.strictEqual(byN[1].code, 'FLEET_DEVICE_NAME_MISSING');
            assert.match(byN[1].message, /msg\.deviceName is missing/);
            assert.strictEqual(byN[2].code, 'FLEET_DEVICE_NAME_MISSING');
            assert.match(byN[2].message, /a number/);
            assert.strictEqual(byN[3].code, 'FLEET_DEVICE_UNKNOWN');
            assert.match(byN[3].message, /nobody\.valves\.example/);
        });
    });
});
