'use strict';
// scripts/test-node-red-5.sh sets TB_EXPECT_NODE_RED_MAJOR=5: prove that run really loads 5.x,
// both in the test helper (test/support/node-red.js) and as the node-red binary the examples run in.
const assert = require('assert');
const path = require('path');
const { helper } = require('../support/node-red');
const { nodeRedUnderTest } = require('./support');

describe('Node-RED under test', function () {
    it('is the expected major version in the helper and for the node-red binary', function () {
        const dir = nodeRedUnderTest().nodeRedDir;
        const pkgFile = require.resolve('node-red/package.json', { paths: [dir || path.resolve(__dirname, '..', '..')] });
        const binaryVersion = require(pkgFile).version;
        const helperVersion = helper._RED.version().replace(/-.*$/, '');
        console.log(`      Node-RED ${helperVersion} on Node ${process.version}`);
        assert.strictEqual(helperVersion, binaryVersion.replace(/-.*$/, ''));
        const expected = process.env.TB_EXPECT_NODE_RED_MAJOR;
        if (expected) assert.strictEqual(binaryVersion.split('.')[0], expected);
    });
});
