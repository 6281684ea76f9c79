/**
 * What tb-x509-mqtt-out publishes for a msg: the topic, the JSON body, and the checks
 * that keep ThingsBoard from dropping the message or closing the connection over it.
 * Pure functions; every refusal is a CodedError with a message for the user.
 */
import { fail } from './messages';
import { checkTopic, isTarget, TARGET_TOPICS, type PayloadKind } from './topics';

/** ThingsBoard's `netty.max_payload_size`: a limit on the whole MQTT packet's remaining length. */
export const MAX_PACKET_REMAINING_LENGTH = 65536;

export interface PublishTarget {
    topic: string;
    kind: PayloadKind;
}

export interface PublishInput {
    payload: unknown;
    /** the node's `key` property: wraps a bare number, boolean or string */
    key?: string;
    /** msg.timestamp: ms since epoch or a Date */
    timestamp?: unknown;
}

export interface EncodedPublish {
    topic: string;
    /** the message body, JSON text (or the caller's text/Buffer for 'text' topics) */
    body: string | Buffer;
}

/** The topic and payload rules for the node's target (and msg.topic when the target is `msg`). */
export function resolveTarget(target: string, msgTopic: unknown): PublishTarget {
    if (!isTarget(target)) throw fail('TARGET_UNKNOWN', { target: String(target) });
    if (target !== 'msg') {
        const topic = TARGET_TOPICS[target];
        return { topic, kind: checkTopicOrFail(topic) };
    }
    if (typeof msgTopic !== 'string' || msgTopic.trim() === '') throw fail('TOPIC_MISSING');
    return { topic: msgTopic, kind: checkTopicOrFail(msgTopic) };
}

function checkTopicOrFail(topic: string): PayloadKind {
    const check = checkTopic(topic);
    if (check.served) return check.kind;
    if (check.reason === 'protobuf') throw fail('TOPIC_PROTOBUF', { topic, alternative: check.jsonAlternative ?? '' });
    if (check.reason === 'provision') throw fail('TOPIC_PROVISION', { topic });
    throw fail('TOPIC_NOT_SERVED', { topic });
}

/** MQTT remaining length of a PUBLISH: topic (length-prefixed), packet id for QoS > 0, v5 property length, payload. */
export function publishRemainingLength(topic: string, bodyBytes: number, qos: number, protocolVersion: number): number {
    return 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + (protocolVersion === 5 ? 1 : 0) + bodyBytes;
}

/** Checks the packet against ThingsBoard's limit. */
export function assertPacketSize(topic: string, body: string | Buffer, qos: number, protocolVersion: number): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: a packet short enough by that bound fits without
    // counting the bytes of topic and body (mqtt.js counts them again when it writes the packet).
    if (typeof body === 'string' && 5 + 3 * (topic.length + body.length) <= MAX_PACKET_REMAINING_LENGTH) return;
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const size = publishRemainingLength(topic, bodyBytes, qos, protocolVersion);
    if (size > MAX_PACKET_REMAINING_LENGTH) throw fail('PAYLOAD_TOO_LARGE', { size, limit: MAX_PACKET_REMAINING_LENGTH });
}

/** The whole rule set: topic from target, payload shaped and checked, size within the limit. */
export function encodePublish(
    input: PublishInput,
    target: PublishTarget,
    qos: number,
    protocolVersion: number,
): EncodedPublish {
    const body = encodeBody(input, target);
    assertPacketSize(target.topic, body, qos, protocolVersion);
    return { topic: target.topic, body };
}

/** The message body for `input` on a topic of kind `target.kind`. */
export function encodeBody(input: PublishInput, target: PublishTarget): string | Buffer {
    const timestamp = readTimestamp(input.timestamp);
    const key = input.key ? input.key : undefined;
    let value = input.payload;
    if (value === undefined || value === null) throw fail('PAYLOAD_MISSING');

    if (key !== undefined && isScalar(value)) {
        checkFinite(value);
        value = { [key]: value };
    } else if (target.kind === 'text') {
        if (typeof value === 'string' || Buffer.isBuffer(value)) {
            if (timestamp !== undefined) throw fail('TIMESTAMP_NOT_SUPPORTED', { topic: target.topic });
            if (value.length === 0) throw fail('PAYLOAD_MISSING');
            return value;
        }
        if (typeof value === 'number' || typeof value === 'boolean') {
            if (timestamp !== undefined) throw fail('TIMESTAMP_NOT_SUPPORTED', { topic: target.topic });
            checkFinite(value);
            return String(value);
        }
    } else if (typeof value === 'string' || Buffer.isBuffer(value)) {
        value = parseJsonText(value.toString());
    } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
        throw fail('PAYLOAD_BARE_VALUE', { type: typeof value });
    }

    checkShape(value, target);
    if (timestamp !== undefined) value = withTimestamp(value, timestamp, target);
    return stringify(value);
}

function isScalar(value: unknown): value is number | boolean | string {
    return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}

