'use strict';
// tb-x509-mqtt-request in a Node-RED flow against the ThingsBoard stand-in: attribute requests return
// client and shared values, client-side RPC returns the server's answer, a gateway asks for a device's
// attributes, an unanswered request fails after its timeout saying so, and a request made while the
// session is being re-established is answered once it is back.
const assert = require('assert');
const { helper, nodes, coreNode } = require('../support/node-red');
const { pollUntil } = require('../support/wait');
const { selfSigned, useSimAndNodeRed, simRest } = require('../provision/support');

const catchNode = coreNode('core/common/25-catch.js');

const waitFor = (predicate, timeoutMs = 15000) => pollUntil(predicate, timeoutMs);

async function registerDevice(sim, name, certPem, additionalInfo) {
    const res = await simRest(sim, 'POST', '/api/device-with-credentials', {
        device: { name, type: 'default', ...(additionalInfo ? { additionalInfo } : {}) },
        credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: certPem },
    });
    assert.strictEqual(res.status, 200, JSON.stringify(res.body));
    return res.body.id.id;
}

function onTab(flow) {
    return flow.map((n) => (n.z ? { x: 100, y: 100, ...n } : n));
}

describe('tb-x509-mqtt-request against tbsim', function () {
    this.timeout(60000);
    let sim, dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-mqtt-request-' });

    /** cfg + req (→ helper `answers`) + out (target `outTarget`) + catch on req → `caught`. */
    async function load(identity, request = {}, outTarget = 'attributes') {
        const flow = onTab([
            { id: 'tab', type: 'tab' },
            { id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim.mqttHost, port: String(sim.mqttPort) },
            { id: 'req', z: 'tab', type: 'tb-x509-mqtt-request', config: 'cfg', kind: 'attributes', timeout: '5', ...request, wires: [['answers']] },
            { id: 'answers', z: 'tab', type: 'helper' },
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', config: 'cfg', target: outTarget, qos: '1', key: '', queueSize: '100' },
            { id: 'catch', z: 'tab', type: 'catch', scope: ['req'], uncaught: false, wires: [['caught']] },
            { id: 'caught', z: 'tab', type: 'helper' },
        ]);
        const credentials = { cfg: { ca: sim.caPem, cert: identity.certPem, key: identity.keyPem } };
        await helper.load([nodes.config, nodes.mqttRequest, nodes.mqttOut, catchNode], flow, credentials);
        const answers = [];
        const caught = [];
        helper.getNode('answers').on('input', (msg) => answers.push(msg));
        helper.getNode('caught').on('input', (msg) => caught.push(msg));
        return { answers, caught, req: helper.getNode('req'), out: helper.getNode('out') };
    }

    function connected(deviceId) {
        return waitFor(() => sim.sessions().some((s) => s.deviceId === deviceId));
    }

    it('returns client and shared attribute values, keys from the node or from the msg', async function () {
        const id = selfSigned(dir, 'req-attr');
        const deviceId = await registerDevice(sim, 'req-attr', id.certPem);
        await simRest(sim, 'POST', `/api/plugins/telemetry/DEVICE/${deviceId}/SHARED_SCOPE`, { interval: 7, mode: 'eco' });
        const { answers, caught, req, out } = await load(id, { clientKeys: 'fw, serial', sharedKeys: 'interval' });
        await connected(deviceId);
        out.receive({ payload: { fw: 'v1.0', serial: 'A-1', other: true } });
        await waitFor(() => sim.attributes(deviceId).fw === 'v1.0');

        req.receive({ payload: 'go' });
        await waitFor(() => answers.length === 1);
        assert.deepStrictEqual(answers[0].payload, { client: { fw: 'v1.0', serial: 'A-1' }, shared: { interval: 7 } });

        req.receive({ sharedKeys: ['mode'], clientKeys: 'nothing-here' });
        await waitFor(() => answers.length === 2);
        assert.deepStrictEqual(answers[1].payload, { client: {}, shared: { mode: 'eco' } });
        assert.deepStrictEqual(caught, []);
    });

    it("returns the server's answer to a client-side RPC, also for a request made while the session is re-established", async function () {
        sim.onClientRpc('getCurrentTime', (params) => ({ time: 1700000000000, asked: params }));
        try {
            const id = selfSigned(dir, 'req-rpc');
            const deviceId = await registerDevice(sim, 'req-rpc', id.certPem);
            const { answers, caught, req } = await load(id, { kind: 'rpc', method: 'getCurrentTime' });
            await connected(deviceId);
            req.receive({ payload: { zone: 'UTC' } });
            await waitFor(() => answers.length === 1);
            assert.deepStrictEqual(answers[0].payload, { time: 1700000000000, asked: { zone: 'UTC' } });

            sim.kick(deviceId);
            req.receive({ payload: { zone: 'CET' } });
            await waitFor(() => answers.length === 2);
            assert.deepStrictEqual(answers[1].payload, { time: 1700000000000, asked: { zone: 'CET' } });
            assert.deepStrictEqual(caught, []);
        } finally {
            sim.onClientRpc('getCurrentTime', undefined);
        }
    });

    it('fails a request nobody answers after its timeout, saying so, and refuses an RPC without a method', async function () {
        const id = selfSigned(dir, 'req-timeout');
        const deviceId = await registerDevice(sim, 'req-timeout', id.certPem);
        const { answers, caught, req } = await load(id, { kind: 'rpc', method: '', timeout: '0.5' });
        await connected(deviceId);
        req.receive({ method: 'noRuleChainAnswers', payload: {} });
        await waitFor(() => caught.length === 1);
        assert.match(caught[0].error.message, /No answer .* within 0\.5 s/);
        assert.match(caught[0].error.message, /v1\/devices\/me\/rpc\/request\/\d+/);
        req.receive({ payload: {} });
        await waitFor(() => caught.length === 2);
        assert.match(caught[1].error.message, /method/);
        assert.deepStrictEqual(answers, []);
    });

    it("asks a gateway device's shared or client attributes", async function () {
        const id = selfSigned(dir, 'req-gw');
        const gatewayId = await registerDevice(sim, 'req-gw', id.certPem, { gateway: true });
        const { answers, caught, req, out } = await load(id, { kind: 'gateway-attributes', sharedKeys: 'limit' }, 'gateway-connect');
        await connected(gatewayId);
        out.receive({ payload: 'Meter C' });
        const meter = await waitFor(() => sim.findDeviceByName('Meter C'));
        await simRest(sim, 'POST', `/api/plugins/telemetry/DEVICE/${meter.id}/SHARED_SCOPE`, { limit: 3, unit: 'kWh' });

        req.receive({ device: 'Meter C' });
        await waitFor(() => answers.length === 1);
        assert.deepStrictEqual(answers[0].payload, { limit: 3 });
        req.receive({ device: 'Meter C', sharedKeys: 'limit,unit' });
        await waitFor(() => answers.length === 2);
        assert.deepStrictEqual(answers[1].payload, { limit: 3, unit: 'kWh' });

        req.receive({ payload: 1 });
        await waitFor(() => caught.length === 1);
        assert.match(caught[0].error.message, /msg\.device/);
    });
});
