'use strict';
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { openssl, opensslCredentialsId, tempDir, removeDir, makeIdentity } = require('../support/openssl');
const { dist } = require('../support/node-red');
const { coded } = require('../support/errors');

const certificate = require(path.join(dist, 'lib', 'pki', 'certificate.js'));
const { clientTlsOptions } = require(path.join(dist, 'lib', 'pki', 'tls-options.js'));

describe('pki certificate', function () {
    let dir;
    let leaf;
    let other;
    before(async () => {
        dir = await tempDir();
        leaf = await makeIdentity(dir, 'leaf', { commonName: 'device-7' });
        other = await makeIdentity(dir, 'other', { keyType: 'rsa', commonName: 'ca-ish' });
    });
    after(() => removeDir(dir));

    async function opensslDerBase64(file) {
        return (await openssl(['x509', '-in', file, '-outform', 'DER'], { encoding: 'buffer' })).stdout.toString('base64');
    }

    const leafOf = (text) => certificate.parseCertificates(text)[0];

    it('computes the credentialsId of a chain like ThingsBoard: sha3-256 of the leaf as openssl encodes it', async function () {
        // ThingsBoard's hash is SHA3-256, not Keccak (reference §2.4): its test vector tells them apart
        assert.strictEqual(crypto.createHash('sha3-256').update('ThingsBoard').digest('hex'), '281c7ba06d0ac2ff651fa968572f26a38c96225ea54644522837b54b9c6144f7');
        const chain = leaf.certPem + other.certPem;
        assert.strictEqual(leafOf(chain).raw.toString('base64'), await opensslDerBase64(leaf.crt));
        assert.strictEqual(certificate.describeCertificate(leafOf(chain)).credentialsId, opensslCredentialsId(leaf.crt));
    });

    it('reads exports with Bag Attributes, subject= lines, CRLF and indentation; leaf first', function () {
        const crlfIndented = other.certPem.replace(/\n/g, '\r\n').replace(/^(?!-)/gm, '    ');
        const messy =
            'Bag Attributes\n    localKeyID: 01 02 03\nsubject=CN = device-7\nissuer=CN = device-7\n' +
            leaf.certPem +
            'Bag Attributes: <No Attributes>\n' +
            crlfIndented;
        const certs = certificate.parseCertificates(messy);
        assert.strictEqual(certs.length, 2);
        assert.strictEqual(certificate.describeCertificate(certs[0]).commonName, 'device-7');
        assert.strictEqual(certificate.describeCertificate(certs[1]).commonName, 'ca-ish');
        // openssl writes canonical PEM too
        assert.strictEqual(certificate.canonicalChainPem(messy), leaf.certPem + other.certPem);
    });

    it('re-encodes a chain as canonical PEM: 64-character lines, LF only, leaf first', function () {
        const pem = certificate.canonicalChainPem(leaf.certPem.replace(/\n/g, '\r\n') + '\n\n' + other.certPem);
        assert.strictEqual((pem.match(/BEGIN CERTIFICATE/g) || []).length, 2);
        assert.ok(!pem.includes('\r'));
        const body = certificate.certificateToPem(leafOf(pem)).split('\n').slice(1, -2);
        assert.ok(body.slice(0, -1).every((line) => line.length === 64));
        assert.strictEqual(pem, leaf.certPem + other.certPem);
    });

    it('reads bare base64 DER (ThingsBoard credentialsValue form)', async function () {
        const der64 = await opensslDerBase64(leaf.crt);
        assert.strictEqual(certificate.certificateToPem(leafOf(der64)), leaf.certPem);
    });

    it('describes a certificate like openssl prints it', async function () {
        const d = certificate.describeCertificate(certificate.parseCertificates(leaf.certPem)[0]);
        const fp = (await openssl(['x509', '-in', leaf.crt, '-noout', '-fingerprint', '-sha256'])).stdout.trim();
        assert.strictEqual(d.fingerprint, fp.split('=')[1]);
        assert.match(d.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        const dates = (await openssl(['x509', '-in', leaf.crt, '-noout', '-startdate', '-enddate'])).stdout;
        const [, start] = /notBefore=(.*)/.exec(dates);
        const [, end] = /notAfter=(.*)/.exec(dates);
        assert.strictEqual(d.notBefore.getTime(), new Date(start).getTime());
        assert.strictEqual(d.notAfter.getTime(), new Date(end).getTime());
        assert.strictEqual(d.commonName, 'device-7');
        assert.strictEqual(d.keyType, 'ec');
        assert.strictEqual(d.credentialsId, opensslCredentialsId(leaf.crt));
    });

    it('refuses garbage with a message naming the source', function () {
        assert.throws(
            () => certificate.parseCertificates('hello world', 'the "cert" credential of config "Plant A"'),
            coded('CERT_NOT_PEM', { source: 'the "cert" credential of config "Plant A"' }, 'not the key or a CSR'),
        );
        assert.throws(() => certificate.parseCertificates(leaf.keyPem), { code: 'CERT_NOT_PEM' });
    });

    it('refuses a damaged PEM block', function () {
        const damaged = leaf.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n');
        assert.throws(
            () => certificate.parseCertificates(damaged, 'file /tmp/x.pem'),
            coded('CERT_UNREADABLE', { index: 1, source: 'file /tmp/x.pem' }, 'copied completely'),
        );
    });
});

describe('pki clientTlsOptions', function () {
    const base = { label: 'c', host: 'mqtt.example.com', port: 8883, verifyServer: true, keepalive: 60, keyStoreDir: '/tmp/x' };

    it('names the host for SNI and host-name checks, with the CA and client identity', function () {
        const o = clientTlsOptions({ settings: base, identity: { certPem: 'C', keyPem: 'K' }, caPem: 'CA' });
        assert.strictEqual(o.servername, 'mqtt.example.com');
        assert.strictEqual(o.rejectUnauthorized, true);
        assert.strictEqual(o.ca, 'CA');
        assert.strictEqual(o.cert, 'C');
        assert.strictEqual(o.key, 'K');
    });

    it('uses the system trust store without a CA, and servername overrides the host', function () {
        const o = clientTlsOptions({ settings: { ...base, servername: 'tb.internal', verifyServer: false } });
        assert.ok(!('ca' in o));
        assert.ok(!('cert' in o) && !('key' in o));
        assert.strictEqual(o.servername, 'tb.internal');
        assert.strictEqual(o.rejectUnauthorized, false);
    });

    it('sends no SNI for an IP host; an IP servername is checked against the certificate', function () {
        const ip = clientTlsOptions({ settings: { ...base, host: '127.0.0.1' } });
        assert.strictEqual(ip.servername, undefined);
        const override = clientTlsOptions({ settings: { ...base, host: 'localhost', servername: '10.0.0.5' } });
        assert.strictEqual(override.servername, undefined);
        const fakeCert = { subject: { CN: 'x' }, subjectaltname: 'IP Address:10.0.0.5' };
        assert.strictEqual(override.checkServerIdentity('localhost', fakeCert), undefined);
        assert.ok(override.checkServerIdentity('localhost', { subject: { CN: 'x' }, subjectaltname: 'IP Address:10.0.0.6' }) instanceof Error);
    });

    it('verifies a real TLS server named by servername while connecting to an IP', async function () {
        const tls = require('tls');
        const tmp = await tempDir();
        try {
            const server = await makeIdentity(tmp, 'server', { commonName: 'broker.test' });
            await openssl(['req', '-x509', '-key', server.key, '-subj', '/CN=broker.test', '-addext', 'subjectAltName=DNS:broker.test', '-days', '2', '-out', path.join(tmp, 'san.crt')]);
            const serverCert = fs.readFileSync(path.join(tmp, 'san.crt'), 'utf8');
            const srv = tls.createServer({ key: server.keyPem, cert: serverCert }, (s) => s.end('hi'));
            await new Promise((r) => srv.listen(0, '127.0.0.1', r));
            const { port } = srv.address();
            const connect = (settings) =>
                new Promise((resolve, reject) => {
                    const sock = tls.connect({ host: '127.0.0.1', port, ...clientTlsOptions({ settings, caPem: serverCert }) }, () => {
                        sock.end();
                        resolve('ok');
                    });
                    sock.on('error', reject);
                });
            try {
                assert.strictEqual(await connect({ ...base, host: '127.0.0.1', servername: 'broker.test' }), 'ok');
                await assert.rejects(connect({ ...base, host: '127.0.0.1', servername: 'other.test' }), /broker\.test|altnames/i);
            } finally {
                srv.close();
            }
        } finally {
            await removeDir(tmp);
        }
    });
});
