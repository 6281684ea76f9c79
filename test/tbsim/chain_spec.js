'use strict';
// X.509 certificate-chain auto-provisioning (reference §3.4): the profile holds a CA; a device presenting
// leaf + CA is created (or its certificate rotated) while the TLS session starts, and CONNECT then succeeds.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
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

async function makeLeaf(dir, ca, cn, file) {
    const keyFile = path.join(dir, `${file}-key.pem`);
    const csr = path.join(dir, `${file}.csr`);
    const certFile = path.join(dir, `${file}.pem`);
    assert.strictEqual((await run('openssl', ['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${cn}`])).code, 0);
    const res = await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2']);
    assert.strictEqual(res.code, 0, res.stderr);
    const certPem = fs.readFileSync(certFile, 'utf8');
    return { certFile, certPem, keyPem: fs.readFileSync(keyFile, 'utf8'), chainPem: certPem + ca.certPem };
}

describe('tbsim X.509 chain auto-provisioning', function () {
    let sim;
    let dir;
    let ca;
    let profile;
    const clients = [];
    async function connectWith(leaf, chain = true) {
        const r = await connectMqtt(sim, { cert: { certPem: chain ? leaf.chainPem : leaf.certPem, keyPem: leaf.keyPem }, protocolVersion: 5 });
        clients.push(r.client);
        return r;
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
        ca = await makeCa(dir, 'Fleet CA');
        profile = sim.createDeviceProfile({
            name: 'fleet', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: ca.certPem,
            certificateRegExPattern: '(.*)\\.company\\.com', allowCreateNewDevicesByX509Certificate: true,
        });
    });
    afterEach(async () => Promise.all(clients.splice(0).map(end)));
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('derives the provision key from the profile certificate', async function () {
        assert.strictEqual(profile.provisionDeviceKey, await opensslCredentialsId(ca.certFile));
    });

    it('creates the device named by the regex group on first connect with leaf + CA', async function () {
        const leaf = await makeLeaf(dir, ca, 'dev-42.company.com', 'dev-42');
        const { connack } = await connectWith(leaf);
        assert.strictEqual(connack.reasonCode, 0);
        const device = sim.findDeviceByName('dev-42');
        assert.strictEqual(device.type, 'fleet');
        assert.strictEqual(device.credentials.id, await opensslCredentialsId(leaf.certFile));
        assert.deepStrictEqual(sim.serverAttributes(device.id), { provisionState: 'provisioned' });
    });

    it('rotates the certificate of an existing device of that profile', async function () {
        const next = await makeLeaf(dir, ca, 'dev-42.company.com', 'dev-42-next');
        const { connack } = await connectWith(next);
        assert.strictEqual(connack.reasonCode, 0);
        assert.strictEqual(sim.findDeviceByName('dev-42').credentials.id, await opensslCredentialsId(next.certFile));
    });

    it('does nothing for a leaf presented without its CA, a CN the regex does not match, or a name in another profile', async function () {
        const alone = await makeLeaf(dir, ca, 'dev-43.company.com', 'dev-43');
        assert.strictEqual((await connectWith(alone, false)).error.code, 0x87);
        assert.strictEqual(sim.findDeviceByName('dev-43'), undefined);

        const other = await makeLeaf(dir, ca, 'dev-44.example.org', 'dev-44');
        assert.strictEqual((await connectWith(other)).error.code, 0x87);

        await curl(sim, 'POST', '/api/device', { auth: apiKey(sim), body: { name: 'dev-45' } });
        const taken = await makeLeaf(dir, ca, 'dev-45.company.com', 'dev-45');
        assert.strictEqual((await connectWith(taken)).error.code, 0x87);
        assert.strictEqual(sim.findDeviceByName('dev-45').credentials.type, 'ACCESS_TOKEN');
    });

    it('refuses new devices when the profile does not allow creating them', async function () {
        const ca2 = await makeCa(dir, 'Closed CA');
        sim.createDeviceProfile({ name: 'closed', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: ca2.certPem, allowCreateNewDevicesByX509Certificate: false });
        const leaf = await makeLeaf(dir, ca2, 'closed-1', 'closed-1');
        assert.strictEqual((await connectWith(leaf)).error.code, 0x87);
        assert.strictEqual(sim.findDeviceByName('closed-1'), undefined);
    });
});
