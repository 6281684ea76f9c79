import type { TelemetryEntry } from './store';

// JSON payload rules of ThingsBoard's JsonConverter (§4.1, §4.2, §4.4 of the reference).

/** The adaptor could not convert the payload (AdaptorException): v5 PUBACK 0x99, v3 close. */
export class InvalidPayload extends Error {}

/**
 * A gateway payload that parses as JSON but has the wrong shape: AbstractGatewaySessionHandler throws a
 * RuntimeException (JsonSyntaxException, IllegalArgumentException), which MTH answers with PUBACK 0x83 and a close.
 */
export class GatewayPayloadError extends Error {}

const PARSABLE_NUMBER = /^-?(\d+(\.\d+)?|\.\d+)$/;

function parseJson(payload: Buffer): unknown {
    const text = payload.toString('utf8');
    if (text.trim() === '') throw new InvalidPayload('empty payload');
    try {
        return JSON.parse(text);
    } catch {
        throw new InvalidPayload('payload is not JSON');
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** transport.json.type_cast_enabled: numeric-looking strings become numbers; nulls are skipped. */
export function convertValues(obj: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
        if (value === null || value === undefined) continue;
        if (typeof value === 'string' && PARSABLE_NUMBER.test(value)) {
            const n = Number(value);
            out[key] = Number.isInteger(n) && !Number.isSafeInteger(n) ? value : n;
        } else out[key] = value;
    }
    return out;
}

function telemetryObject(obj: Record<string, unknown>, now: number): TelemetryEntry {
    if ('ts' in obj && 'values' in obj) {
        const ts = Number(obj.ts);
        if (!Number.isFinite(ts) || !isObject(obj.values)) throw new InvalidPayload('ts/values form with a bad ts or values');
        return { ts: Math.trunc(ts), values: convertValues(obj.values) };
    }
    return { ts: now, values: convertValues(obj) };
}

function telemetryElements(value: unknown, now: number): TelemetryEntry[] {
    if (isObject(value)) return [telemetryObject(value, now)];
    if (Array.isArray(value)) {
        return value.map((element) => {
            if (!isObject(element)) throw new InvalidPayload('array element is not an object');
            return telemetryObject(element, now);
        });
    }
    throw new InvalidPayload('telemetry must be a JSON object or an array of objects');
}

export function parseTelemetry(payload: Buffer, now = Date.now()): TelemetryEntry[] {
    return telemetryElements(parseJson(payload), now);
}

export function parseAttributes(payload: Buffer): Record<string, unknown> {
    const value = parseJson(payload);
    if (!isObject(value)) throw new InvalidPayload('attributes must be a JSON object');
    return convertValues(value);
}

/** v1/gateway/telemetry: {"Dev A":[…]}; non-array entries are dropped, nothing valid is an error. */
export function parseGatewayTelemetry(payload: Buffer, now = Date.now()): Map<string, TelemetryEntry[]> {
    const value = parseJson(payload);
    if (!isObject(value)) throw new GatewayPayloadError('gateway telemetry must be a JSON object');
    const out = new Map<string, TelemetryEntry[]>();
    for (const [device, entries] of Object.entries(value)) {
        if (!Array.isArray(entries)) continue;
        out.set(device, telemetryElements(entries, now));
    }
    if (out.size === 0) throw new GatewayPayloadError('no valid device telemetry in gateway message');
    return out;
}

/** v1/gateway/attributes: {"Dev A":{"k":"v"}}. */
export function parseGatewayAttributes(payload: Buffer): Map<string, Record<string, unknown>> {
    const value = parseJson(payload);
    if (!isObject(value)) throw new GatewayPayloadError('gateway attributes must be a JSON object');
    const out = new Map<string, Record<string, unknown>>();
    for (const [device, attrs] of Object.entries(value)) {
        if (isObject(attrs)) out.set(device, convertValues(attrs));
    }
    if (out.size === 0) throw new GatewayPayloadError('no valid device attributes in gateway message');
    return out;
}

/** v1/gateway/connect|disconnect: {"device":"Dev A","type":"thermo"}. */
export function parseGatewayDevice(payload: Buffer): { device: string; type?: string } {
    const value = parseJson(payload);
    if (!isObject(value) || typeof value.device !== 'string' || value.device === '') {
        throw new GatewayPayloadError('gateway connect/disconnect needs a "device" name');
    }
    return { device: value.device, type: typeof value.type === 'string' ? value.type : undefined };
}

export function parseJsonObject(payload: Buffer): Record<string, unknown> {
    const value = parseJson(payload);
    if (!isObject(value)) throw new InvalidPayload('payload must be a JSON object');
    return value;
}
