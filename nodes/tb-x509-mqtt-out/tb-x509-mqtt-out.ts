// STUB — replaced by the issue that owns this node.
import type { Node, NodeAPI, NodeDef } from 'node-red';

function register(RED: NodeAPI): void {
    function Stub(this: Node, def: NodeDef): void {
        RED.nodes.createNode(this, def);
    }
    RED.nodes.registerType('tb-x509-mqtt-out', Stub as never);
}

export = register;
