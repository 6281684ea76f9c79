import { GatewayPayloadError, parseJsonObject } from './payloads';

// The gateway's answers to pushes (AbstractGatewaySessionHandler onDeviceRpcResponseJson,
// onDeviceAttributesRequestJson). Not JSON: the adaptor error path; JSON of the wrong shape (missing or mistyped
// fields: NPE, JsonSyntaxException, NumberFormatException) is a RuntimeException, so PUBACK 0x83 and a close.

export interface GatewayRpcReply {
    device: string;
    id: number;
    /** the "data" member as JSON text (JsonElement.toString) */
    data: string;
}

export interface GatewayAttributeRequest {
    id: number;
    device: string;
    client: boolean;
    keys: string[];
}

function object(payload: Buffer, what: string): Record<string, unknown> {
    try {
        return parseJsonObject(payload);
    } catch (err) {
        if ((err as Error).message === 'payload must be a JSON object') throw new GatewayPayloadError(`${what} must be a JSON object`);
        throw err;
    }
}

/** Gson getAsInt: a number is truncated (intValue), a string must be an Integer.parseInt integer. */
function int(value: unknown, field: string): number {
    if (typeof value === 'number') return Math.trunc(value);
    if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return Number(value);
    throw new GatewayPayloadError(`"${field}" must be an integer`);
}

/** Gson getAsString: a primitive's text. */
function text(value: unknown, field: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new GatewayPayloadError(`"${field}" must be a string`);
}

/**
 * v1/gateway/rpc publish: {"device":"Dev A","id":5,"data":{…}}. With `lateFields` (before 3.7) "id" and "data" are
 * read only once the device is connected, inside a future's callback: a bad one is then `fieldError`, not thrown.
 */
export function parseGatewayRpcReply(payload: Buffer, lateFields = false): GatewayRpcReply | { device: string; fieldError: string } {
    const value = object(payload, 'gateway RPC reply');
    const device = text(value.device, 'device');
    try {
        const id = int(value.id, 'id');
        if (!('data' in value)) throw new GatewayPayloadError('gateway RPC reply needs "data"');
        return { device, id, data: JSON.stringify(value.data) };
    } catch (err) {
        if (lateFields && err instanceof GatewayPayloadError) return { device, fieldError: err.message };
        throw err;
    }
}

/** v1/gateway/attributes/request: {"id":1,"device":"Dev A","client":true,"key":"k"} or "keys":["k1","k2"]. */
export function parseGatewayAttributeRequest(payload: Buffer): GatewayAttributeRequest {
    const value = object(payload, 'gateway attribute request');
    const id = int(value.id, 'id');
    const device = text(value.device, 'device');
    // Gson getAsBoolean: any primitive, true only for true or the text "true" (any case); missing or an object fails
    const c = value.client;
    if (typeof c !== 'boolean' && typeof c !== 'string' && typeof c !== 'number') throw new GatewayPayloadError('"client" must be a boolean');
    const client = c === true || (typeof c === 'string' && c.toLowerCase() === 'true');
    let keys: string[];
    if ('key' in value) keys = [text(value.key, 'key')];
    else if (Array.isArray(value.keys)) keys = [...new Set(value.keys.map((k) => text(k, 'keys')))];
    else throw new GatewayPayloadError('gateway attribute request needs "key" or "keys"');
    return { id, device, client, keys };
}
