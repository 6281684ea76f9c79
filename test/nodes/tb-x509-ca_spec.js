'use strict';
// tb-x509-ca with x509-generate: CA-signed leaves with payload.chain, installed into the config
// (single: its key store; fleet: <keyStore>/<deviceName>/), reused per device name and renewed
// within renewBefore days of their end. Judged by openssl and by the files on disk.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, allNodes } = require('../support/node-red');
const { openssl, tempDir, removeDir, writeFiles } = require('../support/openssl');
const { coded } = require('../support/errors');

describe('tb-x509-ca node with x509-generate', function () {
    this.timeout(60000);
    let dir;
    before(async () => {
        await helper.startServer();
    });
    after(() => helper.stopServer());
    beforeEach(async () => {
        dir = await tempDir();
    });
    afterEach(async () => {
        await helper.unload();
        await removeDir(dir);
    });

    async function deploy({ gen = {}, config = {}, ca = {}, withCa = true } = {}) {
        const flow = [
            { id: 'gen', type: 'x509-generate', config: 'cfg', wires: [['out']], ...gen },
            { id: 'out', type: 'helper' },
            { id: 'cfg', type: 'tb-x509-config', name: 'Fleet cfg', host: 'localhost', keyStore: path.join(dir, 'devices'), ca: withCa ? 'ca' : '', ...config },
        ];
        if (withCa) flow.push({ id: 'ca', type: 'tb-x509-ca', name: 'Plant CA', keyStore: path.join(dir, 'ca'), ...ca });
        await helper.load(allNodes, flow, {});
        return { gen: helper.getNode('gen'), out: helper.getNode('out') };
    }

    function run({ gen, out }, msg) {
        return new Promise((resolve, reject) => {
            const onOutput = (m) => {
                cleanup();
                resolve(m);
            };
            const onError = (call) => {
                cleanup();
                reject(call.args[0]);
            };
            const cleanup = () => {
                out.removeListener('input', onOutput);
                gen.removeListener('call:error', onError);
            };
            out.on('input', onOutput);
            gen.on('call:error', onError);
            gen.receive(msg);
        });
    }

    async function verifiedByRoot(leafPem, chainPem) {
        const rootPem = fs.readFileSync(path.join(dir, 'ca', 'cert.pem'), 'utf8');
        const f = writeFiles(dir, { 'root.pem': rootPem, 'leaf.pem': leafPem, 'chain.pem': chainPem });
        const r = await openssl(['verify', '-CAfile', f['root.pem'], '-untrusted', f['chain.pem'], f['leaf.pem']]);
        assert.strictEqual(r.stdout.trim(), `${f['leaf.pem']}: OK`);
        return rootPem;
    }

    for (const keyType of ['ec', 'rsa']) {
        it(`single mode, ${keyType}: a CA-signed leaf, payload.chain = the CA, key store cert.pem = leaf + chain; the CA key is nowhere on the msg`, async () => {
            const ctx = await deploy({ gen: { keyType, rsaBits: 2048 } });
            const msg = await run(ctx, { deviceName: 'line-1' });
            const p = msg.payload;
            const rootPem = await verifiedByRoot(p.certificate, p.chain);
            assert.strictEqual(p.chain, rootPem);
            assert.strictEqual(p.keyType, keyType);
            assert.strictEqual(p.reused, false);
            const stored = fs.readFileSync(path.join(dir, 'devices', 'cert.pem'), 'utf8');
            assert.strictEqual(stored, p.certificate + p.chain, 'leaf first, then the chain');
            const caKey = fs.readFileSync(path.join(dir, 'ca', 'key.pem'), 'utf8');
            assert.strictEqual(fs.statSync(path.join(dir, 'ca', 'key.pem')).mode & 0o777, 0o600);
            assert.ok(!JSON.stringify(msg).includes(caKey.split('\n')[1]), 'no CA key material on the msg');
            assert.strictEqual(p.privateKey, undefined);
        });
    }

    it('fleet mode: one identity per device name in <keyStore>/<deviceName>/, reused per name, renewed within renewBefore days', async () => {
        const ctx = await deploy({ gen: { days: 20, renewBefore: 10 }, config: { identityMode: 'fleet' } });
        const a = await run(ctx, { deviceName: 'meter-a' });
        const b = await run(ctx, { deviceName: 'meter-b' });
        for (const [name, msg] of [['meter-a', a], ['meter-b', b]]) {
            assert.strictEqual(msg.deviceName, name);
            await verifiedByRoot(msg.payload.certificate, msg.payload.chain);
            const deviceDir = path.join(dir, 'devices', name);
            assert.strictEqual(fs.readFileSync(path.join(deviceDir, 'cert.pem'), 'utf8'), msg.payload.certificate + msg.payload.chain);
            assert.strictEqual(fs.statSync(path.join(deviceDir, 'key.pem')).mode & 0o777, 0o600);
        }
        assert.ok(!fs.existsSync(path.join(dir, 'devices', 'cert.pem')), 'fleet mode writes no single identity');

        const again = await run(ctx, { deviceName: 'meter-a' });
        assert.strictEqual(again.payload.reused, true);
        assert.strictEqual(again.payload.certificate, a.payload.certificate);
        assert.strictEqual(again.payload.chain, a.payload.chain);
        await helper.unload();

        // 20-day certificates, renewBefore 30: the next run renews (new key and certificate).
        const renewing = await deploy({ gen: { days: 20, renewBefore: 30 }, config: { identityMode: 'fleet' } });
        const renewed = await run(renewing, { deviceName: 'meter-a' });
        assert.strictEqual(renewed.payload.reused, false);
        assert.notStrictEqual(renewed.payload.certificate, a.payload.certificate);
        assert.ok(fs.existsSync(path.join(dir, 'devices', 'meter-a', 'cert.pem.prev')), 'the replaced identity is kept');
        const { loadFleetIdentity } = require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'lib', 'pki', 'fleet-keystore.js'));
        const loaded = await loadFleetIdentity(path.join(dir, 'devices'), 'meter-a');
        assert.strictEqual(loaded.leafPem, renewed.payload.certificate);
    });

    it('a self-signed identity in the store is not reused once the config has a CA', async () => {
        const plain = await deploy({ withCa: false });
        const first = await run(plain, { deviceName: 'dev' });
        assert.strictEqual(first.payload.chain, '');
        await helper.unload();
        const signed = await deploy();
        const second = await run(signed, { deviceName: 'dev' });
        assert.strictEqual(second.payload.reused, false);
        await verifiedByRoot(second.payload.certificate, second.payload.chain);
    });

    it('errors: a config naming a CA that is not deployed; a renewBefore that is not a number of days', async () => {
        const flow = [
            { id: 'gen', type: 'x509-generate', config: 'cfg', wires: [['out']] },
            { id: 'out', type: 'helper' },
            { id: 'cfg', type: 'tb-x509-config', name: 'Orphan', host: 'localhost', keyStore: path.join(dir, 'd'), ca: 'gone' },
        ];
        await helper.load(allNodes, flow, {});
        await assert.rejects(run({ gen: helper.getNode('gen'), out: helper.getNode('out') }, { deviceName: 'x' }), coded('CA_MISSING', { config: 'Orphan' }));
        await helper.unload();
        const ctx = await deploy({ gen: { renewBefore: 'soon' } });
        await assert.rejects(run(ctx, { deviceName: 'x' }), coded('RENEW_BEFORE_INVALID', { days: 'soon' }));
    });
});
