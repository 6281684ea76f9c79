import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toNumber } from '../lib/config-settings';
import { fail } from '../lib/mqtt/messages';
import type { SharedConnection } from '../lib/mqtt/shared-connection';
import { findConfig } from '../lib/node-red/config-node';
import { connectionUser, fleetUser, withoutConfig } from '../lib/node-red/connection-user';
import { toUserError, userMessage } from '../lib/node-red/i18n';
import { isReplyTarget, resolveReply } from '../lib/thingsboard/reply-targets';
import { encodePublish, resolveTarget, type PublishTarget } from '../lib/thingsboard/telemetry-payload';

interface MqttOutDef extends NodeDef {
    config?: string;
    target?: string;
    qos?: number | string;
    key?: string;
    queueSize?: number | string;
}

interface OutMessage extends NodeMessage {
    timestamp?: unknown;
    /** for the reply targets: set by tb-x509-mqtt-in */
    requestId?: unknown;
    device?: unknown;
    /** fleet mode: the device whose connection sends the message */
    deviceName?: unknown;
}

const DEFAULT_QUEUE_SIZE = 1000;
/** The size check assumes MQTT 5, whose PUBLISH is one byte longer than 3.1.1's. */
const SIZE_CHECK_PROTOCOL = 5;

function register(RED: NodeAPI): void {
    function TbX509MqttOut(this: Node, def: MqttOutDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const target = def.target || 'telemetry';
        const qos: 0 | 1 = toNumber(def.qos, 1) === 0 ? 0 : 1;
        const key = def.key?.trim() || undefined;
        const queueSize = Math.max(1, Math.floor(toNumber(def.queueSize, DEFAULT_QUEUE_SIZE)));
        const config = findConfig(RED, def.config);

        // A fixed target resolves once; a bad one is reported at every msg (and now).
        let fixedTarget: PublishTarget | undefined;
        let targetError: Error | undefined;
        if (target !== 'msg' && !isReplyTarget(target)) {
            try {
                fixedTarget = resolveTarget(target, undefined);
            } catch (err) {
                targetError = err instanceof Error ? err : new Error(String(err));
                node.error(userMessage(RED, err));
            }
        }

        if (!config) {
            withoutConfig(RED, node);
            return;
        }

        // fleet mode: one connection per msg.deviceName (FleetPool); single mode: the config's one connection
        const pool = config.runtime.settings.identityMode === 'fleet' ? config.runtime.fleetPool() : undefined;
        const connection: SharedConnection | undefined = pool ? undefined : config.runtime.connection();
        const sink = (pool ?? connection) as { server: string; deregister(userId: string, removed: boolean): Promise<number> };
        if (pool) pool.register(node.id, fleetUser(RED, node));
        else connection?.register(node.id, connectionUser(RED, node));

        node.on('input', (rawMsg: NodeMessage, _send: unknown, done: (err?: Error) => void) => {
            const msg = rawMsg as OutMessage;
            let topic: string;
            let body: string | Buffer;
            try {
                if (targetError) throw targetError;
                const reply = isReplyTarget(target) ? resolveReply(target, msg) : undefined;
                const resolved = reply?.target ?? fixedTarget ?? resolveTarget(target, msg.topic);
                ({ topic, body } = encodePublish(
                    { payload: reply ? reply.payload : msg.payload, key: reply && target !== 'rpc-response' ? undefined : key, timestamp: msg.timestamp },
                    resolved,
                    qos,
                    SIZE_CHECK_PROTOCOL,
                ));
            } catch (err) {
                done(toUserError(RED, err));
                return;
            }
            const request = { topic, body, qos, queueSize };
            const settled = (err?: Error) => {
                if (err) done(toUserError(RED, err));
                else done();
            };
            if (pool) pool.publish(node.id, msg.deviceName, request, settled);
            else connection?.publish(node.id, request, settled);
        });

        node.on('close', (removed: boolean, done: () => void) => {
            sink.deregister(node.id, removed).then(
                (dropped) => {
                    if (dropped > 0) {
                        node.warn(userMessage(RED, fail('MQTT_DROPPED_ON_CLOSE', { count: dropped, server: sink.server })));
                    }
                    done();
                },
                () => done(),
            );
        });
    }
    RED.nodes.registerType('tb-x509-mqtt-out', TbX509MqttOut);
}

export = register;
