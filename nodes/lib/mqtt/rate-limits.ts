/**
 * ThingsBoard's transport rate limits as getSessionLimits reports them (3.8+), and what one
 * message costs against them. A limit is "capacity:seconds" windows joined by commas, e.g.
 * "100:1,3000:60"; each window is a bucket that refills greedily. The server counts a
 * message with data points (telemetry, attributes) as one telemetry message plus its data
 * points, any other as one message; messages on v1/gateway/* count per device against the
 * gateway's limits, the gateway's own messages against its device limits.
 */

export interface RateWindow {
    capacity: number;
    seconds: number;
}

export interface RateLimitSet {
    messages: RateWindow[];
    telemetryMessages: RateWindow[];
    telemetryDataPoints: RateWindow[];
}

export interface SessionLimits {
    /** limits of the session's own messages (v1/devices/me/*) */
    device: RateLimitSet;
    /** gateway sessions: limits of what goes through v1/gateway/* */
    gateway?: RateLimitSet;
}

/** What one message costs: per scope, regular messages, telemetry messages and data points. */
export interface MessageCost {
    scope: 'device' | 'gateway';
    messages: number;
    telemetryMessages: number;
    dataPoints: number;
}

/** "100:1,3000:60" → windows; empty, null or malformed parts give none. */
export function parseRateLimit(text: unknown): RateWindow[] {
    if (typeof text !== 'string') return [];
    const windows: RateWindow[] = [];
    for (const part of text.split(',')) {
        const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
        if (!match) continue;
        const capacity = Number(match[1]);
        const seconds = Number(match[2]);
        if (capacity > 0 && seconds > 0) windows.push({ capacity, seconds });
    }
    return windows;
}

function limitSet(value: unknown): RateLimitSet | undefined {
    if (!value || typeof value !== 'object') return undefined;
    const v = value as Record<string, unknown>;
    return {
        messages: parseRateLimit(v.messages),
        telemetryMessages: parseRateLimit(v.telemetryMessages),
        telemetryDataPoints: parseRateLimit(v.telemetryDataPoints),
    };
}

function isEmpty(set: RateLimitSet | undefined): boolean {
    return !set || (set.messages.length === 0 && set.telemetryMessages.length === 0 && set.telemetryDataPoints.length === 0);
}

/** The getSessionLimits answer; undefined when it is not one. Limits without any window are left out. */
export function parseSessionLimits(payload: unknown): SessionLimits | undefined {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
    const p = payload as Record<string, unknown>;
    if (!('rateLimits' in p) && !('maxPayloadSize' in p)) return undefined;
    const device = limitSet(p.rateLimits) ?? { messages: [], telemetryMessages: [], telemetryDataPoints: [] };
    const gateway = limitSet(p.gatewayRateLimits);
    return isEmpty(gateway) ? { device } : { device, gateway };
}

export function hasLimits(limits: SessionLimits | undefined): boolean {
    return !!limits && !(isEmpty(limits.device) && isEmpty(limits.gateway));
}

const TELEMETRY_TOPICS = new Set(['v1/devices/me/telemetry', 'v1/devices/me/attributes']);

function keyCount(value: unknown): number {
    return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).length : 0;
}

/** Data points of one telemetry entry: {k: v} or {ts, values: {k: v}}. */
function entryPoints(entry: unknown): number {
    if (!entry || typeof entry !== 'object') return 0;
    const e = entry as Record<string, unknown>;
    return 'ts' in e && 'values' in e ? keyCount(e.values) : keyCount(e);
}

function telemetryPoints(payload: unknown): number {
    if (Array.isArray(payload)) return payload.reduce((sum: number, entry) => sum + entryPoints(entry), 0);
    return entryPoints(payload);
}

function parse(body: string | Buffer): unknown {
    try {
        return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    } catch {
        return undefined;
    }
}

/** What the server will count for this message. */
export function messageCost(topic: string, body: string | Buffer): MessageCost {
    if (TELEMETRY_TOPICS.has(topic)) {
        const points = telemetryPoints(parse(body));
        return points > 0
            ? { scope: 'device', messages: 0, telemetryMessages: 1, dataPoints: points }
            : { scope: 'device', messages: 1, telemetryMessages: 0, dataPoints: 0 };
    }
    if (topic === 'v1/gateway/telemetry' || topic === 'v1/gateway/attributes') {
        const payload = parse(body);
        const cost: MessageCost = { scope: 'gateway', messages: 0, telemetryMessages: 0, dataPoints: 0 };
        const devices = payload && typeof payload === 'object' ? Object.values(payload) : [];
        for (const value of devices) {
            const points = topic === 'v1/gateway/telemetry' ? telemetryPoints(value) : keyCount(value);
            if (points > 0) {
                cost.telemetryMessages++;
                cost.dataPoints += points;
            } else {
                cost.messages++;
            }
        }
        if (devices.length === 0) cost.messages = 1;
        return cost;
    }
    return { scope: topic.startsWith('v1/gateway/') ? 'gateway' : 'device', messages: 1, telemetryMessages: 0, dataPoints: 0 };
}
