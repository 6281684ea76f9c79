'use strict';
// tb-provision, method rest, against the ThingsBoard stand-in over HTTPS, in a real
// Node-RED runtime (node-red-node-test-helper). Certificates come from openssl.
// Refusals are judged by code, parameters and the phrase that tells the user what to do; their
// exact wording is pinned in test/editor/catalogs_spec.js.
const assert = require('assert');
const {
    selfSigned, signedByCa, useSimAndNodeRed, closedPort, simRest,
    loadProvisionFlow, provisionOnce, provisionError, assertNoSecret, provisionOk, recordStatus,
} = require('./support');
const { coded } = require('../support/errors');

describe('tb-provision (rest) against tbsim', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env));

    it('creates a new device with X.509 credentials whose id is the sha3 of the leaf', async function () {
        const cert = selfSigned(dir, 'rest-new-1');
        const flow = await loadProvisionFlow(sim);
        const statuses = recordStatus(flow.prov);
        const msg = await provisionOk(flow, { deviceName: 'rest-new-1', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('rest-new-1');
        assert.ok(device, 'device created');
        assert.deepStrictEqual(msg.payload, {
            deviceId: device.id, deviceName: 'rest-new-1', created: true, credentialsType: 'X509_CERTIFICATE',
        });
        assert.strictEqual(msg.deviceId, device.id);
        assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
        assert.strictEqual(device.credentials.id, cert.credentialsId);
        assert.strictEqual(device.credentials.value, cert.leafBase64);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[0], { fill: 'yellow', shape: 'ring', text: 'provisioning…' });
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: 'provisioned rest-new-1' });
    });

    it('uses the certificate CN when msg.deviceName is empty', async function () {
        const cert = selfSigned(dir, 'rest-by-cn');
        const flow = await loadProvisionFlow(sim);
        const msg = await provisionOk(flow, { payload: { certificate: cert.certPem } });
        assert.strictEqual(msg.payload.deviceName, 'rest-by-cn');
        assert.strictEqual(sim.findDeviceByName('rest-by-cn').credentials.id, cert.credentialsId);
    });

    it('takes msg.certificate when msg.payload has none', async function () {
        const cert = selfSigned(dir, 'rest-msg-cert');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-msg-cert', certificate: cert.certPem, payload: 'tick' });
        assert.strictEqual(sim.findDeviceByName('rest-msg-cert').credentials.id, cert.credentialsId);
    });

    it('replaces the access token of an existing device (ifExists update)', async function () {
        const created = await simRest(sim, 'POST', '/api/device', { name: 'rest-existing' });
        assert.strictEqual(created.status, 200);
        assert.strictEqual(sim.findDeviceByName('rest-existing').credentials.type, 'ACCESS_TOKEN');
        const cert = selfSigned(dir, 'rest-existing');
        const flow = await loadProvisionFlow(sim);
        const msg = await provisionOk(flow, { deviceName: 'rest-existing', payload: { certificate: cert.certPem } });
        assert.deepStrictEqual(msg.payload, {
            deviceId: created.body.id.id, deviceName: 'rest-existing', created: false, credentialsType: 'X509_CERTIFICATE',
        });
        const device = sim.findDeviceByName('rest-existing');
        assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
        assert.strictEqual(device.credentials.id, cert.credentialsId);
        // rotation: a second certificate replaces the first
        const next = selfSigned(dir, 'rest-existing-2');
        await provisionOk(flow, { deviceName: 'rest-existing', payload: { certificate: next.certPem } });
        assert.strictEqual(sim.findDeviceByName('rest-existing').credentials.id, next.credentialsId);
    });

    it('creates the device marked "Is gateway" when gateway is on', async function () {
        const cert = selfSigned(dir, 'rest-gw-new');
        const flow = await loadProvisionFlow(sim, { provision: { gateway: true } });
        await provisionOk(flow, { deviceName: 'rest-gw-new', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('rest-gw-new');
        assert.strictEqual(device.additionalInfo && device.additionalInfo.gateway, true);
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('marks an existing unmarked device "Is gateway", keeping its other fields', async function () {
        const profile = sim.createDeviceProfile({ name: 'gateways' });
        const created = await simRest(sim, 'POST', '/api/device', {
            name: 'rest-gw-existing', label: 'Hall 3', deviceProfileId: { entityType: 'DEVICE_PROFILE', id: profile.id },
            additionalInfo: { description: 'kept', gateway: false },
        });
        assert.strictEqual(created.status, 200);
        const cert = selfSigned(dir, 'rest-gw-existing');
        const flow = await loadProvisionFlow(sim, { provision: { gateway: 'true' } });
        const msg = await provisionOk(flow, { deviceName: 'rest-gw-existing', payload: { certificate: cert.certPem } });
        assert.strictEqual(msg.payload.created, false);
        const device = sim.findDeviceByName('rest-gw-existing');
        assert.deepStrictEqual(device.additionalInfo, { description: 'kept', gateway: true });
        assert.strictEqual(device.id, created.body.id.id);
        assert.strictEqual(device.label, 'Hall 3');
        assert.strictEqual(device.deviceProfileId, profile.id);
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('marks an existing device whose certificate is already registered', async function () {
        const cert = selfSigned(dir, 'rest-gw-registered');
        const created = await simRest(sim, 'POST', '/api/device-with-credentials', {
            device: { name: 'rest-gw-registered' },
            credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.leafBase64 },
        });
        assert.strictEqual(created.status, 200);
        assert.notStrictEqual((sim.findDeviceByName('rest-gw-registered').additionalInfo || {}).gateway, true);
        const flow = await loadProvisionFlow(sim, { provision: { gateway: true } });
        await provisionOk(flow, { deviceName: 'rest-gw-registered', payload: { certificate: cert.certPem } });
        assert.strictEqual(sim.findDeviceByName('rest-gw-registered').additionalInfo.gateway, true);
    });

    it('neither marks nor unmarks when gateway is off', async function () {
        const plain = selfSigned(dir, 'rest-gw-off');
        const flow = await loadProvisionFlow(sim, { provision: { gateway: 'false' } });
        await provisionOk(flow, { deviceName: 'rest-gw-off', payload: { certificate: plain.certPem } });
        assert.notStrictEqual((sim.findDeviceByName('rest-gw-off').additionalInfo || {}).gateway, true);
        await simRest(sim, 'POST', '/api/device', { name: 'rest-gw-kept', additionalInfo: { gateway: true } });
        const cert = selfSigned(dir, 'rest-gw-kept');
        await provisionOk(flow, { deviceName: 'rest-gw-kept', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('rest-gw-kept');
        assert.strictEqual(device.additionalInfo.gateway, true);
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('fails for an existing device when ifExists is fail, and changes nothing', async function () {
        await simRest(sim, 'POST', '/api/device', { name: 'rest-keep' });
        const before = sim.findDeviceByName('rest-keep').credentials;
        const cert = selfSigned(dir, 'rest-keep');
        const flow = await loadProvisionFlow(sim, { provision: { ifExists: 'fail' } });
        const statuses = recordStatus(flow.prov);
        const error = await provisionError(flow, { deviceName: 'rest-keep', payload: { certificate: cert.certPem } });
        coded('TB_DEVICE_EXISTS', { device: 'rest-keep' }, 'already exists', 'nothing was changed')(error);
        assert.deepStrictEqual(sim.findDeviceByName('rest-keep').credentials, before);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'device exists' });
    });

    it('registers the leaf alone when the certificate carries its chain', async function () {
        const cert = signedByCa(dir, 'rest-chain');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-chain', payload: { certificate: `Bag Attributes\n${cert.chainPem}` } });
        const device = sim.findDeviceByName('rest-chain');
        assert.strictEqual(device.credentials.value, cert.leafBase64);
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('creates the device in the named device profile, with its label', async function () {
        const profile = sim.createDeviceProfile({ name: 'thermometers' });
        const cert = selfSigned(dir, 'rest-profiled');
        const flow = await loadProvisionFlow(sim, { provision: { deviceProfile: 'thermometers', label: 'Boiler room' } });
        await provisionOk(flow, { deviceName: 'rest-profiled', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('rest-profiled');
        assert.strictEqual(device.deviceProfileId, profile.id);
        assert.strictEqual(device.label, 'Boiler room');
    });

    it('refuses an unknown device profile before creating anything (no profile is made up)', async function () {
        const cert = selfSigned(dir, 'rest-unknown-profile');
        const flow = await loadProvisionFlow(sim, { provision: { deviceProfile: 'no-such-profile' } });
        const error = await provisionError(flow, { deviceName: 'rest-unknown-profile', payload: { certificate: cert.certPem } });
        coded('TB_DEVICE_PROFILE_UNKNOWN', { profile: 'no-such-profile', device: 'rest-unknown-profile' },
            'does not exist', 'create the profile first')(error);
        assert.strictEqual(sim.findDeviceByName('rest-unknown-profile'), undefined);
        const profiles = await simRest(sim, 'GET', '/api/deviceProfiles?pageSize=100&page=0&textSearch=no-such-profile');
        assert.deepStrictEqual(profiles.body.data, []);
    });

    it('authenticates with an API key without any login', async function () {
        const logins = sim.loginCount();
        const logStart = sim.requestLog().length;
        const cert = selfSigned(dir, 'rest-apikey');
        const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey: sim.apiKey } });
        await provisionOk(flow, { deviceName: 'rest-apikey', payload: { certificate: cert.certPem } });
        assert.strictEqual(sim.findDeviceByName('rest-apikey').credentials.id, cert.credentialsId);
        assert.strictEqual(sim.loginCount(), logins);
        assert.ok(!sim.requestLog().slice(logStart).some((r) => r.path.startsWith('/api/auth/')), 'no login or refresh call');
    });

    it('reports a rejected login by user name, never with the password', async function () {
        const cert = selfSigned(dir, 'rest-bad-login');
        const password = 'Secr3t-Passw0rd!';
        const flow = await loadProvisionFlow(sim, {
            configCredentials: { ca: sim.caPem, username: 'tenant@thingsboard.org', password },
        });
        const statuses = recordStatus(flow.prov);
        const error = await provisionError(flow, { deviceName: 'rest-bad-login', payload: { certificate: cert.certPem } });
        coded('TB_LOGIN_REJECTED', { username: 'tenant@thingsboard.org', config: 'tbsim', reason: 'Invalid username or password' },
            'check the username and password')(error);
        assertNoSecret(error, password);
        assert.strictEqual(sim.findDeviceByName('rest-bad-login'), undefined);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'login rejected' });
    });

    it('reports a rejected API key without the key', async function () {
        const apiKey = 'tb_not-a-valid-key-0123456789';
        const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey } });
        const error = await provisionError(flow, { deviceName: 'rest-bad-key', payload: { certificate: selfSigned(dir, 'rest-bad-key').certPem } });
        coded('TB_API_KEY_REJECTED', { config: 'tbsim', reason: 'Invalid username or password' },
            'rejected the API key', 'check that the key exists, is enabled and has not expired')(error);
        assertNoSecret(error, apiKey);
    });

    it('says the config has no REST URL', async function () {
        const cert = selfSigned(dir, 'rest-no-url');
        const flow = await loadProvisionFlow(sim, { config: { restUrl: '' } });
        const error = await provisionError(flow, { deviceName: 'rest-no-url', payload: { certificate: cert.certPem } });
        coded('TB_REST_URL_MISSING', { config: 'tbsim' }, 'has no REST URL')(error);
    });

    it('says the config has no account', async function () {
        const cert = selfSigned(dir, 'rest-no-account');
        const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem } });
        const error = await provisionError(flow, { deviceName: 'rest-no-account', payload: { certificate: cert.certPem } });
        coded('TB_NO_ACCOUNT', { config: 'tbsim' }, 'enter a tenant username and password, or an API key')(error);
    });

    it('says when nothing listens at the REST address', async function () {
        const port = await closedPort();
        const cert = selfSigned(dir, 'rest-refused');
        const flow = await loadProvisionFlow(sim, { config: { restUrl: `https://127.0.0.1:${port}` } });
        const error = await provisionError(flow, { deviceName: 'rest-refused', payload: { certificate: cert.certPem } });
        coded('TB_CONNECTION_REFUSED', { address: `127.0.0.1:${port}`, config: 'tbsim' }, 'the connection was refused')(error);
    });

    it('says when the REST host name does not exist', async function () {
        const cert = selfSigned(dir, 'rest-no-host');
        const flow = await loadProvisionFlow(sim, { config: { restUrl: 'https://no-such-host.invalid:8443' } });
        const error = await provisionError(flow, { deviceName: 'rest-no-host', payload: { certificate: cert.certPem } });
        coded('TB_HOST_NOT_FOUND', { address: 'no-such-host.invalid:8443', config: 'tbsim' }, 'the host name was not found')(error);
    });

    it('checks the REST certificate against the configured server name', async function () {
        const cert = selfSigned(dir, 'rest-servername');
        // servername applies to REST because restUrl names the same host as the MQTT settings
        const flow = await loadProvisionFlow(sim, { config: { host: '127.0.0.1', servername: 'not-the-server.example' } });
        const error = await provisionError(flow, { deviceName: 'rest-servername', payload: { certificate: cert.certPem } });
        coded('TB_SERVER_CERT_NAME_MISMATCH', { address: new URL(sim.restUrl).host, config: 'tbsim' },
            'was not issued for that host name', 'set the server name in tb-x509-config')(error);
        assert.match(error.params.reason, /not-the-server\.example/, 'the reason names the server name checked');
        assert.strictEqual(sim.findDeviceByName('rest-servername'), undefined);
    });

    it('says when the REST server certificate is not trusted (config without the CA)', async function () {
        const cert = selfSigned(dir, 'rest-untrusted');
        const flow = await loadProvisionFlow(sim, {
            configCredentials: { username: sim.tenant.username, password: sim.tenant.password },
        });
        const statuses = recordStatus(flow.prov);
        const error = await provisionError(flow, { deviceName: 'rest-untrusted', payload: { certificate: cert.certPem } });
        coded('TB_SERVER_CERT_UNTRUSTED', { address: new URL(sim.restUrl).host, config: 'tbsim' },
            'is not trusted', "put the server's CA chain into the CA")(error);
        assert.ok(error.params.reason.length > 0, 'the reason says why');
        assert.strictEqual(sim.findDeviceByName('rest-untrusted'), undefined);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'server not trusted' });
    });

    it('says which device could not take a certificate already assigned to another device', async function () {
        const cert = selfSigned(dir, 'rest-shared');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-owner', payload: { certificate: cert.certPem } });
        const error = await provisionError(flow, { deviceName: 'rest-second', payload: { certificate: cert.certPem } });
        coded('TB_CERT_ASSIGNED_ELSEWHERE', { device: 'rest-second' },
            'already assigned to another device', 'generate a new one for "rest-second"')(error);
        assert.strictEqual(sim.findDeviceByName('rest-second'), undefined, 'creation rolled back');
        // the same for an existing device being updated
        await simRest(sim, 'POST', '/api/device', { name: 'rest-third' });
        const again = await provisionError(flow, { deviceName: 'rest-third', payload: { certificate: cert.certPem } });
        coded('TB_CERT_ASSIGNED_ELSEWHERE', { device: 'rest-third' }, 'already assigned to another device')(again);
        assert.strictEqual(sim.findDeviceByName('rest-third').credentials.type, 'ACCESS_TOKEN');
    });

    it('retries after 429 and then succeeds', async function () {
        const cert = selfSigned(dir, 'rest-429');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-429-warmup', payload: { certificate: selfSigned(dir, 'rest-429-warmup').certPem } });
        const logStart = sim.requestLog().length;
        sim.setRateLimit({ next429: 2 });
        const msg = await provisionOk(flow, { deviceName: 'rest-429', payload: { certificate: cert.certPem } });
        assert.strictEqual(msg.payload.created, true);
        const statuses = sim.requestLog().slice(logStart).map((r) => r.status);
        assert.deepStrictEqual(statuses.slice(0, 3), [429, 429, 404], 'two 429s, then the lookup went through');
    });

    it('gives up after a bounded number of 429 answers with a clear error', async function () {
        const cert = selfSigned(dir, 'rest-429-exhausted');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-429-warmup-2', payload: { certificate: selfSigned(dir, 'rest-429-warmup-2').certPem } });
        const logStart = sim.requestLog().length;
        sim.setRateLimit({ next429: 100 });
        let error;
        try {
            error = await provisionError(flow, { deviceName: 'rest-429-exhausted', payload: { certificate: cert.certPem } });
        } finally {
            sim.setRateLimit({ next429: 0 });
        }
        coded('TB_RATE_LIMITED', { operation: 'GET /api/tenant/devices', attempts: 4, reason: 'Too many requests for current tenant!' },
            'HTTP 429', 'slow the flow down')(error);
        assert.strictEqual(sim.requestLog().slice(logStart).length, 4);
    });

    it('refuses text that is not a certificate before sending anything', async function () {
        const flow = await loadProvisionFlow(sim);
        const logStart = sim.requestLog().length;
        const garbage = await provisionError(flow, { deviceName: 'rest-garbage', payload: { certificate: 'not a certificate' } });
        coded('CERT_NOT_PEM', { source: 'msg.payload.certificate' }, 'No certificate found in msg.payload.certificate')(garbage);
        const broken = await provisionError(flow, {
            deviceName: 'rest-garbage', payload: { certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        });
        coded('CERT_UNREADABLE', { index: 1, source: 'msg.payload.certificate' }, 'msg.payload.certificate', 'cannot be read')(broken);
        const notText = await provisionError(flow, { deviceName: 'rest-garbage', certificate: { pem: 1 } });
        coded('TB_CERT_INVALID', { source: 'msg.certificate', reason: 'it is object, not PEM text' },
            'not a usable PEM certificate', 'nothing was sent to ThingsBoard')(notText);
        assert.strictEqual(sim.requestLog().length, logStart, 'no REST call made');
        assert.strictEqual(sim.findDeviceByName('rest-garbage'), undefined);
    });

    it('logs in once for 20 concurrent messages', async function () {
        const before = sim.loginCount();
        const flow = await loadProvisionFlow(sim);
        const certs = Array.from({ length: 20 }, (_, i) => selfSigned(dir, `rest-many-${i}`));
        const results = await Promise.all(certs.map((cert, i) =>
            provisionOnce(flow, { deviceName: `rest-many-${i}`, payload: { certificate: cert.certPem } })));
        results.forEach((r) => assert.ok(!r.error, r.error && r.error.message));
        assert.strictEqual(sim.loginCount() - before, 1);
        certs.forEach((cert, i) => assert.strictEqual(sim.findDeviceByName(`rest-many-${i}`).credentials.id, cert.credentialsId));
    });

    it('refreshes an expired token once and carries on without a new login', async function () {
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rest-expiry-1', payload: { certificate: selfSigned(dir, 'rest-expiry-1').certPem } });
        const logins = sim.loginCount();
        const logStart = sim.requestLog().length;
        sim.expireAccessTokens();
        await provisionOk(flow, { deviceName: 'rest-expiry-2', payload: { certificate: selfSigned(dir, 'rest-expiry-2').certPem } });
        assert.strictEqual(sim.loginCount(), logins);
        const calls = sim.requestLog().slice(logStart);
        assert.strictEqual(calls.filter((r) => r.path === '/api/auth/token').length, 1, 'one refresh');
        assert.strictEqual(calls.filter((r) => r.status === 401).length, 1, 'one 401, no loop');
        assert.ok(sim.findDeviceByName('rest-expiry-2'));
    });
});

describe('tb-provision (rest) with short-lived tokens', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { simOptions: { accessTokenTtlSeconds: 2 } });

    it('refreshes ahead of the token\'s exp instead of waiting for a 401', async function () {
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'short-1', payload: { certificate: selfSigned(dir, 'short-1').certPem } });
        const logStart = sim.requestLog().length;
        await new Promise((resolve) => setTimeout(resolve, 2100)); // let the 2 s token run out
        await provisionOk(flow, { deviceName: 'short-2', payload: { certificate: selfSigned(dir, 'short-2').certPem } });
        const calls = sim.requestLog().slice(logStart);
        assert.strictEqual(calls[0].path, '/api/auth/token', 'refresh first');
        assert.strictEqual(calls.filter((r) => r.status === 401).length, 0, 'never sent an expired token');
        assert.strictEqual(sim.loginCount(), 1);
    });
});
