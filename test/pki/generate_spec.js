'use strict';
// Generated identities judged by the real openssl CLI.
const assert = require('assert');
const crypto = require('crypto');
const path = require('path');
const { openssl, tempDir, removeDir, writeFiles } = require('../support/openssl');
const { dist } = require('../support/node-red');
const { coded } = require('../support/errors');

const { generateIdentity, normaliseGenerateOptions } = require(path.join(dist, 'lib', 'pki', 'generate.js'));

const DAY_MS = 86_400_000;

describe('pki generateIdentity (checked with openssl)', function () {
    this.timeout(60000);
    let dir;
    before(async () => {
        dir = await tempDir();
    });
    after(() => removeDir(dir));

    const cases = [
        { label: 'EC P-256', options: { keyType: 'ec', curve: 'P-256' }, sigAlg: 'ecdsa-with-SHA256', keyText: /ASN1 OID: prime256v1/ },
        { label: 'EC P-384', options: { keyType: 'ec', curve: 'P-384' }, sigAlg: 'ecdsa-with-SHA384', keyText: /ASN1 OID: secp384r1/ },
        { label: 'RSA 2048', options: { keyType: 'rsa', rsaBits: 2048 }, sigAlg: 'sha256WithRSAEncryption', keyText: /Public-Key: \(2048 bit\)/ },
        { label: 'RSA 3072', options: { keyType: 'rsa', rsaBits: '3072' }, sigAlg: 'sha256WithRSAEncryption', keyText: /Public-Key: \(3072 bit\)/ },
        { label: 'RSA 4096', options: { keyType: 'rsa', rsaBits: 4096 }, sigAlg: 'sha256WithRSAEncryption', keyText: /Public-Key: \(4096 bit\)/ },
    ];

    for (const { label, options, sigAlg, keyText } of cases) {
        it(`${label}: openssl parses, verifies, matches key, fingerprint, CN, validity and credentialsId`, async function () {
            const commonName = `dev-${label.replace(/\W+/g, '').toLowerCase()}`;
            const before = Date.now();
            const id = await generateIdentity({ ...options, commonName, days: '90' });
            const name = label.replace(/\W+/g, '');
            const files = writeFiles(dir, { [`${name}.crt`]: id.certPem, [`${name}.key`]: id.keyPem });
            const crt = files[`${name}.crt`];
            const key = files[`${name}.key`];

            const text = (await openssl(['x509', '-in', crt, '-noout', '-text'])).stdout;
            assert.match(text, new RegExp(`Signature Algorithm: ${sigAlg}`));
            assert.match(text, keyText);
            assert.match(text, new RegExp(`Subject: CN ?= ?${commonName}\\n`));
            assert.match(text, new RegExp(`Issuer: CN ?= ?${commonName}\\n`));
            assert.match(text, /CA:TRUE/);

            const verify = await openssl(['verify', '-CAfile', crt, crt]);
            assert.strictEqual(verify.stdout.trim(), `${crt}: OK`);

            const certPub = (await openssl(['x509', '-in', crt, '-noout', '-pubkey'])).stdout;
            const keyPub = (await openssl(['pkey', '-in', key, '-pubout'])).stdout;
            assert.strictEqual(certPub, keyPub);
            assert.match(id.keyPem, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8, unencrypted

            const fp = (await openssl(['x509', '-in', crt, '-noout', '-fingerprint', '-sha256'])).stdout.trim();
            assert.strictEqual(id.fingerprint, fp.slice(fp.indexOf('=') + 1));

            assert.strictEqual(id.commonName, commonName);
            assert.strictEqual(id.keyType, options.keyType);
            assert.strictEqual(id.notAfter.getTime() - id.notBefore.getTime(), 90 * DAY_MS);
            assert.ok(id.notBefore.getTime() <= before, 'valid from before it was made');
            assert.ok(id.notBefore.getTime() > before - 10 * 60 * 1000, 'backdated by minutes, not more');
            const endDate = (await openssl(['x509', '-in', crt, '-noout', '-enddate'])).stdout.trim();
            assert.strictEqual(new Date(endDate.replace('notAfter=', '')).getTime(), id.notAfter.getTime());

            const derBase64 = (await openssl(['x509', '-in', crt, '-outform', 'DER'], { encoding: 'buffer' })).stdout.toString('base64');
            assert.strictEqual(id.credentialsId, crypto.createHash('sha3-256').update(derBase64).digest('hex'));
        });
    }

    it('makes a different serial and key every time', async function () {
        const a = await generateIdentity({ commonName: 'same' });
        const b = await generateIdentity({ commonName: 'same' });
        assert.notStrictEqual(a.keyPem, b.keyPem);
        assert.notStrictEqual(new crypto.X509Certificate(a.certPem).serialNumber, new crypto.X509Certificate(b.certPem).serialNumber);
    });

    it('defaults to EC P-256 for 365 days', async function () {
        const id = await generateIdentity({ commonName: 'defaults' });
        const cert = new crypto.X509Certificate(id.certPem);
        assert.strictEqual(cert.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
        assert.strictEqual(id.notAfter.getTime() - id.notBefore.getTime(), 365 * DAY_MS);
    });

    it('keeps a UTF-8 common name exactly', async function () {
        const id = await generateIdentity({ commonName: 'Gerät, "Halle" 3' });
        assert.strictEqual(id.commonName, 'Gerät, "Halle" 3');
        const crt = writeFiles(dir, { 'utf8.crt': id.certPem })['utf8.crt'];
        const subject = (await openssl(['x509', '-in', crt, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus'])).stdout;
        assert.match(subject, /Gerät/);
    });

    describe('refuses bad options with a clear message', function () {
        const refusals = [
            [{ commonName: '' }, 'COMMON_NAME_EMPTY', {}, 'Common name'],
            [{ commonName: '   ' }, 'COMMON_NAME_EMPTY', {}],
            [{ commonName: undefined }, 'COMMON_NAME_EMPTY', {}],
            [{ commonName: { name: 'sensor-1' } }, 'COMMON_NAME_NOT_TEXT', { actual: 'an object' }, 'msg.deviceName'],
            [{ commonName: ['sensor-1'] }, 'COMMON_NAME_NOT_TEXT', { actual: 'an array' }],
            [{ commonName: true }, 'COMMON_NAME_NOT_TEXT', { actual: 'a boolean' }],
            [{ commonName: 'x'.repeat(65) }, 'COMMON_NAME_TOO_LONG', { commonName: 'x'.repeat(65), length: 65 }, 'at most 64'],
            // characters, not UTF-16 units or bytes: 64 umlauts fit (see below), 65 do not
            [{ commonName: 'ä'.repeat(65) }, 'COMMON_NAME_TOO_LONG', { length: 65 }],
            [{ commonName: 'a', days: 0 }, 'DAYS_INVALID', { days: '0' }, '1 to 36500'],
            [{ commonName: 'a', days: '-5' }, 'DAYS_INVALID', { days: '-5' }],
            [{ commonName: 'a', days: '1.5' }, 'DAYS_INVALID', { days: '1.5' }],
            [{ commonName: 'a', days: 36501 }, 'DAYS_INVALID', { days: '36501' }],
            [{ commonName: 'a', keyType: 'dsa' }, 'KEY_TYPE_UNKNOWN', { keyType: 'dsa' }, '"ec" or "rsa"'],
            [{ commonName: 'a', keyType: 'ec', curve: 'P-521' }, 'CURVE_UNSUPPORTED', { curve: 'P-521' }, 'P-256 or P-384'],
            [{ commonName: 'a', keyType: 'rsa', rsaBits: 1024 }, 'RSA_BITS_UNSUPPORTED', { bits: '1024' }, '2048, 3072 or 4096'],
        ];
        for (const [options, code, params, ...phrases] of refusals) {
            it(`${code} for ${JSON.stringify(options)}`, async function () {
                await assert.rejects(generateIdentity(options), coded(code, params, ...phrases));
            });
        }

        it('counts a common name in characters: 64 umlauts are allowed', function () {
            assert.strictEqual(normaliseGenerateOptions({ commonName: 'ä'.repeat(64) }).commonName, 'ä'.repeat(64));
        });

        it('accepts numbers as strings and curve aliases', function () {
            const o = normaliseGenerateOptions({ keyType: 'EC', curve: 'prime256v1', days: ' 30 ', rsaBits: '2048', commonName: ' dev ' });
            assert.deepStrictEqual(o, { keyType: 'ec', curve: 'P-256', rsaBits: 2048, days: 30, commonName: 'dev' });
        });
    });
});
