import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toNumber } from '../lib/config-settings';
import { fail } from '../lib/mqtt/messages';
import { requestsOf } from '../lib/mqtt/requests';
import type { SharedConnection } from '../lib/mqtt/shared-connection';
import { findConfig } from '../lib/node-red/config-node';
import { connectionUser, refuseFleet, withoutConfig } from '../lib/node-red/connection-user';
import { toUserError, userMessage } from '../lib/node-red/i18n';
import { answerPayload, requestBody } from '../lib/thingsboard/request-payloads';
import { REQUEST_KINDS, type RequestKind } from '../lib/thingsboard/rpc-topics';

interface MqttRequestDef extends NodeDef {
    config?: string;
    kind?: string;
    clientKeys?: string;
    sharedKeys?: string;
    method?: string;
    client?: boolean | string;
    timeout?: number | string;
    queueSize?: number | string;
}

interface RequestMessage extends NodeMessage {
    clientKeys?: unknown;
    sharedKeys?: unknown;
    method?: unknown;
    device?: unknown;
}

const DEFAULT_TIMEOUT_S = 10;
const DEFAULT_QUEUE_SIZE = 1000;

function register(RED: NodeAPI): void {
    function TbX509MqttRequest(this: Node, def: MqttRequestDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const kind = (def.kind || 'attributes') as RequestKind;
        const timeoutMs = Math.max(0.001, toNumber(def.timeout, DEFAULT_TIMEOUT_S)) * 1000;
        const queueSize = Math.max(1, Math.floor(toNumber(def.queueSize, DEFAULT_QUEUE_SIZE)));
        const client = def.client === true || def.client === 'true';
        const config = findConfig(RED, def.config);
        if (!config) {
            withoutConfig(RED, node);
            return;
        }
        if (refuseFleet(RED, node, config, 'tb-x509-mqtt-request')) return;
        const kindError = REQUEST_KINDS.includes(kind) ? undefined : fail('REQUEST_KIND_UNKNOWN', { kind: String(def.kind) });
        if (kindError) node.error(userMessage(RED, kindError));

        const connection: SharedConnection = config.runtime.connection();
        const requests = requestsOf(connection);
        connection.register(node.id, connectionUser(RED, node));

        node.on('input', (rawMsg: NodeMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void) => {
            const msg = rawMsg as RequestMessage;
            let body: Record<string, unknown>;
            try {
                if (kindError) throw kindError;
                body = requestBody(kind, {
                    clientKeys: msg.clientKeys ?? def.clientKeys,
                    sharedKeys: msg.sharedKeys ?? def.sharedKeys,
                    method: msg.method ?? (def.method?.trim() || undefined),
                    params: msg.payload,
                    device: msg.device,
                    client,
                });
            } catch (err) {
                done(toUserError(RED, err));
                return;
            }
            requests.send(node.id, { kind, body, timeoutMs, queueSize }, (err, answer) => {
                if (err || !answer) {
                    done(toUserError(RED, err));
                    return;
                }
                msg.payload = answerPayload(kind, answer, body);
                send(msg);
                done();
            });
        });

        node.on('close', (removed: boolean, done: () => void) => {
            requests.forget(node.id);
            connection.deregister(node.id, removed).then(
                () => done(),
                () => done(),
            );
        });
    }
    RED.nodes.registerType('tb-x509-mqtt-request', TbX509MqttRequest);
}

export = register;
