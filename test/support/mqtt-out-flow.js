'use strict';
// Shared by the tb-x509-mqtt-out flow specs (against tbsim and against mosquitto).
const { helper } = require('./node-red');

/**
 * For a loaded flow with tb-x509-mqtt-out `out`, a Catch wired to helper `caught` and a
 * Complete wired to helper `completed`: the node, and from now on every msg reaching the
 * Catch, every msg reaching the Complete, and every status `out` sets, in order.
 */
function recordOutNode() {
    const caught = [];
    const completed = [];
    const statuses = [];
    helper.getNode('caught').on('input', (msg) => caught.push(msg));
    helper.getNode('completed').on('input', (msg) => completed.push(msg));
    const outNode = helper.getNode('out');
    outNode.on('call:status', (call) => statuses.push(call.args[0]));
    return { out: outNode, caught, completed, statuses };
}

module.exports = { recordOutNode };
