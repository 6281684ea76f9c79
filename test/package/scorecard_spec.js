'use strict';
// The Flow Library scorecard (node-red-dev validate), checked offline against this package.
// Rule ids are node-red-dev's: P = package.json, N = nodes and examples, D = dependencies.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const semver = require('semver');
const { packageNodeDefinitions, exampleFiles } = require('../support/scorecard');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

// node-red's npm `latest` dist-tag when this was written (the registry has no maintenance tag).
// The test runs offline, so the newest release is recorded here; scripts/test-node-red-5.sh runs
// the suites against whatever Node-RED 5 the registry serves now.
const RECORDED_NODE_RED_LATEST = '5.0.7';

describe('Flow Library scorecard rules (offline)', function () {
    it('P01/P03/P05: has a license, a repository or bugs URL, and the node-red keyword', function () {
        assert.strictEqual(pkg.license, 'Apache-2.0');
        assert.ok(fs.existsSync(path.join(root, 'LICENSE')), 'LICENSE file');
        assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
        assert.ok(pkg.repository || pkg.bugs, 'repository or bugs');
        assert.ok(pkg.keywords.includes('node-red'), 'keyword node-red');
        assert.ok(fs.existsSync(path.join(root, 'README.md')), 'README.md (Flow Library rejects a module without one)');
    });

    it('P04: the name is scoped or starts with node-red-contrib-', function () {
        assert.match(pkg.name, /^(@[^/]+\/|node-red-contrib-)/);
    });

    it('P06: node-red.version accepts the latest Node-RED and the 4.x line', function () {
        const range = pkg['node-red'].version;
        assert.ok(range, 'node-red.version is declared');
        const installed4 = require('node-red/package.json').version;
        for (const version of [RECORDED_NODE_RED_LATEST, '5.99.0', '4.0.0', installed4]) {
            assert.ok(semver.satisfies(version, range), `node-red ${version} satisfies "${range}"`);
        }
        // 3.x is never tested (the suites run 4.x and 5.x): the range must keep it out
        assert.ok(!semver.satisfies('3.1.9', range), `node-red 3.1.9 is outside "${range}"`);
        assert.strictEqual(semver.major(installed4), 4, 'the devDependency run covers 4.x');
        assert.ok(semver.satisfies(installed4, pkg.devDependencies['node-red']), 'the installed devDependency is the declared one');
    });

    it('P07: engines.node admits the minimum Node of the latest Node-RED (>=22.9)', function () {
        const latestNeeds = semver.minVersion('>=22.9');
        assert.ok(semver.satisfies(latestNeeds, pkg.engines.node), `${latestNeeds} satisfies "${pkg.engines.node}"`);
        assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), 'the Node running the tests is admitted');
    });

    it('N02: every example parses as a JSON array and every non-config node type is used in one', function () {
        const { defs, errors } = packageNodeDefinitions(root);
        assert.deepStrictEqual(errors, []);
        const files = exampleFiles(root);
        assert.ok(files.length > 0, 'examples/ has flows');
        const used = new Set();
        for (const file of files) {
            const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
            assert.ok(Array.isArray(flow), `${path.relative(root, file)} is a JSON array`);
            for (const node of flow) used.add(node.type);
        }
        const flowTypes = Object.keys(defs).filter((type) => defs[type].category !== 'config');
        assert.deepStrictEqual(flowTypes.sort(), ['tb-provision', 'tb-x509-mqtt-in', 'tb-x509-mqtt-out', 'tb-x509-mqtt-request', 'x509-generate']);
        for (const type of flowTypes) assert.ok(used.has(type), `an example uses ${type}`);
    });

    it('N01 (parse side): the scorecard reads every registered type from the built editor HTML', function () {
        const { defs, errors } = packageNodeDefinitions(root);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(Object.keys(defs).sort(), Object.keys(pkg['node-red'].nodes).sort());
        assert.strictEqual(defs['tb-x509-config'].category, 'config');
        // The palette preview on flows.nodered.org needs these as literals on every flow node.
        for (const [type, def] of Object.entries(defs)) {
            if (def.category === 'config') continue;
            for (const key of ['category', 'color', 'icon', 'inputs', 'outputs']) {
                assert.ok(def[key] !== undefined, `${type}: ${key} is a literal`);
            }
        }
    });

    it('D01/D03: at most 6 dependencies, each installed version inside the declared range, node-red not among them', function () {
        const deps = pkg.dependencies || {};
        assert.ok(Object.keys(deps).length <= 6, `${Object.keys(deps).length} dependencies`);
        assert.ok(!('node-red' in deps), 'node-red belongs in devDependencies');
        for (const [name, range] of Object.entries(deps)) {
            const entry = lock.packages[`node_modules/${name}`];
            assert.ok(entry, `${name} is in package-lock.json`);
            assert.ok(semver.satisfies(entry.version, range), `${name}@${entry.version} satisfies "${range}"`);
            assert.strictEqual(lock.packages[''].dependencies[name], range, `lock file records ${name}@${range}`);
        }
    });

    it('D02: no agent-base below 6 in the production tree', function () {
        for (const [where, entry] of Object.entries(lock.packages)) {
            if (!where.endsWith('node_modules/agent-base') || entry.dev) continue;
            assert.ok(semver.gte(entry.version, '6.0.0'), `${where}@${entry.version}`);
        }
    });
});
