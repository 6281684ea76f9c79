'use strict';
// The MQTT device-provisioning API of tbsim (reference §3.2): exact response JSON, strategies, session close.
const assert = require('assert');
const fs = require('fs');
const {
    startTbsim, tempDir, curl, apiKey, makeCert, opensslCredentialsId, connectMqtt, waitFor, publish, end, rawSession,
} = require('./support');

describe('tbsim provisioning API', function () {
    let sim;
    let dir;
    const clients = [];

    /** Connects as "provision", sends one request and resolves with the parsed response (or the session's end). */
    async function provision(request, { protocolVersion = 4 } = {}) {
        const { client, connack } = await connectMqtt(sim, { username: 'provision', protocolVersion });
        clients.push(client);
        assert.strictEqual(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
        await new Promise((resolve, reject) => client.subscribe('/provision/response', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
        const response = new Promise((resolve) => client.once('message', (topic, payload) => resolve({ topic, text: payload.toString() })));
        const puback = await publish(client, '/provision/request', JSON.stringify(request));
        if (puback.err) return { client, puback };
        const { topic, text } = await response;
        assert.strictEqual(topic, '/provision/response');
        return { client, puback, text, body: JSON.parse(text) };
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim({ provisionResponseCloseMs: 300 });
        sim.createDeviceProfile({ name: 'auto', provisionType: 'ALLOW_CREATE_NEW_DEVICES', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret' });
        sim.createDeviceProfile({ name: 'pre', provisionType: 'CHECK_PRE_PROVISIONED_DEVICES', provisionDeviceKey: 'pre-key', provisionDeviceSecret: 'pre-secret' });
    });
    afterEach(async function () {
        await Promise.all(clients.splice(0).map(end));
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates a device with X.509 credentials from the PEM in "hash" and answers with the exact SUCCESS JSON', async function () {
        const cert = await makeCert(dir, 'prov-x509');
        const { client, text } = await provision({
            deviceName: 'prov-x509', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret',
            credentialsType: 'X509_CERTIFICATE', hash: cert.certPem,
        });
        const body = cert.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\n/g, '');
        assert.strictEqual(text, JSON.stringify({ credentialsValue: body, credentialsType: 'X509_CERTIFICATE', status: 'SUCCESS' }));
        const device = sim.findDeviceByName('prov-x509');
        assert.strictEqual(device.type, 'auto');
        assert.strictEqual(device.credentials.id, await opensslCredentialsId(cert.certFile));
        assert.deepStrictEqual(sim.serverAttributes(device.id), { provisionState: 'provisioned' });
        // the session is closed provisionResponseCloseMs after the response
        await waitFor(() => client.seen.closed, 5000, 'provision session closed');
        // and the certificate now connects
        const device1 = await connectMqtt(sim, { cert, protocolVersion: 5 });
        clients.push(device1.client);
        assert.strictEqual(device1.connack.reasonCode, 0);
    });

    it('answers a wrong secret or an unknown key with the exact NOT_FOUND JSON', async function () {
        for (const [key, secret] of [['auto-key', 'wrong'], ['no-key', 'auto-secret']]) {
            const { text } = await provision({ deviceName: 'nf', provisionDeviceKey: key, provisionDeviceSecret: secret });
            assert.strictEqual(text, '{"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}');
        }
        assert.strictEqual(sim.findDeviceByName('nf'), undefined);
    });

    it('answers an existing name or a certificate in use with the exact FAILURE JSON and creates nothing', async function () {
        const cert = await makeCert(dir, 'prov-dup');
        const first = await provision({ deviceName: 'prov-dup', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret', credentialsType: 'X509_CERTIFICATE', hash: cert.certPem });
        assert.strictEqual(first.body.status, 'SUCCESS');
        const again = await provision({ deviceName: 'prov-dup', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret', credentialsType: 'X509_CERTIFICATE', hash: cert.certPem });
        assert.strictEqual(again.text, '{"errorMsg":"Failed to provision device!","status":"FAILURE"}');
        const reused = await provision({ deviceName: 'prov-dup-2', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret', credentialsType: 'X509_CERTIFICATE', hash: cert.certPem });
        assert.strictEqual(reused.body.status, 'FAILURE');
        assert.strictEqual(sim.findDeviceByName('prov-dup-2'), undefined); // rolled back
    });

    it('defaults to ACCESS_TOKEN credentials and returns the token', async function () {
        const { body } = await provision({ deviceName: 'prov-token', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret', token: 'my-token' });
        assert.deepStrictEqual(body, { credentialsValue: 'my-token', credentialsType: 'ACCESS_TOKEN', status: 'SUCCESS' });
    });

    it('hands out the existing credentials of a pre-provisioned device once (CHECK_PRE_PROVISIONED_DEVICES)', async function () {
        const profileId = sim.createDeviceProfile({ name: 'pre-2', provisionType: 'CHECK_PRE_PROVISIONED_DEVICES', provisionDeviceKey: 'pre2-key', provisionDeviceSecret: 'pre2-secret' }).id;
        const created = await curl(sim, 'POST', '/api/device?accessToken=pre-token', {
            auth: apiKey(sim),
            body: { name: 'pre-dev', deviceProfileId: { entityType: 'DEVICE_PROFILE', id: profileId } },
        });
        assert.strictEqual(created.status, 200, created.text);
        const request = { deviceName: 'pre-dev', provisionDeviceKey: 'pre2-key', provisionDeviceSecret: 'pre2-secret', credentialsType: 'ACCESS_TOKEN', token: 'ignored' };
        assert.deepStrictEqual((await provision(request)).body, { credentialsValue: 'pre-token', credentialsType: 'ACCESS_TOKEN', status: 'SUCCESS' });
        assert.strictEqual((await provision(request)).body.status, 'FAILURE');
        assert.strictEqual((await provision({ ...request, deviceName: 'not-there' })).body.status, 'FAILURE');
    });

    it('answers a request without secret on MQTT 5 with PUBACK 0x83 and closes, without a response', async function () {
        const { client, puback } = await provision({ deviceName: 'x', provisionDeviceKey: 'auto-key' }, { protocolVersion: 5 });
        assert.strictEqual(puback.err.code, 0x83);
        await waitFor(() => client.seen.closed, 5000, 'close');
        assert.deepStrictEqual(client.seen.messages, []);
    });

    it('allows only /provision/request in a provision session (0x90 and close)', async function () {
        const session = rawSession(sim, { protocolVersion: 5, connect: { username: 'provision' } });
        await waitFor(() => session.packets.length === 1, 5000, 'connack');
        session.send({ cmd: 'publish', topic: 'v1/devices/me/telemetry', payload: '{"a":1}', qos: 1, messageId: 3 });
        await session.closedPromise;
        assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.reasonCode]), [['connack', 0], ['puback', 0x90]]);
    });
});
