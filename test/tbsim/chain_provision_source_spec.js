'use strict';
// tbsim's X.509 chain provisioning pinned to ThingsBoard's source (3.5 … 4.3.1.3):
// DeviceProfileServiceImpl.formatDeviceProfileCertificate (what the profile stores and hashes),
// DeviceProfileDataValidator (type, transport type, well-known roots), the unique provision key,
// DefaultTransportApiService.validateOrCreateDeviceX509Certificate and
// DeviceProvisionServiceImpl.provisionDeviceViaX509Chain (CN through IETFUtils.valueToString,
// find() + group(1), rotation in the same profile, refusal in another, a nameless group).
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const tls = require('tls');
const { startTbsim, tempDir, run, curl, apiKey, opensslCredentialsId, connectMqtt, end } = require('./support');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir, name) {
    const certFile = path.join(dir, `${name}.pem`);
    const keyFile = path.join(dir, `${name}-key.pem`);
    const res = await run('openssl', ['req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    assert.strictEqual(res.code, 0, res.stderr);
    return { certFile, keyFile, certPem: fs.readFileSync(certFile, 'utf8') };
}

/** A leaf signed by `ca`; `subj` is openssl's -subj (CN escaping as openssl wants it). */
async function makeLeaf(dir, ca, subj) {
    const file = crypto.randomUUID();
    const keyFile = path.join(dir, `${file}-key.pem`);
    const csr = path.join(dir, `${file}.csr`);
    const certFile = path.join(dir, `${file}.pem`);
    assert.strictEqual((await run('openssl', ['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', subj, '-utf8'])).code, 0);
    const res = await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2']);
    assert.strictEqual(res.code, 0, res.stderr);
    const certPem = fs.readFileSync(certFile, 'utf8');
    return { certFile, certPem, keyPem: fs.readFileSync(keyFile, 'utf8'), chainPem: certPem + ca.certPem };
}

const chainProfile = (name, secret, extra = {}) => ({
    name,
    type: 'DEFAULT',
    transportType: 'DEFAULT',
    provisionType: 'X509_CERTIFICATE_CHAIN',
    profileData: {
        configuration: { type: 'DEFAULT' },
        transportConfiguration: { type: 'DEFAULT' },
        provisionConfiguration: { type: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: secret, certificateRegExPattern: '(.*)', allowCreateNewDevicesByX509Certificate: true, ...extra },
    },
});

describe('tbsim chain provisioning as ThingsBoard source has it', function () {
    this.timeout(60000);
    let sim;
    let dir;
    const clients = [];
    async function connectWith(leaf) {
        const r = await connectMqtt(sim, { cert: { certPem: leaf.chainPem, keyPem: leaf.keyPem }, protocolVersion: 5 });
        clients.push(r.client);
        return r;
    }
    const post = (body) => curl(sim, 'POST', '/api/deviceProfile', { auth: apiKey(sim), body });

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
    });
    afterEach(async () => Promise.all(clients.splice(0).map(end)));
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('POST /api/deviceProfile with X509_CERTIFICATE_CHAIN', function () {
        it('one certificate: stored as bare base64, provisionDeviceKey = sha3 of it (the transport\'s hash of that certificate)', async function () {
            const ca = await makeCa(dir, 'Single CA');
            const res = await post(chainProfile('single', ca.certPem));
            assert.strictEqual(res.status, 200, res.text);
            assert.strictEqual(res.body.provisionDeviceKey, await opensslCredentialsId(ca.certFile));
            const der = (await run('openssl', ['x509', '-in', ca.certFile, '-outform', 'DER'], { encoding: 'buffer' })).stdout;
            assert.strictEqual(res.body.profileData.provisionConfiguration.provisionDeviceSecret, der.toString('base64'));
        });

        it('a chain: stored re-lined, keyed by its first PEM block with markers, so a device of that CA is never provisioned', async function () {
            const ca = await makeCa(dir, 'Chain CA');
            const other = await makeCa(dir, 'Chain Root');
            const res = await post(chainProfile('chain-upload', ca.certPem + other.certPem));
            assert.strictEqual(res.status, 200, res.text);
            const secret = res.body.profileData.provisionConfiguration.provisionDeviceSecret;
            assert.match(secret, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=]+\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n/);
            const firstBlock = secret.slice(0, secret.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length);
            assert.strictEqual(res.body.provisionDeviceKey, crypto.createHash('sha3-256').update(firstBlock).digest('hex'));
            assert.notStrictEqual(res.body.provisionDeviceKey, await opensslCredentialsId(ca.certFile));

            const leaf = await makeLeaf(dir, ca, '/CN=never-created');
            assert.strictEqual((await connectWith(leaf)).error.code, 0x87);
            assert.strictEqual(sim.findDeviceByName('never-created'), undefined);
        });

        it('refuses a well-known root, a certificate another profile holds, and a profile without type or transport type', async function () {
            const root = tls.rootCertificates[0];
            const wellKnown = await post(chainProfile('public-root', root));
            assert.strictEqual(wellKnown.status, 400);
            assert.strictEqual(wellKnown.body.message, 'Device profile certificate cannot be well known root CA!');
            assert.strictEqual(wellKnown.body.errorCode, 31);

            const ca = await makeCa(dir, 'Shared CA');
            assert.strictEqual((await post(chainProfile('first-holder', ca.certPem))).status, 200);
            const second = await post(chainProfile('second-holder', ca.certPem));
            assert.strictEqual(second.status, 400);
            assert.strictEqual(second.body.message, 'Device profile with such certificate already exists!');
            assert.strictEqual(second.body.errorCode, 31);

            const { type, ...noType } = chainProfile('no-type', ca.certPem);
            assert.strictEqual(type, 'DEFAULT');
            assert.strictEqual((await post(noType)).body.message, 'Device profile type should be specified!');
            const { transportType, ...noTransport } = chainProfile('no-transport', ca.certPem);
            assert.strictEqual(transportType, 'DEFAULT');
            assert.strictEqual((await post(noTransport)).body.message, 'Device profile transport type should be specified!');
        });
    });

    describe('at connect', function () {
        let ca;
        before(async function () {
            ca = await makeCa(dir, 'Runtime CA');
            const res = await post(chainProfile('runtime', ca.certPem, { certificateRegExPattern: '^([^.]*)' }));
            assert.strictEqual(res.status, 200, res.text);
        });

        it('names the device by group(1) of find() on the CN as Bouncy Castle prints it (RFC 4514 specials escaped)', async function () {
            const leaf = await makeLeaf(dir, ca, '/CN=Line 3\\, Press\\+1.plant.example');
            assert.strictEqual((await connectWith(leaf)).connack.reasonCode, 0);
            const device = sim.findDeviceByName('Line 3\\, Press\\+1');
            assert.ok(device, 'device named with the escapes');
            assert.strictEqual(device.type, 'runtime');
            assert.strictEqual(device.credentials.id, await opensslCredentialsId(leaf.certFile));
            assert.deepStrictEqual(sim.serverAttributes(device.id), { provisionState: 'provisioned' });
        });

        it('rotates the certificate of a device of the same profile; refuses a device of that name in another profile', async function () {
            const first = await makeLeaf(dir, ca, '/CN=rotor.plant');
            assert.strictEqual((await connectWith(first)).connack.reasonCode, 0);
            const next = await makeLeaf(dir, ca, '/CN=rotor.plant');
            assert.strictEqual((await connectWith(next)).connack.reasonCode, 0);
            assert.strictEqual(sim.findDeviceByName('rotor').credentials.id, await opensslCredentialsId(next.certFile));
            // The CA vouches, not the certificate: the older one, still signed by the CA, rotates the device back.
            assert.strictEqual((await connectWith(first)).connack.reasonCode, 0);
            assert.strictEqual(sim.findDeviceByName('rotor').credentials.id, await opensslCredentialsId(first.certFile));

            const own = await makeLeaf(dir, ca, '/CN=elsewhere');
            const created = await curl(sim, 'POST', '/api/device-with-credentials', {
                auth: apiKey(sim),
                body: { device: { name: 'elsewhere' }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: (await makeLeaf(dir, ca, '/CN=x')).certPem } },
            });
            assert.strictEqual(created.status, 200, created.text);
            assert.strictEqual((await connectWith(own)).error.code, 0x87);
            assert.notStrictEqual(sim.findDeviceByName('elsewhere').credentials.id, await opensslCredentialsId(own.certFile));
        });

        it('a pattern without a group, or one the CN does not match, is FAILURE; a group that took no part gives a random 20-character name', async function () {
            const noGroup = await makeCa(dir, 'No group CA');
            assert.strictEqual((await post(chainProfile('no-group', noGroup.certPem, { certificateRegExPattern: '.*' }))).status, 200);
            assert.strictEqual((await connectWith(await makeLeaf(dir, noGroup, '/CN=g1'))).error.code, 0x87);
            assert.strictEqual(sim.findDeviceByName('g1'), undefined);
            assert.strictEqual((await connectWith(await makeLeaf(dir, ca, '/CN=.starts-with-dot'))).connack?.reasonCode, 0,
                '^([^.]*) matches the empty name before the dot');

            const optional = await makeCa(dir, 'Optional CA');
            const res = await post(chainProfile('optional-group', optional.certPem, { certificateRegExPattern: '^(x)?' }));
            assert.strictEqual(res.status, 200, res.text);
            const devices = async () => (await curl(sim, 'GET', '/api/tenant/devices?pageSize=1000&page=0', { auth: apiKey(sim) })).body.data;
            const before = new Set((await devices()).map((d) => d.name));
            assert.strictEqual((await connectWith(await makeLeaf(dir, optional, '/CN=abc'))).connack.reasonCode, 0);
            const added = (await devices()).filter((d) => !before.has(d.name));
            assert.strictEqual(added.length, 1);
            assert.match(added[0].name, /^[A-Za-z0-9]{20}$/);
            assert.strictEqual(added[0].type, 'optional-group');
        });
    });
});
