'use strict';
// tb-provision method x509-chain against the ThingsBoard stand-in: the device profile is set up
// over REST with the tb-x509-ca's certificate (idempotent), and then a device ThingsBoard does not
// know connects with a plain mqtt.js client presenting the leaf + chain x509-generate stored for it
// (fleet mode) and is created with the name the CN pattern derives. Also the refusals by cause.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const tls = require('tls');
const mqtt = require('mqtt');
const { helper, nodes, dist } = require('../support/node-red');
const { openssl, useSimAndNodeRed, simRest, provisionOnce } = require('./support');
const { forEachRelease } = require('../support/releases');
const { coded } = require('../support/errors');

const CHAIN_NODES = [nodes.config, nodes.provision, nodes.generate, nodes.ca];

/** ThingsBoard's hash of a PEM certificate, from openssl's DER (reference §2.4). */
function opensslHash(certPem) {
    const der = openssl(['x509', '-outform', 'DER'], { input: certPem });
    return crypto.createHash('sha3-256').update(der.toString('base64')).digest('hex');
}

function connect(sim, certPem, keyPem) {
    const client = mqtt.connect({
        host: sim.mqttHost, port: sim.mqttPort, protocol: 'mqtts', ca: sim.caPem, cert: certPem, key: keyPem,
        protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10000, clientId: `chain-${crypto.randomUUID()}`,
    });
    return new Promise((resolve) => {
        client.once('connect', (connack) => resolve({ client, connack }));
        client.once('error', (error) => resolve({ client, error }));
    });
}

/** config `cfg` (fleet, with CA `ca`) + tb-provision `prov` (x509-chain) + x509-generate `gen`, each → helper. */
async function loadChainFlow(sim, dir, { provision = {}, config = {}, withCa = true, credentials, caStore = 'ca' } = {}) {
    const flow = [
        { id: 'ca', type: 'tb-x509-ca', name: 'Plant CA', keyStore: path.join(dir, caStore) },
        {
            id: 'cfg', type: 'tb-x509-config', name: 'fleet', host: sim.mqttHost, port: String(sim.mqttPort), restUrl: sim.restUrl,
            identityMode: 'fleet', keyStore: path.join(dir, 'devices'), ca: withCa ? 'ca' : '', ...config,
        },
        { id: 'prov', type: 'tb-provision', config: 'cfg', method: 'x509-chain', deviceProfile: 'fleet-sensors', wires: [['out']], ...provision },
        { id: 'gen', type: 'x509-generate', config: 'cfg', wires: [['genOut']] },
        { id: 'out', type: 'helper' },
        { id: 'genOut', type: 'helper' },
    ];
    await helper.load(CHAIN_NODES, flow, { cfg: credentials ?? { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password } });
    return { prov: helper.getNode('prov'), out: helper.getNode('out'), gen: helper.getNode('gen'), genOut: helper.getNode('genOut') };
}

function generate({ gen, genOut }, deviceName) {
    return new Promise((resolve, reject) => {
        genOut.once('input', resolve);
        gen.once('call:error', (call) => reject(call.args[0]));
        gen.receive({ deviceName });
    });
}

async function profileByName(sim, name) {
    const page = await simRest(sim, 'GET', `/api/deviceProfiles?pageSize=100&page=0&textSearch=${encodeURIComponent(name)}`);
    return page.body.data.find((p) => p.name === name);
}

