'use strict';
// tb-x509-ca's library side: a CA generated once and kept, or pasted (also an intermediate with
// its chain), and the leaves it issues, judged by the openssl CLI.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { openssl, tempDir, removeDir, writeFiles } = require('../support/openssl');
const { dist } = require('../support/node-red');
const { coded } = require('../support/errors');

const { CaStore } = require(path.join(dist, 'lib', 'pki', 'ca-store.js'));

const DAY_MS = 86_400_000;

async function text(file) {
    return (await openssl(['x509', '-in', file, '-noout', '-text'])).stdout;
}

/** A root and an intermediate CA made by openssl itself, in `dir`. */
async function opensslIntermediate(dir) {
    const ext = writeFiles(dir, {
        'ca.ext': 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    })['ca.ext'];
    const f = (n) => path.join(dir, n);
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=Test Root', '-days', '30', '-keyout', f('root.key'), '-out', f('root.pem')]);
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=Plant/CN=Test Intermediate', '-keyout', f('int.key'), '-out', f('int.csr')]);
    await openssl(['x509', '-req', '-in', f('int.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-CAcreateserial', '-days', '20', '-extfile', ext, '-out', f('int.pem')]);
    return { rootPem: fs.readFileSync(f('root.pem'), 'utf8'), intPem: fs.readFileSync(f('int.pem'), 'utf8'), intKey: fs.readFileSync(f('int.key'), 'utf8'), root: f('root.pem') };
}

describe('pki certificate authority (checked with openssl)', function () {
    this.timeout(60000);
    let dir;
    beforeEach(async () => {
        dir = await tempDir();
    });
    afterEach(() => removeDir(dir));

    it('generates a root CA once (EC P-256, CA:TRUE, keyCertSign+cRLSign, CN = name, SKI), keeps it 0600 and signs with it after a restart', async () => {
        const keyStoreDir = path.join(dir, 'ca-store');
        const ca = await new CaStore({ name: 'Plant CA', keyStoreDir, days: 3650 }, {}).authority();
        assert.strictEqual(fs.statSync(path.join(keyStoreDir, 'key.pem')).mode & 0o777, 0o600);
        const rootFile = writeFiles(dir, { 'root.pem': ca.certificatePem })['root.pem'];
        const t = await text(rootFile);
        assert.match(t, /Subject: CN ?= ?Plant CA\n/);
        assert.match(t, /ASN1 OID: prime256v1/);
        assert.match(t, /X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
        assert.match(t, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
        assert.match(t, /X509v3 Subject Key Identifier:/);
        const days = (ca.description.notAfter - ca.description.notBefore) / DAY_MS;
        assert.strictEqual(days, 3650);
        assert.strictEqual((await openssl(['verify', '-CAfile', rootFile, rootFile])).stdout.trim(), `${rootFile}: OK`);

        // A new store on the same directory (a restart) is the same CA.
        const again = await new CaStore({ name: 'Plant CA', keyStoreDir, days: 3650 }, {}).authority();
        assert.strictEqual(again.certificatePem, ca.certificatePem);
        const leaf = await again.issue({ commonName: 'dev-1' });
        assert.ok(ca.signed(leaf.certPem));
    });

    for (const [label, options, keyUsage] of [
        ['EC P-256', { keyType: 'ec', curve: 'P-256' }, 'Digital Signature'],
        ['RSA 2048', { keyType: 'rsa', rsaBits: 2048 }, 'Digital Signature, Key Encipherment'],
    ]) {
        it(`issues a ${label} leaf: openssl verifies it, CA:FALSE, keyUsage, clientAuth, SKI, AKI = CA's SKI, random serial`, async () => {
            const ca = await new CaStore({ name: 'Issuer', keyStoreDir: path.join(dir, 'store'), days: 100 }, {}).authority();
            const a = await ca.issue({ ...options, commonName: 'sensor-7', days: 30 });
            const b = await ca.issue({ ...options, commonName: 'sensor-7', days: 30 });
            const files = writeFiles(dir, { 'root.pem': ca.certificatePem, 'leaf.pem': a.certPem, 'leaf.key': a.keyPem, 'b.pem': b.certPem });
            assert.strictEqual(a.chainPem, ca.certificatePem, 'the chain of a root-issued leaf is the root');
            const verify = await openssl(['verify', '-CAfile', files['root.pem'], files['leaf.pem']]);
            assert.strictEqual(verify.stdout.trim(), `${files['leaf.pem']}: OK`);
            const purpose = await openssl(['verify', '-purpose', 'sslclient', '-CAfile', files['root.pem'], files['leaf.pem']]);
            assert.match(purpose.stdout, /OK/);

            const t = await text(files['leaf.pem']);
            assert.match(t, /Subject: CN ?= ?sensor-7\n/);
            assert.match(t, /Issuer: CN ?= ?Issuer\n/);
            assert.match(t, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
            assert.match(t, new RegExp(`X509v3 Key Usage: critical\\n\\s+${keyUsage}\\n`));
            assert.match(t, /X509v3 Extended Key Usage: \n?\s*TLS Web Client Authentication\n/);
            const ski = (file) => openssl(['x509', '-in', file, '-noout', '-ext', 'subjectKeyIdentifier']).then((r) => r.stdout.split('\n')[1].trim());
            const aki = (await openssl(['x509', '-in', files['leaf.pem'], '-noout', '-ext', 'authorityKeyIdentifier'])).stdout;
            assert.ok(aki.includes(await ski(files['root.pem'])), `AKI ${aki} names the CA's SKI`);
            assert.notStrictEqual(await ski(files['leaf.pem']), await ski(files['root.pem']));

            const certPub = (await openssl(['x509', '-in', files['leaf.pem'], '-noout', '-pubkey'])).stdout;
            const keyPub = (await openssl(['pkey', '-in', files['leaf.key'], '-pubout'])).stdout;
            assert.strictEqual(certPub, keyPub);
            const serial = async (f) => (await openssl(['x509', '-in', f, '-noout', '-serial'])).stdout;
            assert.notStrictEqual(await serial(files['leaf.pem']), await serial(files['b.pem']));
            assert.strictEqual(a.keyType, options.keyType);
            assert.strictEqual(a.notAfter - a.notBefore, 30 * DAY_MS);
        });
    }

    it('an intermediate pasted with its chain signs leaves that verify with -CAfile root -untrusted chain; the leaf never outlives the CA', async () => {
        const made = await opensslIntermediate(dir);
        const store = new CaStore({ name: 'Intermediate', keyStoreDir: path.join(dir, 'unused'), days: 10 }, { cert: made.intPem + made.rootPem, key: made.intKey });
        const ca = await store.authority();
        const leaf = await ca.issue({ commonName: 'gw-1', days: 365 });
        const files = writeFiles(dir, { 'leaf.pem': leaf.certPem, 'chain.pem': leaf.chainPem });
        const certs = leaf.chainPem.match(/-----BEGIN CERTIFICATE-----/g);
        assert.strictEqual(certs.length, 2, 'issuer first, then its own chain');
        assert.ok(leaf.chainPem.startsWith(ca.certificatePem));
        const verify = await openssl(['verify', '-CAfile', made.root, '-untrusted', files['chain.pem'], files['leaf.pem']]);
        assert.strictEqual(verify.stdout.trim(), `${files['leaf.pem']}: OK`);
        assert.match(await text(files['leaf.pem']), /Issuer: O ?= ?Plant, CN ?= ?Test Intermediate\n/);
        assert.ok(leaf.notAfter.getTime() <= ca.description.notAfter.getTime(), 'clamped to the CA end');
        assert.ok(!fs.existsSync(path.join(dir, 'unused')), 'a pasted CA writes no key store');
    });

    it('reads the CA from certificate and key files; an unreadable file is an error naming the path', async () => {
        const made = await opensslIntermediate(dir);
        const files = writeFiles(dir, { 'int-chain.pem': made.intPem + made.rootPem, 'int.key.pem': made.intKey });
        const ca = await new CaStore({ name: 'From files', keyStoreDir: path.join(dir, 'unused'), days: 10, certFile: files['int-chain.pem'], keyFile: files['int.key.pem'] }, {}).authority();
        assert.strictEqual(ca.commonName, 'Test Intermediate');
        const leaf = await ca.issue({ commonName: 'file-dev' });
        const f = writeFiles(dir, { 'fl.pem': leaf.certPem, 'fc.pem': leaf.chainPem });
        assert.match((await openssl(['verify', '-CAfile', made.root, '-untrusted', f['fc.pem'], f['fl.pem']])).stdout, /: OK\n$/);
        const missing = path.join(dir, 'nope.pem');
        await assert.rejects(
            new CaStore({ name: 'From files', keyStoreDir: dir, days: 10, certFile: missing, keyFile: files['int.key.pem'] }, {}).authority(),
            coded('FILE_UNREADABLE', { path: missing, reason: 'ENOENT' }),
        );
    });

    it('refuses what cannot sign, with errors that name the CA and never carry the key', async () => {
        const made = await opensslIntermediate(dir);
        const leaf = await (await new CaStore({ name: 'x', keyStoreDir: path.join(dir, 's'), days: 10 }, {}).authority()).issue({ commonName: 'not-a-ca' });
        const cases = [
            [{ cert: leaf.certPem, key: leaf.keyPem }, coded('CA_NOT_A_CA', { ca: 'Bad CA', commonName: 'not-a-ca' }, 'not a CA certificate')],
            [{ cert: made.intPem, key: leaf.keyPem }, coded('KEY_CERT_MISMATCH', { commonName: 'Test Intermediate' })],
            [{ cert: made.intPem }, coded('CA_CERT_WITHOUT_KEY', { ca: 'Bad CA' })],
            [{ key: made.intKey }, coded('CA_KEY_WITHOUT_CERT', { ca: 'Bad CA' })],
        ];
        for (const [credentials, expected] of cases) {
            const err = await new CaStore({ name: 'Bad CA', keyStoreDir: path.join(dir, 'never'), days: 10 }, credentials).authority().then(
                () => assert.fail('expected a refusal'),
                (e) => e,
            );
            expected(err);
            assert.ok(!err.message.includes('PRIVATE KEY') && !JSON.stringify(err.params).includes('PRIVATE KEY'), 'no key material in the error');
        }
        assert.ok(!fs.existsSync(path.join(dir, 'never')), 'a refused CA is not replaced by a generated one');

        const encrypted = (await openssl(['pkey', '-aes256', '-passout', 'pass:s3cret-pass'], { input: made.intKey })).stdout;
        const wrong = new CaStore({ name: 'Bad CA', keyStoreDir: dir, days: 10 }, { cert: made.intPem, key: encrypted, passphrase: 'nope' });
        await assert.rejects(wrong.authority(), (e) => coded('KEY_WRONG_PASSPHRASE')(e) && !e.message.includes('nope'));
        const right = new CaStore({ name: 'Good CA', keyStoreDir: dir, days: 10 }, { cert: made.intPem, key: encrypted, passphrase: 's3cret-pass' });
        assert.strictEqual((await right.authority()).commonName, 'Test Intermediate');
    });

    it('issues with the options x509-generate validates (bad input is an error, not a made-up name)', async () => {
        const ca = await new CaStore({ name: 'Opts', keyStoreDir: path.join(dir, 'store'), days: 10 }, {}).authority();
        await assert.rejects(ca.issue({ commonName: '  ' }), coded('COMMON_NAME_EMPTY'));
        await assert.rejects(ca.issue({ commonName: 'x', keyType: 'dsa' }), coded('KEY_TYPE_UNKNOWN'));
    });
});
