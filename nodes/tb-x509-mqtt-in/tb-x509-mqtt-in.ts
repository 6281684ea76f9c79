import type { Node, NodeAPI, NodeDef } from 'node-red';
import { decodeInbound, RequestIdFilter } from '../lib/mqtt/inbound';
import { fail } from '../lib/mqtt/messages';
import type { SharedConnection } from '../lib/mqtt/shared-connection';
import { findConfig } from '../lib/node-red/config-node';
import { connectionUser, refuseFleet, withoutConfig } from '../lib/node-red/connection-user';
import { userMessage } from '../lib/node-red/i18n';
import { IN_FILTERS, IN_MODES, type InMode } from '../lib/thingsboard/rpc-topics';

interface MqttInDef extends NodeDef {
    config?: string;
    mode?: string;
}

function register(RED: NodeAPI): void {
    function TbX509MqttIn(this: Node, def: MqttInDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const mode = (def.mode || 'rpc') as InMode;
        if (!IN_MODES.includes(mode)) {
            node.error(userMessage(RED, fail('IN_MODE_UNKNOWN', { mode: String(def.mode) })));
            return;
        }
        const config = findConfig(RED, def.config);
        if (!config) {
            withoutConfig(RED, node);
            return;
        }
        if (refuseFleet(RED, node, config, 'tb-x509-mqtt-in')) return;

        const connection: SharedConnection = config.runtime.connection();
        const once = new RequestIdFilter();
        // registering opens the connection when no other node has
        connection.register(node.id, connectionUser(RED, node));
        connection.listen(node.id, IN_FILTERS[mode], (topic, payload, session) => {
            const decoded = decodeInbound(mode, topic, payload);
            if (!decoded || !once.firstTime(session, decoded.requestId, decoded.device)) return;
            const msg: Record<string, unknown> = { topic: decoded.topic, payload: decoded.payload };
            if (decoded.method !== undefined) msg.method = decoded.method;
            if (decoded.requestId !== undefined) msg.requestId = decoded.requestId;
            if (decoded.device !== undefined) msg.device = decoded.device;
            if (decoded.deleted !== undefined) msg.deleted = decoded.deleted;
            node.send(msg);
        });

        node.on('close', (removed: boolean, done: () => void) => {
            connection.deregister(node.id, removed).then(
                () => done(),
                () => done(),
            );
        });
    }
    RED.nodes.registerType('tb-x509-mqtt-in', TbX509MqttIn);
}

export = register;