function checkFinite(value: unknown): void {
    if (typeof value === 'number' && !Number.isFinite(value)) throw fail('PAYLOAD_NOT_FINITE', { value: String(value) });
}

function parseJsonText(text: string): unknown {
    if (text.trim() === '') throw fail('PAYLOAD_MISSING');
    try {
        return JSON.parse(text);
    } catch (err) {
        throw fail('PAYLOAD_NOT_JSON', { reason: err instanceof Error ? err.message : String(err) });
    }
}

function stringify(value: unknown): string {
    let json: string | undefined;
    try {
        json = JSON.stringify(value);
    } catch (err) {
        throw fail('PAYLOAD_NOT_SERIALISABLE', { reason: err instanceof Error ? firstLine(err.message) : String(err) });
    }
    if (json === undefined) throw fail('PAYLOAD_NOT_SERIALISABLE', { reason: 'it has no JSON form' });
    return json;
}

function firstLine(text: string): string {
    const newline = text.indexOf('\n');
    return newline === -1 ? text : text.slice(0, newline);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** "a number", "an array", "JSON text of a number"… for messages. */
export function describe(value: unknown): string {
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'an array';
    if (Buffer.isBuffer(value)) return 'a Buffer';
    if (value instanceof Date) return 'a Date';
    const type = typeof value;
    return type === 'object' ? 'an object' : `a ${type}`;
}

function checkShape(value: unknown, target: PublishTarget): void {
    switch (target.kind) {
        case 'telemetry':
            if (Array.isArray(value)) {
                if (value.length === 0) throw fail('PAYLOAD_EMPTY_ARRAY');
                value.forEach((entry, index) => {
                    if (!isPlainObject(entry)) throw fail('PAYLOAD_ARRAY_ELEMENT', { index, actual: describe(entry) });
                });
                return;
            }
            if (!isPlainObject(value)) throw wrongType('Telemetry', 'an object or an array of objects', value);
            return;
        case 'attributes':
            if (!isPlainObject(value)) throw wrongType('Attributes', 'one object such as {"firmware": "1.2"}', value);
            return;
        case 'gateway-telemetry':
            checkGatewayMap(value, 'GATEWAY_TELEMETRY_SHAPE', (entry) => Array.isArray(entry) && entry.length > 0 && entry.every(isPlainObject), 'a non-empty array of objects');
            return;
        case 'gateway-attributes':
            checkGatewayMap(value, 'GATEWAY_ATTRIBUTES_SHAPE', isPlainObject, 'an object');
            return;
        case 'gateway-device':
            if (!isPlainObject(value)) throw wrongType(`Topic ${target.topic}`, 'an object such as {"device": "Device A"}', value);
            if (typeof value.device !== 'string' || value.device.trim() === '') {
                throw fail('GATEWAY_DEVICE_MISSING', { topic: target.topic });
            }
            return;
        case 'object':
        case 'text':
            if (!isPlainObject(value) && !(target.kind === 'text' && Array.isArray(value))) {
                throw wrongType(`Topic ${target.topic}`, 'a JSON object', value);
            }
            return;
    }
}

function wrongType(what: string, expected: string, value: unknown) {
    return fail('PAYLOAD_WRONG_TYPE', { what, expected, actual: describe(value) });
}

function checkGatewayMap(
    value: unknown,
    code: 'GATEWAY_TELEMETRY_SHAPE' | 'GATEWAY_ATTRIBUTES_SHAPE',
    entryOk: (entry: unknown) => boolean,
    expected: string,
): void {
    if (!isPlainObject(value)) throw fail(code, { problem: `msg.payload is ${describe(value)}` });
    const devices = Object.keys(value);
    if (devices.length === 0) throw fail(code, { problem: 'msg.payload names no device' });
    for (const device of devices) {
        const entry = value[device];
        if (!entryOk(entry)) {
            throw fail(code, { problem: `the value for "${device}" is ${describe(entry)}, not ${expected}` });
        }
    }
}

function readTimestamp(raw: unknown): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    let ms: number;
    if (raw instanceof Date) ms = raw.getTime();
    else if (typeof raw === 'number') ms = raw;
    else if (typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim())) ms = Number(raw.trim());
    else throw fail('TIMESTAMP_INVALID', { actual: describe(raw) });
    if (!Number.isFinite(ms) || ms < 0 || !Number.isInteger(ms)) {
        throw fail('TIMESTAMP_INVALID', { actual: Number.isNaN(ms) ? 'an invalid date' : String(ms) });
    }
    return ms;
}

function withTimestamp(value: unknown, ts: number, target: PublishTarget): unknown {
    if (target.kind !== 'telemetry') throw fail('TIMESTAMP_NOT_SUPPORTED', { topic: target.topic });
    if (Array.isArray(value)) throw fail('TIMESTAMP_WITH_ARRAY');
    const object = value as Record<string, unknown>;
    if ('ts' in object && 'values' in object) throw fail('TIMESTAMP_TWICE');
    return { ts, values: object };
}
