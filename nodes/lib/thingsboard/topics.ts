/**
 * The MQTT topics ThingsBoard serves to a device (or gateway) session, and what each
 * expects as payload. ThingsBoard acknowledges a publish to any other topic and drops it
 * (MQTT 3.1.1) or answers PUBACK 0x90 (MQTT 5), so unknown topics are refused here,
 * before anything is sent. Topic strings follow ThingsBoard's MqttTopics.java exactly.
 */

/** The `target` property of tb-x509-mqtt-out. */
export type Target = 'telemetry' | 'attributes' | 'gateway-telemetry' | 'gateway-attributes' | 'msg';

export const TARGETS: readonly Target[] = ['telemetry', 'attributes', 'gateway-telemetry', 'gateway-attributes', 'msg'];

export const TARGET_TOPICS: Readonly<Record<Exclude<Target, 'msg'>, string>> = {
    telemetry: 'v1/devices/me/telemetry',
    attributes: 'v1/devices/me/attributes',
    'gateway-telemetry': 'v1/gateway/telemetry',
    'gateway-attributes': 'v1/gateway/attributes',
};

/**
 * Which payload rules a topic takes:
 * - telemetry: object or array of objects; msg.timestamp allowed
 * - attributes: one object
 * - gateway-telemetry: { "<device>": [ {…}, … ] }
 * - gateway-attributes: { "<device>": { … } }
 * - gateway-device: { "device": "<name>", … } (connect, disconnect, attribute request, rpc reply)
 * - object: any JSON object (rpc request, attribute request, claim, gateway claim)
 * - text: anything; strings are sent as they are (rpc responses, firmware chunk requests)
 */
export type PayloadKind =
    | 'telemetry'
    | 'attributes'
    | 'gateway-telemetry'
    | 'gateway-attributes'
    | 'gateway-device'
    | 'object'
    | 'text';

export type TopicCheck =
    | { served: true; kind: PayloadKind }
    | { served: false; reason: 'unknown' | 'protobuf' | 'provision'; jsonAlternative?: string };

const EXACT: Readonly<Record<string, PayloadKind>> = {
    'v1/devices/me/telemetry': 'telemetry',
    'v1/devices/me/attributes': 'attributes',
    'v1/devices/me/claim': 'object',
    'v1/gateway/telemetry': 'gateway-telemetry',
    'v1/gateway/attributes': 'gateway-attributes',
    'v1/gateway/connect': 'gateway-device',
    'v1/gateway/disconnect': 'gateway-device',
    'v1/gateway/attributes/request': 'gateway-device',
    'v1/gateway/rpc': 'gateway-device',
    'v1/gateway/claim': 'object',
    // v2 short forms; without a suffix the device profile decides, JSON by default
    'v2/t': 'telemetry',
    'v2/t/j': 'telemetry',
    'v2/a': 'attributes',
    'v2/a/j': 'attributes',
};

/** Topics ending in a request id: ThingsBoard parses the id as an int. */
const WITH_ID: ReadonlyArray<{ prefix: string; kind: PayloadKind }> = [
    { prefix: 'v1/devices/me/rpc/response/', kind: 'text' },
    { prefix: 'v1/devices/me/rpc/request/', kind: 'object' },
    { prefix: 'v1/devices/me/attributes/request/', kind: 'object' },
    { prefix: 'v2/r/res/j/', kind: 'text' },
    { prefix: 'v2/r/res/', kind: 'text' },
    { prefix: 'v2/r/req/j/', kind: 'object' },
    { prefix: 'v2/r/req/', kind: 'object' },
    { prefix: 'v2/a/req/j/', kind: 'object' },
    { prefix: 'v2/a/req/', kind: 'object' },
];

/** Protobuf variants and the JSON topic to use instead. */
const PROTOBUF: ReadonlyArray<{ pattern: RegExp; json: string }> = [
    { pattern: /^v2\/t\/p$/, json: 'v2/t/j' },
    { pattern: /^v2\/a\/p$/, json: 'v2/a/j' },
    { pattern: /^v2\/r\/res\/p\/\d+$/, json: 'v2/r/res/j/{id}' },
    { pattern: /^v2\/r\/req\/p\/\d+$/, json: 'v2/r/req/j/{id}' },
    { pattern: /^v2\/a\/req\/p\/\d+$/, json: 'v2/a/req/j/{id}' },
];

/** Firmware / software chunk requests: the payload is the chunk size as text. */
const OTA_CHUNK_REQUEST = /^v2\/(fw|sw)\/request\/\d+\/chunk\/\d+$/;

const MAX_INT = 2147483647;

function isRequestId(text: string): boolean {
    return /^\d{1,10}$/.test(text) && Number(text) <= MAX_INT;
}

/** Whether ThingsBoard serves `topic` for publishing from a device session, and with which payload rules. */
export function checkTopic(topic: string): TopicCheck {
    const exact = EXACT[topic];
    if (exact) return { served: true, kind: exact };
    for (const { prefix, kind } of WITH_ID) {
        if (topic.startsWith(prefix) && isRequestId(topic.slice(prefix.length))) return { served: true, kind };
    }
    if (OTA_CHUNK_REQUEST.test(topic)) return { served: true, kind: 'text' };
    for (const { pattern, json } of PROTOBUF) {
        if (pattern.test(topic)) return { served: false, reason: 'protobuf', jsonAlternative: json };
    }
    if (topic === '/provision/request' || topic === '/provision') return { served: false, reason: 'provision' };
    return { served: false, reason: 'unknown' };
}

export function isTarget(value: unknown): value is Target {
    return typeof value === 'string' && (TARGETS as readonly string[]).includes(value);
}
