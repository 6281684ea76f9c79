'use strict';
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { helper, allNodes } = require('../support/node-red');
const { openssl, tempDir, removeDir, writeFiles, makeIdentity } = require('../support/openssl');
const { coded } = require('../support/errors');

const DAY_MS = 86_400_000;

describe('x509-generate node', function () {
    this.timeout(60000);
    let dir;
    before(async () => {
        await helper.startServer();
        dir = await tempDir();
    });
    after(async () => {
        await helper.stopServer();
        await removeDir(dir);
    });
    afterEach(() => helper.unload());

    /** Deploys x509-generate → helper; `config` props/credentials add a tb-x509-config. */
    async function deploy(genProps = {}, config) {
        const flow = [
            { id: 'gen', type: 'x509-generate', wires: [['out']], ...genProps },
            { id: 'out', type: 'helper' },
        ];
        const credentials = {};
        if (config) {
            flow.push({ id: 'cfg', type: 'tb-x509-config', name: 'Line 3', host: 'localhost', ...config.props });
            flow[0].config = 'cfg';
            credentials.cfg = config.credentials ?? {};
        }
        await helper.load(allNodes, flow, credentials);
        const gen = helper.getNode('gen');
        const out = helper.getNode('out');
        const statuses = [];
        gen.on('call:status', (call) => statuses.push(call.args[0]));
        return { gen, out, statuses, cfg: config && helper.getNode('cfg') };
    }

    /** Sends msg and resolves with the output msg, or rejects with the error done(err) reported. */
    function run({ gen, out }, msg) {
        return new Promise((resolve, reject) => {
            const onOutput = (m) => {
                cleanup();
                resolve(m);
            };
            const onError = (call) => {
                cleanup();
                reject(call.args[0] instanceof Error ? call.args[0] : new Error(String(call.args[0])));
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

    async function opensslVerify(certPem) {
        const file = writeFiles(dir, { [`v-${crypto.randomUUID()}.crt`]: certPem });
        const crt = Object.values(file)[0];
        assert.strictEqual((await openssl(['verify', '-CAfile', crt, crt])).stdout.trim(), `${crt}: OK`);
        const fp = (await openssl(['x509', '-in', crt, '-noout', '-fingerprint', '-sha256'])).stdout.trim();
        return fp.slice(fp.indexOf('=') + 1);
    }

    it('without a config: generates from msg.deviceName, stores nothing, no key on the msg', async function () {
        const ctx = await deploy({ commonName: 'deviceName', commonNameType: 'msg' });
        const msg = await run(ctx, { deviceName: 'sensor-1', topic: 'keep me' });
        assert.strictEqual(msg.deviceName, 'sensor-1');
        assert.strictEqual(msg.topic, 'keep me');
        const p = msg.payload;
        assert.deepStrictEqual(Object.keys(p).sort(), ['certificate', 'chain', 'commonName', 'fingerprint', 'keyType', 'notAfter', 'notBefore', 'reused']);
        assert.strictEqual(p.commonName, 'sensor-1');
        assert.strictEqual(p.keyType, 'ec');
        assert.strictEqual(p.reused, false);
        assert.strictEqual(p.fingerprint, await opensslVerify(p.certificate));
        assert.match(p.notBefore, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
        assert.strictEqual(Date.parse(p.notAfter) - Date.parse(p.notBefore), 365 * DAY_MS);
        assert.deepStrictEqual(ctx.statuses.at(-1), { fill: 'green', shape: 'dot', text: 'generated sensor-1' });
    });

    it('includeKey puts the matching private key on the msg; numbers as strings are accepted', async function () {
        const ctx = await deploy({ keyType: 'rsa', rsaBits: '2048', days: '7', includeKey: 'true', commonName: 'fixed-name', commonNameType: 'str' });
        const msg = await run(ctx, { payload: 'ignored' });
        const cert = new crypto.X509Certificate(msg.payload.certificate);
        assert.strictEqual(msg.deviceName, 'fixed-name');
        assert.strictEqual(msg.payload.keyType, 'rsa');
        assert.strictEqual(cert.publicKey.asymmetricKeyDetails.modulusLength, 2048);
        assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(msg.payload.privateKey)));
        assert.strictEqual(Date.parse(msg.payload.notAfter) - Date.parse(msg.payload.notBefore), 7 * DAY_MS);
    });

    it('reads the common name from global context and env', async function () {
        const ctx = await deploy({ commonName: 'devName', commonNameType: 'global' });
        ctx.gen.context().global.set('devName', 'from-global');
        assert.strictEqual((await run(ctx, {})).payload.commonName, 'from-global');
        await helper.unload();
        process.env.TB_TEST_DEVICE = 'from-env';
        try {
            const ctx2 = await deploy({ commonName: 'TB_TEST_DEVICE', commonNameType: 'env' });
            assert.strictEqual((await run(ctx2, {})).payload.commonName, 'from-env');
        } finally {
            delete process.env.TB_TEST_DEVICE;
        }
    });

    it('an empty common name is an error reported with the msg (what Catch nodes get), not a made-up name; status red', async function () {
        const ctx = await deploy({});
        const reported = new Promise((resolve) => ctx.gen.on('call:error', (call) => resolve(call.args)));
        await assert.rejects(run(ctx, { deviceName: '  ', _marker: 7 }), coded('COMMON_NAME_EMPTY', {}, 'msg.deviceName'));
        const [, msg] = await reported;
        assert.strictEqual(msg._marker, 7);
        const last = ctx.statuses.at(-1);
        assert.strictEqual(last.fill, 'red');
        assert.strictEqual(last.shape, 'ring');
    });

    it('refuses a msg.deviceName that is an object instead of naming the device "[object Object]"', async function () {
        const ctx = await deploy({});
        await assert.rejects(run(ctx, { deviceName: { name: 'sensor-1' } }), coded('COMMON_NAME_NOT_TEXT', { actual: 'an object' }));
        assert.strictEqual(ctx.statuses.at(-1).fill, 'red');
    });

    describe('with a config', function () {
        it('installs into the key store, reuses it for the same name, and the config connects with it', async function () {
            const store = path.join(dir, 'gen-store-1');
            const ctx = await deploy({ days: 365 }, { props: { keyStore: store } });
            const first = await run(ctx, { deviceName: 'gw-7' });
            assert.strictEqual(first.payload.reused, false);
            assert.strictEqual(fs.statSync(path.join(store, 'key.pem')).mode & 0o777, 0o600);
            assert.strictEqual(fs.readFileSync(path.join(store, 'cert.pem'), 'utf8'), first.payload.certificate);
            const current = await ctx.cfg.runtime.identity.current();
            assert.strictEqual(current.fingerprint, first.payload.fingerprint);
            assert.ok(!('privateKey' in first.payload));

            const second = await run(ctx, { deviceName: 'gw-7' });
            assert.strictEqual(second.payload.reused, true);
            assert.strictEqual(second.payload.certificate, first.payload.certificate);
            assert.strictEqual(second.payload.fingerprint, first.payload.fingerprint);
            assert.deepStrictEqual(ctx.statuses.at(-1), { fill: 'blue', shape: 'dot', text: 'reused gw-7' });
            assert.ok(!fs.existsSync(path.join(store, 'cert.pem.prev')));

            // another name: a new identity; the old one is kept as .prev
            const third = await run(ctx, { deviceName: 'gw-8' });
            assert.strictEqual(third.payload.reused, false);
            assert.notStrictEqual(third.payload.fingerprint, first.payload.fingerprint);
            assert.strictEqual(fs.readFileSync(path.join(store, 'cert.pem.prev'), 'utf8'), first.payload.certificate);
            assert.strictEqual(fs.statSync(path.join(store, 'key.pem.prev')).mode & 0o777, 0o600);
            assert.strictEqual((await ctx.cfg.runtime.identity.current()).commonName, 'gw-8');
        });

        it('survives a restart: the redeployed flow reuses the stored identity, with its key when asked', async function () {
            const store = path.join(dir, 'gen-store-restart');
            const first = await run(await deploy({}, { props: { keyStore: store } }), { deviceName: 'boot-dev' });
            await helper.unload();
            const ctx = await deploy({ includeKey: true }, { props: { keyStore: store } });
            const again = await run(ctx, { deviceName: 'boot-dev' });
            assert.strictEqual(again.payload.reused, true);
            assert.strictEqual(again.payload.fingerprint, first.payload.fingerprint);
            const cert = new crypto.X509Certificate(again.payload.certificate);
            assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(again.payload.privateKey)));
        });

        it('does not reuse an identity with 30 days or less left', async function () {
            const store = path.join(dir, 'gen-store-short');
            const ctx = await deploy({ days: '30' }, { props: { keyStore: store } });
            const a = await run(ctx, { deviceName: 'short' });
            const b = await run(ctx, { deviceName: 'short' });
            assert.strictEqual(b.payload.reused, false);
            assert.notStrictEqual(b.payload.fingerprint, a.payload.fingerprint);
            await helper.unload();
            const ctx31 = await deploy({ days: '31' }, { props: { keyStore: store } });
            const c = await run(ctx31, { deviceName: 'short' });
            const d = await run(ctx31, { deviceName: 'short' });
            assert.strictEqual(c.payload.reused, false);
            assert.strictEqual(d.payload.reused, true);
            assert.strictEqual(d.payload.fingerprint, c.payload.fingerprint);
        });

        it('reuse off: always a new identity', async function () {
            const ctx = await deploy({ reuse: false }, { props: { keyStore: path.join(dir, 'gen-store-noreuse') } });
            const a = await run(ctx, { deviceName: 'fresh' });
            const b = await run(ctx, { deviceName: 'fresh' });
            assert.strictEqual(b.payload.reused, false);
            assert.notStrictEqual(a.payload.fingerprint, b.payload.fingerprint);
        });

        it('concurrent msgs for one device generate once', async function () {
            const ctx = await deploy({}, { props: { keyStore: path.join(dir, 'gen-store-concurrent') } });
            const outputs = [];
            const all = new Promise((resolve) =>
                ctx.out.on('input', (m) => {
                    outputs.push(m.payload);
                    if (outputs.length === 3) resolve();
                }),
            );
            for (let i = 0; i < 3; i++) ctx.gen.receive({ deviceName: 'burst' });
            await all;
            assert.strictEqual(new Set(outputs.map((p) => p.fingerprint)).size, 1);
            assert.deepStrictEqual(outputs.map((p) => p.reused).sort(), [false, true, true]);
        });

        it('a config with its own identity refuses, naming the config; nothing is written', async function () {
            const store = path.join(dir, 'gen-store-refused');
            const own = await makeIdentity(dir, 'own');
            const ctx = await deploy({}, { props: { keyStore: store }, credentials: { cert: own.certPem, key: own.keyPem } });
            await assert.rejects(run(ctx, { deviceName: 'x' }), coded('INSTALL_REFUSED', { config: 'Line 3', kind: 'inline' }, 'x509-generate without this config'));
            assert.ok(!fs.existsSync(store));
            assert.strictEqual((await ctx.cfg.runtime.identity.current()).commonName, 'own');
        });
    });
});
