'use strict';
// Which Node-RED the tests run against: the project's own devDependency (4.x), or the install in
// TB_NODE_RED_DIR (scripts/test-node-red-5.sh points it at a cached Node-RED 5 run under Node 22).
// No side effects, so the test helper (node-red.js), the browser tests' child process
// (nr-server.js) and the tests that start the node-red binary (test/package/processes.js) all
// resolve the same install from here.
const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');

/** The Node-RED install named by `env` (default: this process's environment). */
function nodeRedInstall(env = process.env) {
    const dir = env.TB_NODE_RED_DIR ? path.resolve(env.TB_NODE_RED_DIR) : undefined;
    const paths = [dir || repoRoot];
    const packageFile = require.resolve('node-red/package.json', { paths });
    return {
        /** TB_NODE_RED_DIR, resolved; undefined for the devDependency */
        dir,
        /** the node-red package's folder */
        packageDir: path.dirname(packageFile),
        version: JSON.parse(fs.readFileSync(packageFile, 'utf8')).version,
        /** what require('node-red') loads: the embedding API the test helper drives */
        main: require.resolve('node-red', { paths }),
        /** the node-red command users start */
        redJs: require.resolve('node-red/red.js', { paths }),
    };
}

module.exports = { nodeRedInstall, repoRoot };
