/**
 * What tb-x509-mqtt-in emits for a publish ThingsBoard pushed: the msg fields per mode. A push
 * that is not what the mode expects (e.g. text that is not JSON) still reaches the flow, as text
 * in msg.payload, so nothing is silently dropped and nothing throws.
 */
import { parseJson, rpcRequestId, rpcResponseTopic, type InMode } from '../thingsboard/rpc-topics';

export interface InboundMessage {
    payload: unknown;
    topic: string;
    method?: string;
    requestId?: number;
    device?: string;
    deleted?: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits ThingsBoard's `deleted` list off an attribute update. */
function attributeUpdate(data: Record<string, unknown>): { payload: Record<string, unknown>; deleted?: string[] } {
    const { deleted, ...payload } = data;
    return Array.isArray(deleted) ? { payload, deleted: deleted.map(String) } : { payload };
}

/** The msg for one push in `mode`, or undefined when the push is not for this mode (another topic on the same filter). */
export function decodeInbound(mode: InMode, topic: string, raw: Buffer): InboundMessage | undefined {
    const text = raw.toString('utf8');
    const body = parseJson(text);
    switch (mode) {
        case 'rpc': {
            const requestId = rpcRequestId(topic);
            if (requestId === undefined) return undefined;
            const reply = rpcResponseTopic(requestId);
            if (!isObject(body)) return { payload: text, requestId, topic: reply };
            return { payload: body.params, method: typeof body.method === 'string' ? body.method : undefined, requestId, topic: reply };
        }
        case 'attributes':
            if (!isObject(body)) return { payload: text, topic };
            return { ...attributeUpdate(body), topic };
        case 'gateway-rpc': {
            if (!isObject(body) || !isObject(body.data)) return { payload: text, topic };
            const { data } = body;
            const device = typeof body.device === 'string' ? body.device : undefined;
            const requestId = typeof data.id === 'number' ? data.id : undefined;
            return { payload: data.params, method: typeof data.method === 'string' ? data.method : undefined, requestId, device, topic };
        }
        case 'gateway-attributes': {
            if (!isObject(body) || !isObject(body.data)) return { payload: text, topic };
            const device = typeof body.device === 'string' ? body.device : undefined;
            return { ...attributeUpdate(body.data), device, topic };
        }
    }
}

/**
 * Request ids already emitted in this session: ThingsBoard may deliver an RPC again (a QoS 1
 * redelivery, or a persistent RPC resent), and the flow must act on it once. Ids restart with a
 * session's own counter on the server, so the set starts over with every session.
 */
export class RequestIdFilter {
    private session = -1;
    private readonly seen = new Set<string>();

    /** True the first time `requestId` (of `device`, for gateways) arrives in session `session`. */
    firstTime(session: number, requestId: number | undefined, device = ''): boolean {
        if (requestId === undefined) return true;
        if (session !== this.session) {
            this.session = session;
            this.seen.clear();
        }
        const key = `${device}\u0000${requestId}`;
        if (this.seen.has(key)) return false;
        this.seen.add(key);
        return true;
    }
}
