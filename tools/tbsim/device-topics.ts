import { ATTRIBUTES_TOPICS, GATEWAY_TOPIC_PREFIX, RC, TELEMETRY_TOPICS } from './mqtt-codes';
import { InvalidPayload, parseAttributes, parseJsonObject, parseTelemetry } from './payloads';
import type { MqttDeps, PublishPacket, SessionContext } from './session-context';
import type { TelemetryEntry } from './store';

// The device API of a session (reference §2.6, §4.1–4.3; MTH processDevicePublish).

export function storeTelemetry(deps: MqttDeps, deviceId: string, entries: TelemetryEntry[]): void {
    deps.store.addTelemetry(deviceId, entries);
    for (const entry of entries) deps.events.emit('telemetry', deviceId, entry);
}

export function storeAttributes(deps: MqttDeps, deviceId: string, values: Record<string, unknown>): void {
    deps.store.setAttributes(deviceId, 'CLIENT_SCOPE', values);
    deps.events.emit('attributes', deviceId, values);
}

/** Handles a gateway topic; false when the topic is not one tbsim knows. */
export type GatewayHandler = (topic: string, payload: Buffer) => boolean;

export function handleDevicePublish(ctx: SessionContext, packet: PublishPacket, gateway: GatewayHandler | undefined): void {
    const device = ctx.device;
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const store = ctx.deps.store;
    try {
        if (TELEMETRY_TOPICS.has(topic)) {
            storeTelemetry(ctx.deps, device.id, parseTelemetry(payload));
        } else if (ATTRIBUTES_TOPICS.has(topic)) {
            storeAttributes(ctx.deps, device.id, parseAttributes(payload));
        } else if (/^v1\/devices\/me\/attributes\/request\/\d+$/.test(topic)) {
            const request = parseJsonObject(payload);
            const id = topic.slice(topic.lastIndexOf('/') + 1);
            ctx.publish(`v1/devices/me/attributes/response/${id}`, attributeResponse(ctx.deps, device.id, request));
        } else if (/^v1\/devices\/me\/rpc\/request\/\d+$/.test(topic)) {
            const request = parseJsonObject(payload);
            const id = topic.slice(topic.lastIndexOf('/') + 1);
            if (request.method === 'getSessionLimits') {
                ctx.publish(`v1/devices/me/rpc/response/${id}`, {
                    maxPayloadSize: ctx.deps.maxPayloadSize,
                    maxInflightMessages: 100,
                    rateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '' },
                });
            }
        } else if (/^v1\/devices\/me\/rpc\/response\/\d+$/.test(topic) || topic === 'v1/devices/me/claim') {
            // accepted, nothing to store
        } else if (topic.startsWith(GATEWAY_TOPIC_PREFIX) && gateway && store.isGateway(store.getDevice(device.id) ?? device)) {
            if (!gateway(topic, payload)) return ctx.puback(packet, RC.TOPIC_NAME_INVALID);
        } else {
            // Unknown topic: v5 learns it from the reason code; v3 sees an ordinary PUBACK and the data is gone.
            ctx.log(`publish to unknown topic ${topic} dropped`);
            return ctx.puback(packet, RC.TOPIC_NAME_INVALID);
        }
    } catch (err) {
        if (!(err instanceof InvalidPayload)) throw err;
        ctx.log(`invalid payload on ${topic}: ${err.message}`);
        // MTH sendResponseForAdaptorErrorOrCloseContext: v5 with a packet id gets 0x99, everything else is closed.
        if (ctx.protocolVersion === 5 && packet.messageId) return ctx.puback(packet, RC.PAYLOAD_FORMAT_INVALID);
        return ctx.end();
    }
    ctx.puback(packet);
}

function attributeResponse(deps: MqttDeps, deviceId: string, request: Record<string, unknown>): Record<string, unknown> {
    const pick = (scope: 'CLIENT_SCOPE' | 'SHARED_SCOPE', keys: unknown): Record<string, unknown> | undefined => {
        const all = deps.store.attributes(deviceId, scope);
        const wanted = typeof keys === 'string' && keys !== '' ? keys.split(',').map((k) => k.trim()) : Object.keys(all);
        const out: Record<string, unknown> = {};
        for (const key of wanted) if (all[key]) out[key] = all[key].value;
        return Object.keys(out).length > 0 ? out : undefined;
    };
    const response: Record<string, unknown> = {};
    const client = pick('CLIENT_SCOPE', request.clientKeys);
    const shared = pick('SHARED_SCOPE', request.sharedKeys);
    if (client) response.client = client;
    if (shared) response.shared = shared;
    return response;
}
