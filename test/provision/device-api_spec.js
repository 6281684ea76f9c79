'use strict';
// tb-provision, method device-api: ThingsBoard's MQTT provisioning API on the stand-in's
// TLS port, with a device profile's provision key and secret. Refusals are judged by code,
// parameters and key phrase (exact wording: test/editor/catalogs_spec.js).
const assert = require('assert');
const {
    selfSigned, useSimAndNodeRed, closedPort, loadProvisionFlow, provisionError, assertNoSecret, provisionOk, recordStatus,
} = require('./support');
const { coded } = require('../support/errors');

describe('tb-provision (device-api) against tbsim', function () {
    let sim;
    let dir;
    const key = 'prov-key-d1';
    const secret = 'prov-secret-d1';

    useSimAndNodeRed((env) => {
        ({ sim, dir } = env);
        sim.createDeviceProfile({
            name: 'self-onboarding', provisionType: 'ALLOW_CREATE_NEW_DEVICES', provisionDeviceKey: key, provisionDeviceSecret: secret,
        });
    });

    const deviceApiFlow = (provisionCredentials, options = {}) => loadProvisionFlow(sim, {
        provision: { method: 'device-api' },
        // no tenant account: the device API needs only the key and secret (and the CA)
        configCredentials: { ca: sim.caPem },
        provisionCredentials,
        ...options,
    });

    it('provisions a new device whose credentials id is the sha3 of the leaf', async function () {
        const cert = selfSigned(dir, 'api-new');
        const flow = await deviceApiFlow({ provisionKey: key, provisionSecret: secret });
        const statuses = recordStatus(flow.prov);
        const msg = await provisionOk(flow, { deviceName: 'api-new', payload: { certificate: cert.certPem } });
        assert.deepStrictEqual(msg.payload, { deviceId: null, deviceName: 'api-new', created: true, credentialsType: 'X509_CERTIFICATE' });
        assert.strictEqual(msg.deviceId, null);
        const device = sim.findDeviceByName('api-new');
        assert.ok(device, 'device created');
        assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
        assert.strictEqual(device.credentials.id, cert.credentialsId);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: 'provisioned api-new' });
    });

    it('provisions the device marked "Is gateway" when gateway is on', async function () {
        const cert = selfSigned(dir, 'api-gw');
        const flow = await deviceApiFlow({ provisionKey: key, provisionSecret: secret }, { provision: { method: 'device-api', gateway: true } });
        await provisionOk(flow, { deviceName: 'api-gw', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('api-gw');
        assert.strictEqual(device.additionalInfo && device.additionalInfo.gateway, true);
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('provisions the device unmarked when gateway is off', async function () {
        const plain = selfSigned(dir, 'api-gw-off');
        const off = await deviceApiFlow({ provisionKey: key, provisionSecret: secret });
        await provisionOk(off, { deviceName: 'api-gw-off', payload: { certificate: plain.certPem } });
        assert.notStrictEqual((sim.findDeviceByName('api-gw-off').additionalInfo || {}).gateway, true);
    });

    it('says the key and secret were not found (NOT_FOUND), without the secret', async function () {
        const cert = selfSigned(dir, 'api-wrong-secret');
        const flow = await deviceApiFlow({ provisionKey: key, provisionSecret: 'wrong-secret-xyz' });
        const error = await provisionError(flow, { deviceName: 'api-wrong-secret', payload: { certificate: cert.certPem } });
        coded('TB_PROVISION_NOT_FOUND', { reason: 'Provision data was not found!' },
            'NOT_FOUND', 'check both, and that provisioning is enabled in that profile')(error);
        assertNoSecret(error, 'wrong-secret-xyz');
        assert.strictEqual(sim.findDeviceByName('api-wrong-secret'), undefined);
    });

    it('says ThingsBoard refused (FAILURE) when the device already exists', async function () {
        const flow = await deviceApiFlow({ provisionKey: key, provisionSecret: secret });
        await provisionOk(flow, { deviceName: 'api-twice', payload: { certificate: selfSigned(dir, 'api-twice').certPem } });
        const statuses = recordStatus(flow.prov);
        const error = await provisionError(flow, { deviceName: 'api-twice', payload: { certificate: selfSigned(dir, 'api-twice-2').certPem } });
        coded('TB_PROVISION_FAILURE', { device: 'api-twice', reason: 'Failed to provision device!' },
            'FAILURE', 'the device may already exist')(error);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'provisioning refused' });
    });

    it('asks for the key and secret when they are missing', async function () {
        const flow = await deviceApiFlow({});
        const error = await provisionError(flow, { deviceName: 'api-no-key', payload: { certificate: selfSigned(dir, 'api-no-key').certPem } });
        coded('TB_PROVISION_SECRET_MISSING', {}, 'provision key and provision secret', 'enter both in tb-provision')(error);
    });

    it('says when nothing listens at the MQTT address', async function () {
        const port = await closedPort();
        const flow = await deviceApiFlow({ provisionKey: key, provisionSecret: secret }, { config: { port: String(port) } });
        const error = await provisionError(flow, { deviceName: 'api-refused', payload: { certificate: selfSigned(dir, 'api-refused').certPem } });
        coded('TB_CONNECTION_REFUSED', { address: `127.0.0.1:${port}`, config: 'tbsim' }, 'the connection was refused')(error);
    });

    it('does not trust the MQTT server without its CA', async function () {
        const flow = await loadProvisionFlow(sim, {
            provision: { method: 'device-api' }, configCredentials: {}, provisionCredentials: { provisionKey: key, provisionSecret: secret },
        });
        const error = await provisionError(flow, { deviceName: 'api-untrusted', payload: { certificate: selfSigned(dir, 'api-untrusted').certPem } });
        coded('TB_SERVER_CERT_UNTRUSTED', { address: `127.0.0.1:${sim.mqttPort}`, config: 'tbsim' },
            'is not trusted', "put the server's CA chain into the CA")(error);
        assert.ok(error.params.reason.length > 0, 'the reason says why');
        assert.strictEqual(sim.findDeviceByName('api-untrusted'), undefined);
    });
});
