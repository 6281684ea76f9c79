'use strict';
// What a user gets from `npm install node-red-contrib-thingsboard-x509`: the packed tarball,
// installed with plain npm into a fresh Node-RED user dir, loaded by the real node-red binary.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { packageNodeDefinitions, exampleFiles } = require('../support/scorecard');
const { run, freePort, startNodeRed, getJson } = require('./processes');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));
const types = Object.keys(pkg['node-red'].nodes);

describe('npm tarball in a real Node-RED', function () {
    this.timeout(240000);
    let tmp;
    let packed;
    let userDir;
    let nodeRed;

    before(async function () {
        tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tb-x509-tarball-'));
        const out = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root });
        packed = JSON.parse(out)[0];
        userDir = path.join(tmp, 'userdir');
        fs.mkdirSync(userDir);
        fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
        await run('npm', ['install', path.join(tmp, packed.filename), '--no-audit', '--no-fund', '--prefer-offline',
            '--loglevel=error'], { cwd: userDir });
        nodeRed = await startNodeRed({ userDir, port: await freePort() });
    });

    after(async function () {
        if (nodeRed) await nodeRed.stop();
        if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
    });

    it('packs the built nodes, their editor files, the examples and the license, and no sources or tests', function () {
        const files = packed.files.map((f) => f.path);
        const icons = fs.readdirSync(path.join(root, 'icons')).map((icon) => `icons/${icon}`);
        assert.ok(icons.length > 0, 'the repository has icons');
        for (const type of types) {
            for (const f of [`${type}.js`, `${type}.html`, ...icons, `locales/en-US/${type}.json`]) {
                assert.ok(files.includes(`dist/nodes/${type}/${f}`), `dist/nodes/${type}/${f} is packed`);
            }
        }
        for (const f of ['package.json', 'README.md', 'LICENSE']) assert.ok(files.includes(f), `${f} is packed`);
        assert.ok(files.some((f) => f.startsWith('examples/')), 'examples are packed');
        const stray = files.filter((f) => /^(test|nodes|tools|scripts|bench)\//.test(f) || f.endsWith('.ts') || f.endsWith('.map'));
        assert.deepStrictEqual(stray, []);
    });

    it('installs with plain npm, with only the declared runtime dependencies', function () {
        const installed = path.join(userDir, 'node_modules', pkg.name);
        assert.ok(fs.existsSync(path.join(installed, 'package.json')));
        for (const dep of Object.keys(pkg.dependencies)) {
            assert.ok(fs.existsSync(path.join(userDir, 'node_modules', dep, 'package.json')), `${dep} installed`);
        }
        assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', 'node-red')), 'node-red is not pulled in');
        // The scorecard, run on the installed copy, still sees every type and example.
        const { defs, errors } = packageNodeDefinitions(installed);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(Object.keys(defs).sort(), [...types].sort());
        assert.ok(exampleFiles(installed).length >= 3);
    });

    it('every shipped node file, and tbsim, loads with the runtime dependencies alone', async function () {
        const installed = path.join(userDir, 'node_modules', pkg.name);
        const shipped = packed.files.map((f) => f.path)
            .filter((f) => /^dist\/nodes\/.*\.js$/.test(f) || f === 'dist/tools/tbsim/index.js');
        // A fresh process whose module paths are the user dir's only (no repository node_modules).
        const script = `for (const f of ${JSON.stringify(shipped)}) require(require('path').join(${JSON.stringify(installed)}, f));`;
        await run(process.execPath, ['-e', script], { cwd: userDir, env: { ...process.env, NODE_PATH: '' } });
    });

    it('loads all four node types, enabled and without errors', async function () {
        const sets = await getJson(nodeRed.url + 'nodes');
        const ours = sets.filter((s) => s.module === pkg.name);
        assert.deepStrictEqual(ours.map((s) => s.name).sort(), [...types].sort());
        for (const set of ours) {
            assert.strictEqual(set.err, undefined, `${set.name}: ${set.err}`);
            assert.strictEqual(set.enabled, true, `${set.name} enabled`);
            assert.strictEqual(set.version, pkg.version);
            assert.deepStrictEqual(set.types, [set.name]);
        }
        assert.doesNotMatch(nodeRed.output(), /\[error\]/);
    });

    it('lists the example flows under Import > Examples, each importable', async function () {
        const listing = await getJson(nodeRed.url + 'library/examples/flows/' + encodeURIComponent(pkg.name));
        // The editor API lists example files as [{fn: name}] (folders would be {dir, …}).
        const names = listing.map((entry) => entry.fn).sort();
        assert.deepStrictEqual(names, ['1 Onboard a device', '2 Stream a simulated sensor', '3 Gateway - onboard a device list', '4 Remote control', '5 Onboard a fleet']);
        for (const name of names) {
            const flow = await getJson(nodeRed.url + 'library/examples/flows/' + encodeURIComponent(pkg.name) + '/' + encodeURIComponent(name));
            assert.ok(Array.isArray(flow) && flow.some((n) => n.type === 'comment'), `${name} is a flow with a comment`);
        }
    });
});
