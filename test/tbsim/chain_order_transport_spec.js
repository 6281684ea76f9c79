'use strict';
// The client's certificate chain is checked in the order SENT (reference §9.4; MqttSslHandlerProvider
// validateCertificateChain): each certificate must be signed by the next one, else the TLS handshake fails
// (JSSE: fatal certificate_unknown alert). openssl makes the CA, the intermediate and the leaf.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir, run, registerCertificate, connectMqtt, end } = require('./support');

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
