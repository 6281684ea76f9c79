/**
 * The two-way topics of ThingsBoard's device and gateway MQTT API (reference §4.2–4.4): what the
 * server pushes (RPC requests, shared-attribute updates), the requests a device makes, and the
 * answers to them. Topic strings follow ThingsBoard's MqttTopics.java.
 */

/** The `mode` property of tb-x509-mqtt-in. */
export type InMode = 'rpc' | 'attributes' | 'gateway-rpc' | 'gateway-attributes';
export const IN_MODES: readonly InMode[] = ['rpc', 'attributes', 'gateway-rpc', 'gateway-attributes'];

/** The filter each mode subscribes to. */
export const IN_FILTERS: Readonly<Record<InMode, string>> = {
    rpc: 'v1/devices/me/rpc/request/+',
    attributes: 'v1/devices/me/attributes',
    'gateway-rpc': 'v1/gateway/rpc',
    'gateway-attributes': 'v1/gateway/attributes',
};

/** The `kind` property of tb-x509-mqtt-request. */
export type RequestKind = 'attributes' | 'rpc' | 'gateway-attributes';
export const REQUEST_KINDS: readonly RequestKind[] = ['attributes', 'rpc', 'gateway-attributes'];

const ATTRIBUTE_REQUEST = 'v1/devices/me/attributes/request/';
const ATTRIBUTE_RESPONSE = 'v1/devices/me/attributes/response/';
const RPC_REQUEST = 'v1/devices/me/rpc/request/';
const RPC_RESPONSE = 'v1/devices/me/rpc/response/';
const GATEWAY_ATTRIBUTE_REQUEST = 'v1/gateway/attributes/request';
const GATEWAY_ATTRIBUTE_RESPONSE = 'v1/gateway/attributes/response';

/** Where answers to the requests arrive; subscribed before any request is sent. */
export const RESPONSE_FILTERS: readonly string[] = [`${ATTRIBUTE_RESPONSE}+`, `${RPC_RESPONSE}+`, GATEWAY_ATTRIBUTE_RESPONSE];

export function requestTopic(kind: RequestKind, id: number): string {
    if (kind === 'attributes') return `${ATTRIBUTE_REQUEST}${id}`;
    if (kind === 'rpc') return `${RPC_REQUEST}${id}`;
    return GATEWAY_ATTRIBUTE_REQUEST;
}

/** The device-side RPC reply topic for a server-side request id. */
export function rpcResponseTopic(requestId: number): string {
    return `${RPC_RESPONSE}${requestId}`;
}

/**
 * The key of the request an answer belongs to (`<kind>:<id>`, as RequestTracker keys them), or
 * undefined when the message is no answer. The gateway answer carries its id in the body.
 */
export function answerId(topic: string, payload: Buffer): string | undefined {
    if (topic.startsWith(ATTRIBUTE_RESPONSE)) return idFrom('attributes', topic.slice(ATTRIBUTE_RESPONSE.length));
    if (topic.startsWith(RPC_RESPONSE)) return idFrom('rpc', topic.slice(RPC_RESPONSE.length));
    if (topic !== GATEWAY_ATTRIBUTE_RESPONSE) return undefined;
    const body = parseJson(payload);
    if (typeof body !== 'object' || body === null) return undefined;
    const id = (body as Record<string, unknown>).id;
    return typeof id === 'number' && Number.isInteger(id) ? `gw:${id}` : undefined;
}

function idFrom(kind: string, text: string): string | undefined {
    return /^\d{1,10}$/.test(text) ? `${kind}:${Number(text)}` : undefined;
}

/** JSON when it is JSON, else undefined. */
export function parseJson(payload: Buffer | string): unknown {
    try {
        return JSON.parse(payload.toString());
    } catch {
        return undefined;
    }
}

/** The id at the end of a `v1/devices/me/rpc/request/<id>` topic. */
export function rpcRequestId(topic: string): number | undefined {
    if (!topic.startsWith(RPC_REQUEST)) return undefined;
    const text = topic.slice(RPC_REQUEST.length);
    return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}
