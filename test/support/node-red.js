'use strict';
// One place that decides which Node-RED runtime the tests load: the project's own
// devDependency (4.x) by default, or another install named by TB_NODE_RED_DIR
// (CI points it at a Node-RED 5 install run under Node 22).
const path = require('path');
const helper = require('node-red-node-test-helper');

const nodeRedDir = process.env.TB_NODE_RED_DIR;
const nodeRedMain = nodeRedDir
    ? require.resolve('node-red', { paths: [path.resolve(nodeRedDir)] })
    : require.resolve('node-red');
helper.init(nodeRedMain);

const dist = path.resolve(__dirname, '..', '..', 'dist', 'nodes');
const nodes = {
    config: require(path.join(dist, 'tb-x509-config', 'tb-x509-config.js')),
    generate: require(path.join(dist, 'x509-generate', 'x509-generate.js')),
    provision: require(path.join(dist, 'tb-provision', 'tb-provision.js')),
    mqttOut: require(path.join(dist, 'tb-x509-mqtt-out', 'tb-x509-mqtt-out.js')),
};

// Core nodes (inject, catch, ...) of the Node-RED under test: under TB_NODE_RED_DIR a core node of
// the project's own 4.x would be a second copy next to the one the helper preloads ("already registered").
function coreNode(file) {
    return require(require.resolve(path.posix.join('@node-red/nodes', file), { paths: [path.dirname(nodeRedMain)] }));
}

module.exports = { helper, nodes, allNodes: Object.values(nodes), dist, nodeRedMain, coreNode };
