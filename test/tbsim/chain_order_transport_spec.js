'use strict';
// The client's certificate chain is checked in the order SENT (reference §9.4; MqttSslHandlerProvider
// validateCertificateChain): each certificate must be signed by the next one, else the TLS handshake fails
// (JSSE: fatal certificate_unknown alert). openssl makes the CA, the intermediate and the leaf.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir, run, registerCertificate, connectMqtt, end } = require('./support');
const { ClientHandshakeWatch } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'chain-order-relay.js'));

const u24 = (n) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
/** TLS 1.2 records carrying a ClientHello stand-in, the Certificate message with `ders` (split over records of at most `fragment` bytes), a ChangeCipherSpec and "encrypted" bytes. */
function clientFlight(ders, fragment) {
    const list = Buffer.concat(ders.map((d) => Buffer.concat([u24(d.length), d])));
    const certificate = Buffer.concat([Buffer.from([11]), u24(list.length + 3), u24(list.length), list]);
    const hello = Buffer.concat([Buffer.from([1]), u24(4), Buffer.from([3, 3, 0, 0])]);
    const record = (type, body) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);
    const handshake = Buffer.concat([hello, certificate]);
    const records = [];
    for (let at = 0; at < handshake.length; at += fragment) records.push(record(22, handshake.subarray(at, at + fragment)));
    return Buffer.concat([...records, record(20, Buffer.from([1])), record(22, Buffer.from('not parsed: encrypted'))]);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const CA_EXT = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];

async function openssl(args) {
    const res = await run('openssl', args);
    assert.strictEqual(res.code, 0, res.stderr);
}

describe('tbsim client certificate chain order (transport)', function () {
    let sim;
    let dir;
    const pem = {};
    let keyPem;
    const clients = [];
    const file = (n) => path.join(dir, n);
    async function connectWith(certPem, protocolVersion = 5) {
        const r = await connectMqtt(sim, { cert: { certPem, keyPem }, protocolVersion });
        clients.push(r.client);
        return r;
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
        await openssl(['req', '-x509', ...EC, '-keyout', file('root-key.pem'), '-out', file('root.pem'), '-days', '2', '-subj', '/CN=Order Root', ...CA_EXT]);
        await openssl(['req', '-new', ...EC, '-keyout', file('inter-key.pem'), '-out', file('inter.csr'), '-subj', '/CN=Order Intermediate']);
        fs.writeFileSync(file('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
        await openssl(['x509', '-req', '-in', file('inter.csr'), '-CA', file('root.pem'), '-CAkey', file('root-key.pem'), '-CAcreateserial',
            '-extfile', file('ca.ext'), '-out', file('inter.pem'), '-days', '2']);
        await openssl(['req', '-new', ...EC, '-keyout', file('leaf-key.pem'), '-out', file('leaf.csr'), '-subj', '/CN=order-leaf']);
        await openssl(['x509', '-req', '-in', file('leaf.csr'), '-CA', file('inter.pem'), '-CAkey', file('inter-key.pem'), '-CAcreateserial',
            '-out', file('leaf.pem'), '-days', '2']);
        await openssl(['req', '-x509', ...EC, '-keyout', file('stray-key.pem'), '-out', file('stray.pem'), '-days', '2', '-subj', '/CN=Stray']);
        // openssl itself agrees the intended order links: leaf ← intermediate ← root
        await openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('inter.pem'), file('leaf.pem')]);
        for (const n of ['root', 'inter', 'leaf', 'stray']) pem[n] = fs.readFileSync(file(`${n}.pem`), 'utf8');
        keyPem = fs.readFileSync(file('leaf-key.pem'), 'utf8');
        assert.strictEqual((await registerCertificate(sim, 'order-leaf', pem.leaf)).status, 200);
    });
    afterEach(async () => Promise.all(clients.splice(0).map(end)));
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const [what, parts] of [['leaf, intermediate', ['leaf', 'inter']], ['leaf, intermediate, root', ['leaf', 'inter', 'root']], ['a lone leaf', ['leaf']]]) {
        it(`connects with ${what} (sent leaf → issuer)`, async function () {
            for (const protocolVersion of [4, 5]) {
                const { connack, error } = await connectWith(parts.map((p) => pem[p]).join(''), protocolVersion);
                assert.ifError(error);
                assert.strictEqual(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
            }
        });
    }

    for (const [what, parts] of [['leaf, root, intermediate (shuffled)', ['leaf', 'root', 'inter']], ['leaf, intermediate, stray', ['leaf', 'inter', 'stray']], ['leaf, root (intermediate missing)', ['leaf', 'root']]]) {
        it(`fails the TLS handshake for ${what}`, async function () {
            const { connack, error } = await connectWith(parts.map((p) => pem[p]).join(''));
            assert.strictEqual(connack, undefined);
            assert.strictEqual(error.code, 'EPROTO');
            assert.match(error.message, /certificate unknown/);
        });
    }

    it('reads the Certificate message however the client splits it into records and TCP chunks', function () {
        const der = (name) => new (require('crypto').X509Certificate)(pem[name]).raw;
        for (const fragment of [7, 300, 16384]) {
            const good = clientFlight([der('leaf'), der('inter'), der('root')], fragment);
            const watch = new ClientHandshakeWatch();
            const forwarded = [];
            for (let at = 0; at < good.length; at += 5) {
                const out = watch.feed(good.subarray(at, at + 5));
                assert.notStrictEqual(out, 'reject');
                forwarded.push(out);
            }
            assert.deepStrictEqual(Buffer.concat(forwarded), good); // passed on unchanged

            const bad = clientFlight([der('leaf'), der('root'), der('inter')], fragment);
            const badWatch = new ClientHandshakeWatch();
            const verdicts = [];
            for (let at = 0; at < bad.length; at += 5) verdicts.push(badWatch.feed(bad.subarray(at, at + 5)));
            assert.ok(verdicts.includes('reject'), `shuffled chain rejected with ${fragment}-byte records`);
        }
    });

    it('fails the handshake of openssl s_client sending a shuffled chain, not of one sending it in order', async function () {
        fs.writeFileSync(file('shuffled.pem'), pem.root + pem.inter);
        fs.writeFileSync(file('ordered.pem'), pem.inter + pem.root);
        const sClient = (chainFile) => new Promise((resolve) => {
            const child = spawn('openssl', ['s_client', '-connect', `${sim.mqttHost}:${sim.mqttPort}`, '-CAfile', sim.caFile,
                '-cert', file('leaf.pem'), '-key', file('leaf-key.pem'), '-cert_chain', chainFile]);
            const out = { stdout: '', stderr: '' };
            child.stdout.on('data', (d) => (out.stdout += d));
            child.stderr.on('data', (d) => (out.stderr += d));
            child.on('close', () => resolve(out));
            child.stdin.end(); // nothing to send: s_client ends after the handshake
        });
        const bad = await sClient(file('shuffled.pem'));
        assert.match(bad.stderr, /alert certificate unknown/);
        const good = await sClient(file('ordered.pem'));
        assert.doesNotMatch(good.stderr, /alert/);
        assert.match(good.stdout, /Verify return code: 0/);
    });
});
