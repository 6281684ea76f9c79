'use strict';
// The Node-RED test helper, started on the Node-RED under test (node-red-install.js: the
// project's own devDependency, or TB_NODE_RED_DIR's), and the built nodes it loads.
const path = require('path');
const helper = require('node-red-node-test-helper');
const { nodeRedInstall } = require('./node-red-install');

const nodeRedMain = nodeRedInstall().main;
helper.init(nodeRedMain);

const dist = path.resolve(__dirname, '..', '..', 'dist', 'nodes');
const nodes = {
    config: require(path.join(dist, 'tb-x509-config', 'tb-x509-config.js')),
    generate: require(path.join(dist, 'x509-generate', 'x509-generate.js')),
    provision: require(path.join(dist, 'tb-provision', 'tb-provision.js')),
    mqttOut: require(path.join(dist, 'tb-x509-mqtt-out', 'tb-x509-mqtt-out.js')),
    ca: require(path.join(dist, 'tb-x509-ca', 'tb-x509-ca.js')),
    mqttIn: require(path.join(dist, 'tb-x509-mqtt-in', 'tb-x509-mqtt-in.js')),
    mqttRequest: require(path.join(dist, 'tb-x509-mqtt-request', 'tb-x509-mqtt-request.js')),
};

// Core nodes (inject, catch, ...) of the Node-RED under test: under TB_NODE_RED_DIR a core node of
// the project's own 4.x would be a second copy next to the one the helper preloads ("already registered").
function coreNode(file) {
    return require(require.resolve(path.posix.join('@node-red/nodes', file), { paths: [path.dirname(nodeRedMain)] }));
}

module.exports = { helper, nodes, allNodes: Object.values(nodes), dist, nodeRedMain, coreNode };
