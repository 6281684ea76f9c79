/**
 * The bodies of the requests tb-x509-mqtt-request sends and what it makes of the answers
 * (reference §4.2–4.4): attribute keys are comma-separated texts for a device (JsonMqttAdaptor
 * toStringSet) and `key`/`keys` for a gateway device (the code reads the boolean `client` plus
 * `key` or `keys`; the documentation's arrays are stale).
 */
import { fail } from './messages';
import { parseJson, type RequestKind } from './rpc-topics';
import { describe } from './telemetry-payload';

export interface RequestInput {
    clientKeys?: unknown;
    sharedKeys?: unknown;
    method?: unknown;
    params?: unknown;
    device?: unknown;
    /** gateway-attributes: ask the client scope (else shared) */
    client?: boolean;
}

/** Keys from a comma-separated text or an array of texts; empty entries dropped. */
export function keyList(field: string, raw: unknown): string[] {
    if (raw === undefined || raw === null) return [];
    let items: unknown[];
    if (typeof raw === 'string') items = raw.split(',');
    else if (Array.isArray(raw)) items = raw;
    else throw fail('MQTT_REQUEST_KEYS_INVALID', { field, actual: describe(raw) });
    return items.map((item) => {
        if (typeof item !== 'string') throw fail('MQTT_REQUEST_KEYS_INVALID', { field, actual: `an array holding ${describe(item)}` });
        return item.trim();
    }).filter((key) => key !== '');
}

/** The request body (without the gateway form's id, which the tracker adds). */
export function requestBody(kind: RequestKind, input: RequestInput): Record<string, unknown> {
    if (kind === 'rpc') {
        if (typeof input.method !== 'string' || input.method.trim() === '') throw fail('MQTT_REQUEST_NO_METHOD');
        return { method: input.method, params: input.params ?? {} };
    }
    const clientKeys = keyList('clientKeys', input.clientKeys);
    const sharedKeys = keyList('sharedKeys', input.sharedKeys);
    if (kind === 'attributes') {
        const body: Record<string, unknown> = {};
        // an absent section asks nothing of that scope; both absent ask for every attribute
        if (clientKeys.length > 0) body.clientKeys = clientKeys.join(',');
        if (sharedKeys.length > 0) body.sharedKeys = sharedKeys.join(',');
        return body;
    }
    if (typeof input.device !== 'string' || input.device.trim() === '') {
        throw fail('MQTT_REQUEST_NO_DEVICE', { actual: input.device === undefined ? 'missing' : describe(input.device) });
    }
    const client = input.client === true;
    const keys = client ? clientKeys : sharedKeys;
    if (keys.length === 0) throw fail('MQTT_REQUEST_NO_KEYS');
    return keys.length === 1 ? { device: input.device, client, key: keys[0] } : { device: input.device, client, keys };
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * msg.payload for an answer: attributes as {client, shared} (ThingsBoard leaves an empty section out),
 * an RPC answer as the server sent it (JSON, else text), a gateway answer as {key: value}.
 */
export function answerPayload(kind: RequestKind, raw: Buffer, body: Record<string, unknown>): unknown {
    const text = raw.toString('utf8');
    const answer = parseJson(text);
    if (kind === 'rpc') return answer === undefined ? text : answer;
    if (!isObject(answer)) return text;
    if (kind === 'attributes') {
        return { client: isObject(answer.client) ? answer.client : {}, shared: isObject(answer.shared) ? answer.shared : {} };
    }
    if (isObject(answer.values)) return answer.values;
    if ('value' in answer && typeof body.key === 'string') return { [body.key]: answer.value };
    return {};
}