forEachRelease('tb-provision x509-chain', function (tbVersion) {
    let sim;
    let dir;
    const clients = [];
    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-x509-chain-', simOptions: { tbVersion } });
    afterEach(() => Promise.all(clients.splice(0).map((c) => new Promise((r) => c.end(true, {}, r)))));

    it('sets up the profile over REST once, then a device ThingsBoard does not know connects with its chain and is created by its CN', async function () {
        const flow = await loadChainFlow(sim, dir, { provision: { cnPattern: '(.*)\\.plant\\.example' } });
        const { msg, error } = await provisionOnce(flow, {});
        assert.ifError(error);
        assert.deepStrictEqual(Object.keys(msg.payload).sort(), ['deviceProfile', 'deviceProfileId', 'provisionType']);
        assert.strictEqual(msg.payload.deviceProfile, 'fleet-sensors');
        assert.strictEqual(msg.payload.provisionType, 'X509_CERTIFICATE_CHAIN');

        const caPem = fs.readFileSync(path.join(dir, 'ca', 'cert.pem'), 'utf8');
        const profile = await profileByName(sim, 'fleet-sensors');
        assert.strictEqual(profile.id.id, msg.payload.deviceProfileId);
        assert.strictEqual(profile.provisionType, 'X509_CERTIFICATE_CHAIN');
        assert.strictEqual(profile.provisionDeviceKey, opensslHash(caPem), 'keyed by the CA certificate');
        const conf = profile.profileData.provisionConfiguration;
        assert.strictEqual(conf.certificateRegExPattern, '(.*)\\.plant\\.example');
        assert.strictEqual(conf.allowCreateNewDevicesByX509Certificate, true);
        assert.ok(!JSON.stringify(profile).includes('PRIVATE KEY'));

        // Idempotent: the same settings again write nothing.
        const again = await provisionOnce(flow, {});
        assert.deepStrictEqual(again.msg.payload, msg.payload);
        assert.strictEqual((await profileByName(sim, 'fleet-sensors')).version, profile.version);

        const generated = await generate(flow, 'meter-7.plant.example');
        const deviceDir = path.join(dir, 'devices', 'meter-7.plant.example');
        const certPem = fs.readFileSync(path.join(deviceDir, 'cert.pem'), 'utf8');
        const keyPem = fs.readFileSync(path.join(deviceDir, 'key.pem'), 'utf8');
        assert.strictEqual(certPem, generated.payload.certificate + caPem, 'leaf first, then the CA');
        assert.strictEqual(sim.findDeviceByName('meter-7'), undefined);

        const { client, connack, error: refused } = await connect(sim, certPem, keyPem);
        clients.push(client);
        assert.ifError(refused);
        assert.strictEqual(connack.reasonCode, 0);
        const device = sim.findDeviceByName('meter-7');
        assert.ok(device, 'created with the name of group 1 of the CN');
        assert.strictEqual(device.type, 'fleet-sensors');
        assert.strictEqual(device.credentials.id, opensslHash(generated.payload.certificate));
    });
});

