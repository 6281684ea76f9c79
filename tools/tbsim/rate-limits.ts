// ThingsBoard's transport rate limits (reference §9.3): tenant-profile strings "capacity:seconds,…", each pair one
// bucket4j bandwidth with greedy refill (TbRateLimits with refillIntervally=false): the bucket starts full and
// refills continuously at capacity/seconds, and a message passes only when every bandwidth of the string has the
// tokens (consumed all at once, or none). An empty or unset string means no limit (DefaultTransportRateLimitService
// newLimit → ALLOW).

/** The transport fields of ThingsBoard's DefaultTenantProfileConfiguration, by the entity they limit. */
export const TRANSPORT_LIMIT_FIELDS = {
    tenant: ['transportTenantMsgRateLimit', 'transportTenantTelemetryMsgRateLimit', 'transportTenantTelemetryDataPointsRateLimit'],
    device: ['transportDeviceMsgRateLimit', 'transportDeviceTelemetryMsgRateLimit', 'transportDeviceTelemetryDataPointsRateLimit'],
    gateway: ['transportGatewayMsgRateLimit', 'transportGatewayTelemetryMsgRateLimit', 'transportGatewayTelemetryDataPointsRateLimit'],
    gatewayDevice: [
        'transportGatewayDeviceMsgRateLimit',
        'transportGatewayDeviceTelemetryMsgRateLimit',
        'transportGatewayDeviceTelemetryDataPointsRateLimit',
    ],
} as const;

export type LimitLevel = keyof typeof TRANSPORT_LIMIT_FIELDS;
export type TransportRateLimitField = (typeof TRANSPORT_LIMIT_FIELDS)[LimitLevel][number];
/** Tenant-profile transport limits, e.g. { transportDeviceMsgRateLimit: '10:1,60:10' }; null or '' = unlimited. */
export type TransportRateLimits = Partial<Record<TransportRateLimitField, string | null>>;

const ALL_FIELDS = new Set<string>(Object.values(TRANSPORT_LIMIT_FIELDS).flat());

interface Bandwidth {
    capacity: number;
    periodMs: number;
    tokens: number;
    at: number;
}

/** One limit string: all bandwidths must hold. */
export class RateLimit {
    private readonly bandwidths: Bandwidth[];

    constructor(
        readonly configuration: string,
        private readonly now: () => number = Date.now,
    ) {
        this.bandwidths = parseRateLimit(configuration).map(({ capacity, seconds }) => ({
            capacity,
            periodMs: seconds * 1000,
            tokens: capacity,
            at: now(),
        }));
    }

    tryConsume(tokens = 1): boolean {
        const t = this.now();
        for (const b of this.bandwidths) {
            // greedy refill: tokens come back continuously, never above capacity
            const elapsed = Math.max(0, t - b.at);
            b.tokens = b.periodMs > 0 ? Math.min(b.capacity, b.tokens + (elapsed * b.capacity) / b.periodMs) : b.capacity;
            b.at = t;
        }
        if (!this.bandwidths.every((b) => b.tokens >= tokens)) return false;
        for (const b of this.bandwidths) b.tokens -= tokens;
        return true;
    }
}

/** "10:1,60:10" → [{capacity:10,seconds:1},{capacity:60,seconds:10}] (RateLimitUtil.parseConfig, RateLimitEntry.parse). */
export function parseRateLimit(configuration: string): Array<{ capacity: number; seconds: number }> {
    const entries = configuration.split(',').map((part) => {
        const m = /^(\d+):(\d+)$/.exec(part);
        if (!m) throw new Error(`rate limit "${configuration}": "${part}" is not capacity:seconds (e.g. "10:1,60:10")`);
        return { capacity: Number(m[1]), seconds: Number(m[2]) };
    });
    const durations = new Set(entries.map((e) => e.seconds));
    // RateLimitUtil.isValid: the tenant profile refuses two limits over the same duration
    if (durations.size !== entries.length) throw new Error(`rate limit "${configuration}" names one duration twice`);
    return entries;
}

/** Checks names and strings; throws a clear error for anything ThingsBoard's tenant profile would refuse. */
export function validateRateLimits(limits: unknown): TransportRateLimits {
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
        throw new Error('rateLimits must be an object of tenant-profile fields, e.g. { transportDeviceMsgRateLimit: "10:1,60:10" }');
    }
    const out: TransportRateLimits = {};
    for (const [field, value] of Object.entries(limits as Record<string, unknown>)) {
        if (!ALL_FIELDS.has(field)) throw new Error(`rateLimits: unknown tenant-profile field "${field}"`);
        if (value !== null && value !== undefined && typeof value !== 'string') {
            throw new Error(`rateLimits.${field} must be a string such as "10:1,60:10", null or ""`);
        }
        if (typeof value === 'string' && value !== '') parseRateLimit(value);
        out[field as TransportRateLimitField] = value ?? null;
    }
    return out;
}

/** The three limits of one entity: regular messages, telemetry messages, telemetry data points. */
class EntityLimits {
    private readonly slots: Array<RateLimit | undefined> = [undefined, undefined, undefined];

    constructor(
        private readonly level: LimitLevel,
        private readonly now: () => number,
    ) {}

