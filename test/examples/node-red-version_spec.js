'use strict';
// The Node-RED the suites run against is the one test/support/node-red-install.js resolves —
// the project's devDependency, or TB_NODE_RED_DIR's install (scripts/test-node-red-5.sh, which
// checks that its install is 5.x) — for the test helper and for the node-red binary alike.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const semver = require('semver');
const { helper } = require('../support/node-red');
const { nodeRedInstall, repoRoot } = require('../support/node-red-install');

const pkg = require(path.join(repoRoot, 'package.json'));

describe('Node-RED under test', function () {
    it('is the install the suite resolved, in the test helper and as the node-red binary', function () {
        const install = nodeRedInstall();
        console.log(`      Node-RED ${install.version} on Node ${process.version} (${install.packageDir})`);
        // the helper drives exactly that module, not a second copy from elsewhere
        assert.ok(require.cache[install.main], `${install.main} is loaded`);
        assert.strictEqual(helper._RED, require.cache[install.main].exports);
        // the runtime reports the version its package declares
        assert.strictEqual(helper._RED.version().replace(/-.*$/, ''), install.version.replace(/-.*$/, ''));
        assert.ok([4, 5].includes(semver.major(install.version)), `Node-RED ${install.version} is 4.x or 5.x`);
        assert.ok(semver.satisfies(install.version, pkg['node-red'].version), `within node-red.version "${pkg['node-red'].version}"`);
        // the binary the example and package tests start belongs to the same package
        assert.strictEqual(path.dirname(install.redJs), install.packageDir);
        assert.ok(install.main.startsWith(install.packageDir + path.sep));
    });

    it('resolves the devDependency without TB_NODE_RED_DIR, and the named install with it', function () {
        const own = nodeRedInstall({});
        assert.strictEqual(own.dir, undefined);
        // (node_modules may be a symlink, as in a git worktree: Node resolves through it)
        assert.strictEqual(own.packageDir, fs.realpathSync(path.join(repoRoot, 'node_modules', 'node-red')));
        assert.ok(semver.satisfies(own.version, pkg.devDependencies['node-red']), `${own.version} is the declared devDependency`);

        const other = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tb-x509-nr-install-')));
        try {
            const fake = path.join(other, 'node_modules', 'node-red');
            fs.mkdirSync(path.join(fake, 'lib'), { recursive: true });
            fs.writeFileSync(path.join(fake, 'package.json'), JSON.stringify({ name: 'node-red', version: '5.1.2', main: 'lib/red.js' }));
            fs.writeFileSync(path.join(fake, 'lib', 'red.js'), '');
            fs.writeFileSync(path.join(fake, 'red.js'), '');
            const named = nodeRedInstall({ TB_NODE_RED_DIR: other });
            assert.strictEqual(named.dir, other);
            assert.strictEqual(named.version, '5.1.2');
            assert.strictEqual(named.main, path.join(fake, 'lib', 'red.js'));
            assert.strictEqual(named.redJs, path.join(fake, 'red.js'));
        } finally {
            fs.rmSync(other, { recursive: true, force: true });
        }
    });
});
