import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toNumber } from '../lib/config-settings';
import { fail } from '../lib/mqtt/messages';
import { fleetRequestsOf } from '../lib/mqtt/fleet-requests';
import { requestsOf, type RequestOptions } from '../lib/mqtt/requests';
import { findConfig } from '../lib/node-red/config-node';
import { connectionUser, fleetUser, withoutConfig } from '../lib/node-red/connection-user';
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
    /** fleet mode: the device whose connection asks */
    deviceName?: unknown;
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
        const kindError = REQUEST_KINDS.includes(kind) ? undefined : fail('REQUEST_KIND_UNKNOWN', { kind: String(def.kind) });
        if (kindError) node.error(userMessage(RED, kindError));

        // fleet mode: each request on its msg.deviceName's connection; single mode: the config's one connection
        const pool = config.runtime.settings.identityMode === 'fleet' ? config.runtime.fleetPool() : undefined;
        let sink: { deregister(userId: string, removed: boolean): Promise<number> };
        let requests: { forget(userId: string): void };
        let ask: (msg: RequestMessage, options: RequestOptions, answered: (err: Error | undefined, answer?: Buffer) => void) => void;
        if (pool) {
            const fleetRequests = fleetRequestsOf(pool);
            pool.register(node.id, fleetUser(RED, node));
            ask = (msg, options, answered) => fleetRequests.send(node.id, msg.deviceName, options, answered);
            requests = fleetRequests;
            sink = pool;
        } else {
            const connection = config.runtime.connection();
            const tracker = requestsOf(connection);
            connection.register(node.id, connectionUser(RED, node));
            ask = (_msg, options, answered) => tracker.send(node.id, options, answered);
            requests = tracker;
            sink = connection;
        }

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
            ask(msg, { kind, body, timeoutMs, queueSize }, (err, answer) => {
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
            sink.deregister(node.id, removed).then(
                () => done(),
                () => done(),
            );
        });
    }
    RED.nodes.registerType('tb-x509-mqtt-request', TbX509MqttRequest);
}

export = register;
