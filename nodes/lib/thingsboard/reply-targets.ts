/**
 * The tb-x509-mqtt-out targets that answer or announce rather than report: RPC replies (device and
 * gateway) and gateway device connect/disconnect. Their topic or body depends on msg fields
 * (msg.requestId, msg.device), so they resolve per msg; the payload rules are those of topics.ts.
 */
import { describe, type PublishTarget } from './telemetry-payload';
import { fail } from './messages';
import { rpcResponseTopic } from './rpc-topics';

export type ReplyTarget = 'rpc-response' | 'gateway-rpc-response' | 'gateway-connect' | 'gateway-disconnect';
export const REPLY_TARGETS: readonly ReplyTarget[] = ['rpc-response', 'gateway-rpc-response', 'gateway-connect', 'gateway-disconnect'];

export function isReplyTarget(value: unknown): value is ReplyTarget {
    return typeof value === 'string' && (REPLY_TARGETS as readonly string[]).includes(value);
}

export interface ReplyFields {
    payload?: unknown;
    requestId?: unknown;
    device?: unknown;
}

const MAX_INT = 2147483647;

function requestIdOf(target: ReplyTarget, raw: unknown): number {
    const id = typeof raw === 'string' && /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_INT) {
        throw fail('REPLY_REQUEST_ID_MISSING', { target, actual: raw === undefined ? 'missing' : describe(raw) });
    }
    return id;
}

function deviceOf(target: ReplyTarget, raw: unknown): string {
    if (typeof raw !== 'string' || raw.trim() === '') {
        throw fail('REPLY_DEVICE_MISSING', { target, actual: raw === undefined ? 'missing' : describe(raw) });
    }
    return raw;
}

/** The topic, payload rules and payload for a msg to a reply target; a refusal is a CodedError. */
export function resolveReply(target: ReplyTarget, msg: ReplyFields): { target: PublishTarget; payload: unknown } {
    switch (target) {
        case 'rpc-response':
            return { target: { topic: rpcResponseTopic(requestIdOf(target, msg.requestId)), kind: 'text' }, payload: msg.payload };
        case 'gateway-rpc-response': {
            const device = deviceOf(target, msg.device);
            const id = requestIdOf(target, msg.requestId);
            // ThingsBoard reads "data" unconditionally (AbstractGatewaySessionHandler onDeviceRpcResponseJson: jsonObj.get("data"))
            if (msg.payload === undefined || msg.payload === null) throw fail('PAYLOAD_MISSING');
            return { target: { topic: 'v1/gateway/rpc', kind: 'gateway-device' }, payload: { device, id, data: msg.payload } };
        }
        case 'gateway-connect':
        case 'gateway-disconnect': {
            const topic = target === 'gateway-connect' ? 'v1/gateway/connect' : 'v1/gateway/disconnect';
            let payload = msg.payload;
            // a device name as text, or no payload and msg.device
            if (typeof payload === 'string' && !payload.trim().startsWith('{')) payload = { device: payload };
            else if ((payload === undefined || payload === null) && typeof msg.device === 'string') payload = { device: msg.device };
            return { target: { topic, kind: 'gateway-device' }, payload };
        }
    }
}
