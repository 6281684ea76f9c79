import type { Node, NodeAPI, NodeDef } from 'node-red';
import { decodeInbound, RequestIdFilter } from '../lib/mqtt/inbound';
import { fail } from '../lib/mqtt/messages';
import type { InboundHandler } from '../lib/mqtt/subscriptions';
import { findConfig } from '../lib/node-red/config-node';
import { connectionUser, fleetUser, withoutConfig } from '../lib/node-red/connection-user';
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

        /** The handler of one connection; fleet mode sets msg.deviceName, which tb-x509-mqtt-out's reply uses to pick the connection. */
        const handlerFor = (deviceName?: string): InboundHandler => {
            // request ids are per session, and each device connection has its own sessions
            const once = new RequestIdFilter();
            return (topic, payload, session) => {
                const decoded = decodeInbound(mode, topic, payload);
                if (!decoded || !once.firstTime(session, decoded.requestId, decoded.device)) return;
                const msg: Record<string, unknown> = { topic: decoded.topic, payload: decoded.payload };
                if (decoded.method !== undefined) msg.method = decoded.method;
                if (decoded.requestId !== undefined) msg.requestId = decoded.requestId;
                if (decoded.device !== undefined) msg.device = decoded.device;
                if (decoded.deleted !== undefined) msg.deleted = decoded.deleted;
                if (deviceName !== undefined) msg.deviceName = deviceName;
                node.send(msg);
            };
        };

        // fleet mode: every device connection the config has open (they open with their device's msgs to tb-x509-mqtt-out)
        const pool = config.runtime.settings.identityMode === 'fleet' ? config.runtime.fleetPool() : undefined;
        let sink: { deregister(userId: string, removed: boolean): Promise<number> };
        if (pool) {
            pool.register(node.id, fleetUser(RED, node));
            pool.listen(node.id, IN_FILTERS[mode], (deviceName) => handlerFor(deviceName));
            sink = pool;
        } else {
            const connection = config.runtime.connection();
            // registering opens the connection when no other node has
            connection.register(node.id, connectionUser(RED, node));
            connection.listen(node.id, IN_FILTERS[mode], handlerFor());
            sink = connection;
        }

        node.on('close', (removed: boolean, done: () => void) => {
            sink.deregister(node.id, removed).then(
                () => done(),
                () => done(),
            );
        });
    }
    RED.nodes.registerType('tb-x509-mqtt-in', TbX509MqttIn);
}

export = register;