describe('tb-provision x509-chain: updates, switches and refusals', function () {
    let sim;
    let dir;
    const clients = [];
    useSimAndNodeRed((env) => ({ sim, dir } = env), { dirPrefix: 'tb-x509-chain-edge-' });
    afterEach(() => Promise.all(clients.splice(0).map((c) => new Promise((r) => c.end(true, {}, r)))));

    it('switches an existing profile to chain provisioning, keeping its name and id; a changed flag is written, allowCreate false refuses unknown devices', async function () {
        const made = await simRest(sim, 'POST', '/api/deviceProfile', {
            name: 'existing', type: 'DEFAULT', transportType: 'DEFAULT', description: 'kept',
            profileData: { configuration: { type: 'DEFAULT' }, transportConfiguration: { type: 'DEFAULT' } },
        });
        assert.strictEqual(made.status, 200, JSON.stringify(made.body));
        const flow = await loadChainFlow(sim, dir, { provision: { deviceProfile: 'existing', allowCreate: false } });
        const { msg, error } = await provisionOnce(flow, {});
        assert.ifError(error);
        assert.strictEqual(msg.payload.deviceProfileId, made.body.id.id);
        const switched = await profileByName(sim, 'existing');
        assert.strictEqual(switched.description, 'kept');
        assert.strictEqual(switched.profileData.provisionConfiguration.allowCreateNewDevicesByX509Certificate, false);
        assert.strictEqual(switched.profileData.provisionConfiguration.certificateRegExPattern, '(.*)');

        const generated = await generate(flow, 'stranger');
        const certPem = generated.payload.certificate + generated.payload.chain;
        const keyPem = fs.readFileSync(path.join(dir, 'devices', 'stranger', 'key.pem'), 'utf8');
        const { client, error: refused } = await connect(sim, certPem, keyPem);
        clients.push(client);
        assert.ok(refused, 'refused');
        assert.strictEqual(refused.code, 0x87);
        assert.strictEqual(sim.findDeviceByName('stranger'), undefined);

        await helper.unload();
        const allowing = await loadChainFlow(sim, dir, { provision: { deviceProfile: 'existing', allowCreate: true } });
        assert.ifError((await provisionOnce(allowing, {})).error);
        const updated = await profileByName(sim, 'existing');
        assert.strictEqual(updated.profileData.provisionConfiguration.allowCreateNewDevicesByX509Certificate, true);
        assert.ok(updated.version > switched.version, 'written');
    });

    it('refuses by cause: no CA, no profile name, a pattern without a group, no tenant account, the CA in another profile', async function () {
        const cases = [
            [{ withCa: false }, coded('TB_CHAIN_NO_CA', { config: 'fleet' })],
            [{ provision: { deviceProfile: ' ' } }, coded('TB_CHAIN_PROFILE_MISSING')],
            [{ provision: { cnPattern: '.*\\.plant' } }, coded('TB_CHAIN_PATTERN_NO_GROUP', { pattern: '.*\\.plant' })],
            [{ provision: { cnPattern: '(.*' } }, coded('TB_CHAIN_PATTERN_INVALID', { pattern: '(.*' })],
            [{ credentials: { ca: sim.caPem } }, coded('TB_NO_ACCOUNT')],
        ];
        for (const [options, expected] of cases) {
            const flow = await loadChainFlow(sim, dir, options);
            const { error } = await provisionOnce(flow, {});
            assert.ok(error, `refused: ${JSON.stringify(options)}`);
            expected(error);
            await helper.unload();
        }

        const flow = await loadChainFlow(sim, dir, { provision: { deviceProfile: 'holder' }, caStore: 'ca-shared' });
        assert.ifError((await provisionOnce(flow, {})).error);
        await helper.unload();
        const second = await loadChainFlow(sim, dir, { provision: { deviceProfile: 'another' }, caStore: 'ca-shared' });
        const { error } = await provisionOnce(second, {});
        coded('TB_CHAIN_CERT_IN_OTHER_PROFILE', { profile: 'another', ca: 'Plant CA' }, 'one profile only')(error);
        assert.strictEqual(await profileByName(sim, 'another'), undefined, 'nothing created');
    });

    it('a well-known root CA certificate is refused as such (the library, with a stand-in CA holding only a public certificate)', async function () {
        const { ThingsBoardRestClient } = require(path.join(dist, 'lib', 'thingsboard', 'rest-client.js'));
        const { setUpChainProfile } = require(path.join(dist, 'lib', 'thingsboard', 'provision-x509-chain.js'));
        const { IdentityProvider } = require(path.join(dist, 'lib', 'pki', 'identity-provider.js'));
        const settings = { label: 'direct', host: sim.mqttHost, port: sim.mqttPort, restUrl: sim.restUrl, verifyServer: true, keepalive: 60, keyStoreDir: dir };
        const credentials = { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password };
        const client = new ThingsBoardRestClient(settings, credentials, new IdentityProvider(settings, credentials));
        const root = tls.rootCertificates[0];
        const publicRoot = { certificatePem: root, commonName: 'public root', description: { credentialsId: opensslHash(root) } };
        try {
            await assert.rejects(
                setUpChainProfile(client, { deviceProfile: 'public', cnPattern: '(.*)', allowCreate: true, ca: publicRoot }),
                coded('TB_CHAIN_WELL_KNOWN_ROOT', { profile: 'public', ca: 'public root' }, 'well-known'),
            );
        } finally {
            client.close();
        }
    });
});
