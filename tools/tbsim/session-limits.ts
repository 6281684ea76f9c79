import type { LimitLevel } from './rate-limits';
import { TRANSPORT_LIMIT_FIELDS } from './rate-limits';
import type { SessionContext } from './session-context';

// The answer to the device RPC getSessionLimits (since 3.8; reference §4.3; MTH onGetSessionLimitsRpc,
// limits/SessionLimits, limits/GatewaySessionLimits), serialised by JacksonUtil.OBJECT_MAPPER: unset limits are
// written as null, not left out.

/** transport.mqtt.msg_queue_size_per_device_limit */
export const MAX_INFLIGHT_MESSAGES = 100;

export interface SessionRateLimits {
    messages: string | null;
    telemetryMessages: string | null;
    telemetryDataPoints: string | null;
}

export interface SessionLimitsAnswer {
    maxPayloadSize: number;
    maxInflightMessages: number;
    rateLimits: SessionRateLimits;
    /** gateway sessions only */
    gatewayRateLimits?: SessionRateLimits;
}

function triple(ctx: SessionContext, level: LimitLevel): SessionRateLimits {
    const [messages, telemetryMessages, telemetryDataPoints] = TRANSPORT_LIMIT_FIELDS[level].map((f) => ctx.limiter.value(f));
    return { messages, telemetryMessages, telemetryDataPoints };
}

/** A gateway session gets its own (gateway-device) limits as rateLimits and the limits for its devices as gatewayRateLimits. */
export function sessionLimits(ctx: SessionContext): SessionLimitsAnswer {
    const base = { maxPayloadSize: ctx.deps.maxPayloadSize, maxInflightMessages: MAX_INFLIGHT_MESSAGES };
    if (ctx.sessionIsGateway()) {
        return { ...base, rateLimits: triple(ctx, 'gatewayDevice'), gatewayRateLimits: triple(ctx, 'gateway') };
    }
    return { ...base, rateLimits: triple(ctx, 'device') };
}