    /** Buckets are kept while their string is unchanged and replaced when it changed (DTRLS merge). */
    private slot(index: 0 | 1 | 2, profile: TransportRateLimits): RateLimit | undefined {
        const config = profile[TRANSPORT_LIMIT_FIELDS[this.level][index]] ?? '';
        const current = this.slots[index];
        if ((current?.configuration ?? '') !== config) this.slots[index] = config === '' ? undefined : new RateLimit(config, this.now);
        return this.slots[index];
    }

    /** checkEntityRateLimit: telemetry consumes a telemetry message and its data points, anything else a message. */
    tryConsume(profile: TransportRateLimits, dataPoints: number): boolean {
        if (dataPoints > 0) {
            const messages = this.slot(1, profile);
            const points = this.slot(2, profile);
            return (messages?.tryConsume(1) ?? true) && (points?.tryConsume(dataPoints) ?? true);
        }
        return this.slot(0, profile)?.tryConsume(1) ?? true;
    }
}

/** Who sent a message, as DefaultTransportService.checkLimits sees the session info. */
export interface LimitSubject {
    /** the device the message is for (a gateway's sub-device for gateway API messages); undefined for "get or create" */
    deviceId?: string;
    /** the gateway whose session carries a sub-device's message */
    gatewayId?: string;
    /** the session info's isGateway (the message is the gateway's own) */
    isGateway: boolean;
}

export interface LimitHit {
    level: LimitLevel;
    /** DefaultTransportService's LimitedApi for the tenant notification */
    api: 'TRANSPORT_MESSAGES_PER_TENANT' | 'TRANSPORT_MESSAGES_PER_DEVICE' | 'TRANSPORT_MESSAGES_PER_GATEWAY' | 'TRANSPORT_MESSAGES_PER_GATEWAY_DEVICE';
    /** the notification's limit level: the tenant, else the device (a sub-device when it came through a gateway), else the gateway */
    entityId: string;
}

export class TransportRateLimiter {
    private profile: TransportRateLimits = {};
    private readonly tenant: EntityLimits;
    private readonly perLevel = { device: new Map<string, EntityLimits>(), gateway: new Map<string, EntityLimits>(), gatewayDevice: new Map<string, EntityLimits>() };

    constructor(
        limits: TransportRateLimits,
        private readonly features: { gatewayLimits: boolean; subDevicesSkipDeviceLimits: boolean },
        private readonly tenantId: string,
        private readonly now: () => number = Date.now,
    ) {
        this.tenant = new EntityLimits('tenant', now);
        this.set(limits);
    }

    /** A tenant-profile update: unchanged strings keep their buckets. Fields left out keep their value. */
    set(limits: TransportRateLimits): void {
        this.profile = { ...this.profile, ...validateRateLimits(limits) };
    }

    limits(): TransportRateLimits {
        return { ...this.profile };
    }

    /** Field value as getSessionLimits reports it: the string, or null when unset. */
    value(field: TransportRateLimitField): string | null {
        return this.profile[field] ?? null;
    }

    private entity(level: 'device' | 'gateway' | 'gatewayDevice', id: string): EntityLimits {
        const map = this.perLevel[level];
        let limits = map.get(id);
        if (!limits) map.set(id, (limits = new EntityLimits(level, this.now)));
        return limits;
    }

    /** DefaultTransportRateLimitService.checkLimits, in its order; undefined when the message passes. */
    check(subject: LimitSubject, dataPoints = 0): LimitHit | undefined {
        const p = this.profile;
        if (!this.tenant.tryConsume(p, dataPoints)) return { level: 'tenant', api: 'TRANSPORT_MESSAGES_PER_TENANT', entityId: this.tenantId };
        const { deviceId, gatewayId, isGateway } = subject;
        const device = (): LimitHit | undefined =>
            deviceId && !this.entity('device', deviceId).tryConsume(p, dataPoints)
                ? { level: 'device', api: 'TRANSPORT_MESSAGES_PER_DEVICE', entityId: deviceId }
                : undefined;
        if (!this.features.gatewayLimits) return device(); // before 3.7: tenant and device limits only
        const gatewayDevice = (): LimitHit | undefined =>
            deviceId && !this.entity('gatewayDevice', deviceId).tryConsume(p, dataPoints)
                ? { level: 'gatewayDevice', api: 'TRANSPORT_MESSAGES_PER_GATEWAY_DEVICE', entityId: deviceId }
                : undefined;
        const gateway = (): LimitHit | undefined =>
            gatewayId && !this.entity('gateway', gatewayId).tryConsume(p, dataPoints)
                ? { level: 'gateway', api: 'TRANSPORT_MESSAGES_PER_GATEWAY', entityId: deviceId ?? gatewayId }
                : undefined;
        if (this.features.subDevicesSkipDeviceLimits) {
            // 4.2+: a gateway's own messages → gateway-device limits; a plain device → device limits; sub-devices → gateway only
            const own = isGateway ? gatewayDevice() : gatewayId === undefined ? device() : undefined;
            return own ?? gateway();
        }
        // 3.7 – 4.1: gateway-device, then gateway, then device limits for anything that is not a gateway's own message
        return (isGateway ? gatewayDevice() : undefined) ?? gateway() ?? (!isGateway ? device() : undefined);
    }
}
