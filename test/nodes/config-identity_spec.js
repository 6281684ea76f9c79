'use strict';
// The identity a deployed tb-x509-config resolves: openssl-made keys in every PEM form,
// PKCS#12 bundles, files, the key store, precedence, and exact user-facing errors.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { helper, allNodes, dist } = require('../support/node-red');
const { openssl, tempDir, removeDir, writeFiles, makeIdentity, convertKey, makePkcs12 } = require('../support/openssl');

const { selfSignedCertificate, normaliseGenerateOptions } = require(path.join(dist, 'lib', 'pki', 'generate.js'));
const { validityProblem } = require(path.join(dist, 'lib', 'pki', 'validity.js'));

const LABEL = 'Plant A';
const PASSPHRASE = 'Sesame-Secret-42';

describe('tb-x509-config identity', function () {
    this.timeout(60000);
    let dir;
    let ec; // openssl EC P-256, PKCS#8
    let rsa; // openssl RSA 2048, PKCS#8
    let other;

    before(async () => {
        await helper.startServer();
        dir = await tempDir();
        ec = await makeIdentity(dir, 'ec', { commonName: 'dev-ec' });
        rsa = await makeIdentity(dir, 'rsa', { keyType: 'rsa', commonName: 'dev-rsa' });
        other = await makeIdentity(dir, 'other', { commonName: 'dev-other' });
    });
    after(async () => {
        await helper.stopServer();
        await removeDir(dir);
    });
    afterEach(() => helper.unload());

    /** Deploys one config node; returns its IdentityProvider. */
    async function deploy(props = {}, credentials = {}) {
        const keyStore = props.keyStore ?? path.join(dir, `store-${crypto.randomUUID()}`);
        await helper.load(allNodes, [{ id: 'cfg', type: 'tb-x509-config', name: LABEL, host: 'localhost', ...props, keyStore }], { cfg: credentials });
        return helper.getNode('cfg').runtime.identity;
    }

    async function fingerprintOf(file) {
        const out = (await openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256'])).stdout.trim();
        return out.slice(out.indexOf('=') + 1);
    }

    async function assertFails(promise, code, message, secrets = []) {
        await assert.rejects(promise, (err) => {
            assert.strictEqual(err.code, code);
            assert.strictEqual(err.message, message);
            for (const secret of secrets) assert.ok(!err.message.includes(secret), 'message leaks a secret');
            return true;
        });
    }

    /** A line from the middle of a PEM body: if it shows up in a message, key material leaked. */
    const keyLine = (pem) => pem.split('\n')[2];

    describe('inline key forms (made by openssl)', function () {
        const forms = [
            ['EC PKCS#8', () => ec, (id) => id.keyPem, undefined],
            ['EC SEC1', () => ec, (id) => convertKey(id.key, 'traditional', { keyType: 'ec' }), /BEGIN EC PRIVATE KEY/],
            ['RSA PKCS#8', () => rsa, (id) => id.keyPem, /BEGIN PRIVATE KEY/],
            ['RSA PKCS#1', () => rsa, (id) => convertKey(id.key, 'traditional', { keyType: 'rsa' }), /BEGIN RSA PRIVATE KEY/],
            ['EC encrypted PKCS#8', () => ec, (id) => convertKey(id.key, 'pkcs8-encrypted', { passphrase: PASSPHRASE }), /BEGIN ENCRYPTED PRIVATE KEY/],
            ['RSA encrypted PKCS#8', () => rsa, (id) => convertKey(id.key, 'pkcs8-encrypted', { passphrase: PASSPHRASE }), /BEGIN ENCRYPTED PRIVATE KEY/],
            ['EC legacy encrypted PEM', () => ec, (id) => convertKey(id.key, 'legacy-encrypted', { passphrase: PASSPHRASE, keyType: 'ec' }), /Proc-Type: 4,ENCRYPTED/],
            ['RSA legacy encrypted PEM', () => rsa, (id) => convertKey(id.key, 'legacy-encrypted', { passphrase: PASSPHRASE, keyType: 'rsa' }), /Proc-Type: 4,ENCRYPTED/],
        ];
        for (const [label, pick, keyText, shape] of forms) {
            it(`loads ${label}`, async function () {
                const id = pick();
                const key = await keyText(id);
                if (shape) assert.match(key, shape);
                const provider = await deploy({}, { cert: id.certPem, key, passphrase: PASSPHRASE });
                const loaded = await provider.current();
                assert.strictEqual(loaded.source, 'inline');
                assert.strictEqual(loaded.fingerprint, await fingerprintOf(id.crt));
                assert.strictEqual(loaded.commonName, id === ec ? 'dev-ec' : 'dev-rsa');
                assert.match(loaded.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
                // the decrypted key is the same key openssl made
                const pub = (pem) => crypto.createPublicKey(pem).export({ type: 'spki', format: 'pem' });
                assert.strictEqual(pub(loaded.keyPem), pub(id.keyPem));
                const der64 = (await openssl(['x509', '-in', id.crt, '-outform', 'DER'], { encoding: 'buffer' })).stdout.toString('base64');
                assert.strictEqual(loaded.credentialsId, crypto.createHash('sha3-256').update(der64).digest('hex'));
            });
        }

        it('tolerates CRLF, indentation and Bag Attributes around the key and certificate', async function () {
            const messyKey = 'Bag Attributes\n    localKeyID: 01\nKey Attributes: <No Attributes>\n' + ec.keyPem.replace(/\n/g, '\r\n  ');
            const messyCert = 'subject=CN = dev-ec\r\n' + ec.certPem.replace(/\n/g, '\r\n');
            const loaded = await (await deploy({}, { cert: messyCert, key: messyKey })).current();
            assert.strictEqual(loaded.fingerprint, await fingerprintOf(ec.crt));
            assert.strictEqual(loaded.certPem, ec.certPem);
        });

        it('leaves a certificate that did not issue the leaf out of the TLS chain, naming it; leafPem is the leaf alone', async function () {
            const loaded = await (await deploy({}, { cert: other.certPem + ec.certPem, key: ec.keyPem })).current();
            assert.strictEqual(loaded.certPem, ec.certPem);
            assert.strictEqual(loaded.leafPem, ec.certPem);
            assert.deepStrictEqual(loaded.droppedCertificates, ['dev-other']);
        });

        it('a file supplies the half whose credential is empty', async function () {
            const loaded = await (await deploy({ keyFile: ec.key }, { cert: ec.certPem })).current();
            assert.strictEqual(loaded.source, 'inline');
            assert.strictEqual(loaded.fingerprint, await fingerprintOf(ec.crt));
        });
    });

    describe('PKCS#12', function () {
        it('loads a bundle made by openssl pkcs12 -export (the key\'s certificate first, unrelated extras dropped)', async function () {
            const p12 = await makePkcs12(ec.key, ec.crt, PASSPHRASE, [], other.crt);
            const loaded = await (await deploy({}, { pkcs12: p12, pkcs12Password: PASSPHRASE })).current();
            assert.strictEqual(loaded.source, 'pkcs12');
            assert.strictEqual(loaded.fingerprint, await fingerprintOf(ec.crt));
            assert.strictEqual(loaded.certPem, ec.certPem);
            assert.deepStrictEqual(loaded.droppedCertificates, ['dev-other']);
        });

        it('loads an RSA bundle made with -legacy (RC2/3DES, SHA-1 MAC)', async function () {
            const p12 = await makePkcs12(rsa.key, rsa.crt, PASSPHRASE, ['-legacy']);
            const loaded = await (await deploy({}, { pkcs12: p12, pkcs12Password: PASSPHRASE })).current();
            assert.strictEqual(loaded.fingerprint, await fingerprintOf(rsa.crt));
        });

        it('a wrong password is named as such, without the password', async function () {
            const p12 = await makePkcs12(ec.key, ec.crt, PASSPHRASE);
            const provider = await deploy({}, { pkcs12: p12, pkcs12Password: 'not-it-123' });
            await assertFails(
                provider.current(),
                'PKCS12_WRONG_PASSWORD',
                'The PKCS#12 password of config "Plant A" does not open its PKCS#12 bundle. Check the password.',
                ['not-it-123', PASSPHRASE],
            );
        });

        it('garbage in the bundle field', async function () {
            const provider = await deploy({}, { pkcs12: 'this is not base64!' });
            await assertFails(
                provider.current(),
                'PKCS12_UNREADABLE',
                'The PKCS#12 bundle of config "Plant A" cannot be read (not base64). Upload the .p12/.pfx file again in the config node (Device identity tab).',
            );
        });
    });

    describe('precedence inline → PKCS#12 → file → key store', function () {
        let p12;
        let storeDir;
        before(async () => {
            p12 = await makePkcs12(rsa.key, rsa.crt, 'p');
            storeDir = path.join(dir, 'precedence-store');
            fs.mkdirSync(storeDir, { recursive: true });
            writeFiles(storeDir, { 'key.pem': other.keyPem, 'cert.pem': other.certPem });
        });
        const files = () => ({ certFile: other.crt, keyFile: other.key });

        it('inline wins over everything', async function () {
            const loaded = await (await deploy({ ...files(), keyStore: storeDir }, { cert: ec.certPem, key: ec.keyPem, pkcs12: p12, pkcs12Password: 'p' })).current();
            assert.deepStrictEqual([loaded.source, loaded.commonName], ['inline', 'dev-ec']);
        });
        it('PKCS#12 wins over files and the key store', async function () {
            const loaded = await (await deploy({ ...files(), keyStore: storeDir }, { pkcs12: p12, pkcs12Password: 'p' })).current();
            assert.deepStrictEqual([loaded.source, loaded.commonName], ['pkcs12', 'dev-rsa']);
        });
        it('files win over the key store', async function () {
            const loaded = await (await deploy({ certFile: ec.crt, keyFile: ec.key, keyStore: storeDir })).current();
            assert.deepStrictEqual([loaded.source, loaded.commonName], ['file', 'dev-ec']);
        });
        it('the key store is used last', async function () {
            const loaded = await (await deploy({ keyStore: storeDir })).current();
            assert.deepStrictEqual([loaded.source, loaded.commonName], ['keystore', 'dev-other']);
        });
        it('nothing configured: no identity, no error', async function () {
            assert.strictEqual(await (await deploy()).current(), undefined);
        });
        it('a file identity is re-read when the file changes', async function () {
            const sub = path.join(dir, 'changing');
            fs.mkdirSync(sub, { recursive: true });
            const paths = writeFiles(sub, { 'c.pem': ec.certPem, 'k.pem': ec.keyPem });
            const provider = await deploy({ certFile: paths['c.pem'], keyFile: paths['k.pem'] });
            assert.strictEqual((await provider.current()).commonName, 'dev-ec');
            writeFiles(sub, { 'c.pem': other.certPem + '\n', 'k.pem': other.keyPem + '\n' });
            assert.strictEqual((await provider.current()).commonName, 'dev-other');
        });
    });

    describe('errors users get (exact text, no secrets)', function () {
        it('key does not match the certificate', async function () {
            const provider = await deploy({}, { cert: ec.certPem, key: other.keyPem });
            await assertFails(
                provider.current(),
                'KEY_CERT_MISMATCH',
                'The private key in the "key" credential of config "Plant A" does not belong to the certificate in the "cert" credential of config "Plant A" (CN "dev-ec"). Use the key the certificate was issued for.',
                [keyLine(other.keyPem)],
            );
        });

        it('wrong passphrase (encrypted PKCS#8 and legacy PEM)', async function () {
            for (const format of ['pkcs8-encrypted', 'legacy-encrypted']) {
                const key = await convertKey(ec.key, format, { passphrase: PASSPHRASE, keyType: 'ec' });
                const provider = await deploy({}, { cert: ec.certPem, key, passphrase: 'Wrong-Guess-77' });
                await assertFails(
                    provider.current(),
                    'KEY_WRONG_PASSPHRASE',
                    'The passphrase of config "Plant A" does not decrypt the private key in the "key" credential of config "Plant A". Check the passphrase.',
                    ['Wrong-Guess-77', PASSPHRASE, keyLine(key)],
                );
                await helper.unload();
            }
        });

        it('encrypted key without a passphrase', async function () {
            const key = await convertKey(ec.key, 'pkcs8-encrypted', { passphrase: PASSPHRASE });
            const provider = await deploy({}, { cert: ec.certPem, key });
            await assertFails(
                provider.current(),
                'KEY_ENCRYPTED_NO_PASSPHRASE',
                'The private key in the "key" credential of config "Plant A" is encrypted, but config "Plant A" has no passphrase. Enter the key\'s passphrase in the config node.',
                [keyLine(key)],
            );
        });

        it('garbage instead of a key, and a certificate pasted as the key', async function () {
            for (const key of ['-----BEGIN GARBAGE-----\nabc\n-----END GARBAGE-----', ec.certPem]) {
                const provider = await deploy({}, { cert: ec.certPem, key });
                await assertFails(
                    provider.current(),
                    'KEY_NOT_PEM',
                    'No private key found in the "key" credential of config "Plant A": expected PEM text with a "-----BEGIN … PRIVATE KEY-----" block (PKCS#1, SEC1 or PKCS#8).',
                );
                await helper.unload();
            }
        });

        it('a damaged key block', async function () {
            const damaged = ec.keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA');
            const provider = await deploy({}, { cert: ec.certPem, key: damaged });
            await assert.rejects(provider.current(), (err) => {
                assert.strictEqual(err.code, 'KEY_UNREADABLE');
                assert.match(err.message, /^The private key in the "key" credential of config "Plant A" cannot be read \(.+\)\. Use an RSA or EC key in PEM form \(PKCS#1, SEC1 or PKCS#8\)\.$/);
                assert.ok(!err.message.includes(keyLine(damaged)));
                return true;
            });
        });

        it('garbage instead of a certificate', async function () {
            const provider = await deploy({}, { cert: 'my certificate', key: ec.keyPem });
            await assertFails(
                provider.current(),
                'CERT_NOT_PEM',
                'No certificate found in the "cert" credential of config "Plant A": expected PEM text with a "-----BEGIN CERTIFICATE-----" block. Paste the certificate (not the key or a CSR) in PEM form.',
            );
        });

        it('certificate without key, key without certificate', async function () {
            await assertFails(
                (await deploy({}, { cert: ec.certPem })).current(),
                'CERT_WITHOUT_KEY',
                'Config "Plant A" has a certificate in the "cert" credential of config "Plant A" but no private key to go with it. Add the key (credential "key" or a key file).',
            );
            await helper.unload();
            await assertFails(
                (await deploy({}, { key: ec.keyPem })).current(),
                'KEY_WITHOUT_CERT',
                'Config "Plant A" has a private key in the "key" credential of config "Plant A" but no certificate to go with it. Add the certificate (credential "cert" or a certificate file).',
                [keyLine(ec.keyPem)],
            );
            await helper.unload();
            await assertFails(
                (await deploy({ certFile: ec.crt })).current(),
                'CERT_WITHOUT_KEY',
                `Config "Plant A" has a certificate in file ${ec.crt} but no private key to go with it. Add the key (credential "key" or a key file).`,
            );
        });

        it('unreadable file: names the path, not the contents', async function () {
            const missing = path.join(dir, 'nope', 'device.key');
            await assertFails(
                (await deploy({ certFile: ec.crt, keyFile: missing })).current(),
                'FILE_UNREADABLE',
                `Cannot read the key file ${missing} of config "Plant A" (ENOENT). Check the path and that Node-RED may read it.`,
            );
        });

        it('expired and not-yet-valid certificates load, and validityProblem (the connection\'s warning) says why', async function () {
            const keys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
            const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' });
            const expired = selfSignedCertificate(keys, normaliseGenerateOptions({ commonName: 'old', days: 10 }), new Date('2020-01-01T00:05:00Z'));
            const provider = await deploy({}, { cert: expired, key: keyPem });
            const loaded = await provider.current();
            const problem = validityProblem(loaded, provider.configLabel);
            assert.strictEqual(problem.code, 'CERT_EXPIRED');
            assert.strictEqual(problem.message, 'The certificate of config "Plant A" (CN "old") expired on 2020-01-11T00:00:00.000Z. Renew it or generate a new one.');
            assert.strictEqual(validityProblem(loaded, provider.configLabel, new Date('2020-01-05T00:00:00Z')), undefined);
            const early = validityProblem(loaded, provider.configLabel, new Date('2019-12-31T00:00:00Z'));
            assert.strictEqual(early.code, 'CERT_NOT_YET_VALID');
            assert.strictEqual(
                early.message,
                'The certificate of config "Plant A" (CN "old") is not valid before 2020-01-01T00:00:00.000Z. Check the clock of this machine or the certificate\'s dates.',
            );
        });

        it('installing a generated identity into a config with its own identity', async function () {
            const generated = { keyPem: other.keyPem, certPem: other.certPem };
            await assertFails(
                (await deploy({}, { cert: ec.certPem, key: ec.keyPem })).install(generated),
                'INSTALL_REFUSED',
                'Config "Plant A" has its own inline identity, so a generated identity cannot be installed in it. Clear the config\'s certificate and key (credentials and file paths) or use x509-generate without this config.',
            );
            await helper.unload();
            await assertFails((await deploy({ certFile: ec.crt, keyFile: ec.key })).install(generated), 'INSTALL_REFUSED', 'Config "Plant A" has its own file identity, so a generated identity cannot be installed in it. Clear the config\'s certificate and key (credentials and file paths) or use x509-generate without this config.');
        });
    });

    describe('client certificate chain order', function () {
        /** root → intermediate → leaf (EC), plus a stray self-signed certificate; files in `dir`. */
        async function makeChain(prefix) {
            const f = (name) => path.join(dir, `${prefix}-${name}`);
            const ext = f('ca.ext');
            fs.writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
            for (const name of ['root', 'inter', 'leaf', 'stray']) await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(`${name}.key`)]);
            await openssl(['req', '-x509', '-new', '-key', f('root.key'), '-subj', '/CN=Chain Root', '-days', '30', '-out', f('root.pem')]);
            await openssl(['req', '-x509', '-new', '-key', f('stray.key'), '-subj', '/CN=Stray Cert', '-days', '30', '-out', f('stray.pem')]);
            await openssl(['req', '-new', '-key', f('inter.key'), '-subj', '/CN=Chain Intermediate', '-out', f('inter.csr')]);
            await openssl(['x509', '-req', '-in', f('inter.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', f('inter.pem')]);
            await openssl(['req', '-new', '-key', f('leaf.key'), '-subj', '/CN=chain-device', '-out', f('leaf.csr')]);
            await openssl(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('inter.pem'), '-CAkey', f('inter.key'), '-CAcreateserial', '-days', '30', '-out', f('leaf.pem')]);
            const pem = (name) => fs.readFileSync(f(`${name}.pem`), 'utf8');
            return { f, pem, key: fs.readFileSync(f('leaf.key'), 'utf8') };
        }

        it('puts a shuffled chain in leaf → issuer order and drops a certificate that links to nothing, naming it', async function () {
            const c = await makeChain('shuffled');
            const shuffled = [c.pem('stray'), c.pem('root'), c.pem('leaf'), c.pem('inter')].join('');
            const loaded = await (await deploy({}, { cert: shuffled, key: c.key })).current();
            assert.strictEqual(loaded.commonName, 'chain-device');
            assert.deepStrictEqual(loaded.droppedCertificates, ['Stray Cert']);
            const blocks = loaded.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g);
            assert.strictEqual(blocks.length, 3);
            // each certificate is issued by the next one, as openssl checks it
            for (let i = 0; i < blocks.length - 1; i++) {
                const cert = c.f(`out-${i}.pem`);
                const issuer = c.f(`out-${i + 1}.pem`);
                fs.writeFileSync(cert, blocks[i]);
                fs.writeFileSync(issuer, blocks[i + 1]);
                const { stdout } = await openssl(['verify', '-partial_chain', '-CAfile', issuer, cert]);
                assert.match(stdout, /: OK/);
            }
            const subjects = [];
            for (let i = 0; i < blocks.length; i++) subjects.push((await openssl(['x509', '-noout', '-subject', '-in', c.f(`out-${i}.pem`)])).stdout.trim());
            assert.deepStrictEqual(subjects.map((x) => x.replace(/^subject=\s*/, '')), ['CN = chain-device', 'CN = Chain Intermediate', 'CN = Chain Root']);
        });

        it('refuses a chain in which no certificate belongs to the key, before connecting', async function () {
            const c = await makeChain('nokey');
            const other = fs.readFileSync(c.f('stray.key'), 'utf8');
            await assert.rejects((await deploy({}, { cert: c.pem('leaf') + c.pem('inter'), key: other })).current(), (err) => {
                assert.strictEqual(err.code, 'KEY_CERT_MISMATCH');
                assert.strictEqual(err.params.commonName, 'chain-device');
                return true;
            });
        });
    });

    describe('CA chain', function () {
        it('inline ca first, then caFile, else the system store', async function () {
            assert.strictEqual(await (await deploy({ caFile: rsa.crt }, { ca: 'Bag Attributes\n' + other.certPem })).caChain(), other.certPem);
            await helper.unload();
            assert.strictEqual(await (await deploy({ caFile: rsa.crt })).caChain(), rsa.certPem);
            await helper.unload();
            assert.strictEqual(await (await deploy()).caChain(), undefined);
        });

        it('garbage CA text is refused', async function () {
            await assertFails(
                (await deploy({}, { ca: 'paste here' })).caChain(),
                'CA_NOT_PEM',
                'No CA certificate found in the "ca" credential of config "Plant A": expected PEM text with "-----BEGIN CERTIFICATE-----" blocks (the server\'s certificate chain).',
            );
        });
    });

    describe('key store', function () {
        it('install writes key.pem 0600 / cert.pem in a 0700 directory, keeps the previous pair as .prev and emits changed', async function () {
            const storeDir = path.join(dir, 'install-store', 'nested');
            const provider = await deploy({ keyStore: storeDir });
            const changes = [];
            provider.on('changed', (id) => changes.push(id.commonName));

            const first = await provider.install({ keyPem: ec.keyPem, certPem: ec.certPem });
            assert.strictEqual(first.source, 'keystore');
            assert.strictEqual(fs.statSync(storeDir).mode & 0o777, 0o700);
            assert.strictEqual(fs.statSync(path.join(storeDir, 'key.pem')).mode & 0o777, 0o600);
            assert.strictEqual(fs.readFileSync(path.join(storeDir, 'cert.pem'), 'utf8'), ec.certPem);
            assert.ok(!fs.existsSync(path.join(storeDir, 'key.pem.prev')));

            const second = await provider.install({ keyPem: await convertKey(other.key, 'traditional', { keyType: 'ec' }), certPem: other.certPem });
            assert.strictEqual((await provider.current()).fingerprint, second.fingerprint);
            assert.strictEqual(fs.readFileSync(path.join(storeDir, 'cert.pem.prev'), 'utf8'), ec.certPem);
            assert.strictEqual(fs.statSync(path.join(storeDir, 'key.pem.prev')).mode & 0o777, 0o600);
            assert.strictEqual(fs.statSync(path.join(storeDir, 'key.pem')).mode & 0o777, 0o600);
            assert.match(fs.readFileSync(path.join(storeDir, 'key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
            assert.deepStrictEqual(changes, ['dev-ec', 'dev-other']);
            assert.deepStrictEqual(fs.readdirSync(storeDir).sort(), ['cert.pem', 'cert.pem.prev', 'key.pem', 'key.pem.prev']);

            // a redeployed config (a restart) finds it again
            await helper.unload();
            const again = await (await deploy({ keyStore: storeDir })).current();
            assert.strictEqual(again.fingerprint, second.fingerprint);
        });

        it('refuses a generated pair whose key does not match', async function () {
            const provider = await deploy();
            await assertFails(
                provider.install({ keyPem: other.keyPem, certPem: ec.certPem }),
                'KEY_CERT_MISMATCH',
                'The private key in the identity to install does not belong to the certificate in the identity to install (CN "dev-ec"). Use the key the certificate was issued for.',
            );
        });

        it('a half-written store is reported', async function () {
            const storeDir = path.join(dir, 'half-store');
            fs.mkdirSync(storeDir, { recursive: true });
            writeFiles(storeDir, { 'cert.pem': ec.certPem });
            await assertFails(
                (await deploy({ keyStore: storeDir })).current(),
                'KEYSTORE_INCOMPLETE',
                `The key store ${storeDir} of config "Plant A" holds cert.pem but not key.pem. Remove the leftover file or generate a new identity.`,
            );
        });
    });
});
