import { runClientRpc } from './client-rpc';
import type { GatewaySession } from './gateway-session';
import { ATTRIBUTES_TOPICS, GATEWAY_TOPIC_PREFIX, RC, TELEMETRY_TOPICS } from './mqtt-codes';
import { InvalidPayload, parseAttributes, parseJsonObject, parseTelemetry } from './payloads';
import { sessionLimits } from './session-limits';
import type { MqttDeps, PublishPacket, SessionContext } from './session-context';
import type { TelemetryEntry } from './store';

// The device API of a session (reference §2.6, §4.1–4.3, §9.3; MTH processPublish / processDevicePublish).
// The payload is converted first (a bad one never counts against a limit), then DefaultTransportService.checkLimits
// runs; over a limit the PUBACK callback's onError closes the session: no PUBACK, v5 DISCONNECT 0x83.

export function storeTelemetry(deps: MqttDeps, deviceId: string, entries: TelemetryEntry[]): void {
    deps.store.addTelemetry(deviceId, entries);
    for (const entry of entries) deps.events.emit('telemetry', deviceId, entry);
}

export function storeAttributes(deps: MqttDeps, deviceId: string, values: Record<string, unknown>): void {
    deps.store.setAttributes(deviceId, 'CLIENT_SCOPE', values);
    deps.events.emit('attributes', deviceId, values);
}

/** MTH sendResponseForAdaptorErrorOrCloseContext: v5 with a packet id gets 0x99, everything else is closed. */
export function adaptorError(ctx: SessionContext, packet: PublishPacket): void {
    if (ctx.protocolVersion === 5 && packet.messageId) return ctx.puback(packet, RC.PAYLOAD_FORMAT_INVALID);
    return ctx.end();
}

const ATTRIBUTES_REQUEST = /^v1\/devices\/me\/attributes\/request\/\d+$/;
const RPC_REQUEST = /^v1\/devices\/me\/rpc\/request\/(\d+)$/;
const RPC_RESPONSE = /^v1\/devices\/me\/rpc\/response\/(\d+)$/;

export function handleDevicePublish(ctx: SessionContext, packet: PublishPacket, gateway: GatewaySession | undefined): void {
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (topic.startsWith(GATEWAY_TOPIC_PREFIX)) {
        // MTH processPublish: without a gateway handler (decided at CONNECT) the publish is only logged — no PUBACK,
        // not even 0x90, so a QoS 1 client waits for ever (reference §9.2).
        if (!gateway) return ctx.log(`[gatewaySessionHandler] is null: publish to ${topic} dropped without PUBACK`);
        return gateway.onPublish(packet, payload);
    }
    let accept: (() => void) | undefined;
    try {
        accept = convert(ctx, packet, payload);
    } catch (err) {
        if (!(err instanceof InvalidPayload)) throw err;
        ctx.log(`invalid payload on ${topic}: ${err.message}`);
        return adaptorError(ctx, packet);
    }
    accept?.();
}

/** The adaptor step: parses the payload and returns what processing it means, or undefined when already answered. */
function convert(ctx: SessionContext, packet: PublishPacket, payload: Buffer): (() => void) | undefined {
    const topic = packet.topic;
    const deviceId = ctx.device.id;
    const deps = ctx.deps;
    if (TELEMETRY_TOPICS.has(topic)) {
        const entries = parseTelemetry(payload);
        const points = entries.reduce((n, e) => n + Object.keys(e.values).length, 0);
        return process(ctx, packet, points, () => storeTelemetry(deps, deviceId, entries));
    }
    if (ATTRIBUTES_TOPICS.has(topic)) {
        const values = parseAttributes(payload);
        return process(ctx, packet, Object.keys(values).length, () => storeAttributes(deps, deviceId, values));
    }
    if (ATTRIBUTES_REQUEST.test(topic)) {
        const request = parseJsonObject(payload);
        const id = topic.slice(topic.lastIndexOf('/') + 1);
        return process(ctx, packet, 0, () => ctx.publish(`v1/devices/me/attributes/response/${id}`, attributeResponse(deps, deviceId, request)));
    }
    const rpc = RPC_REQUEST.exec(topic);
    if (rpc) {
        const request = parseJsonObject(payload);
        const response = `v1/devices/me/rpc/response/${rpc[1]}`;
        if (request.method === 'getSessionLimits' && deps.release.has('sessionLimitsRpc')) {
            // MTH onGetSessionLimitsRpc: answered by the transport itself, PUBACK first, no rate-limit check
            return () => {
                ctx.puback(packet);
                ctx.publish(response, sessionLimits(ctx));
            };
        }
        const handler = deps.clientRpc.get(request.method);
        if (handler) {
            // the tenant's rule chain answers (tbsim option clientRpcHandlers / sim.onClientRpc)
            const device = { id: deviceId, name: ctx.device.name };
            return process(ctx, packet, 0, () => runClientRpc(handler, request.params, device, (answer) => ctx.publish(response, answer)));
        }
        // To the rule engine, which answers nothing by default: DefaultTransportService times the request out.
        return process(ctx, packet, 0, () => ctx.later(() => ctx.publish(response, { error: 'timeout' }), deps.clientSideRpcTimeoutMs));
    }
    const reply = RPC_RESPONSE.exec(topic);
    if (reply) {
        // JsonMqttAdaptor: the payload is taken as text, whatever it is; the REST caller gets it parsed (or 406)
        const text = payload.toString('utf8');
        return process(ctx, packet, 0, () => void deps.actors.rpcResponse(deviceId, Number(reply[1]), text));
    }
    if (topic === 'v1/devices/me/claim') {
        return process(ctx, packet, 0, () => undefined); // accepted, nothing to store
    }
    // Unknown topic: v5 learns it from the reason code; v3 sees an ordinary PUBACK and the data is gone.
    ctx.log(`publish to unknown topic ${topic} dropped`);
    ctx.puback(packet, RC.TOPIC_NAME_INVALID);
    return undefined;
}

/** transportService.process(…, getPubAckCallback): checkLimits, then the work and PUBACK, or the close. */
function process(ctx: SessionContext, packet: PublishPacket, dataPoints: number, work: () => void): () => void {
    return () => {
        if (!ctx.checkLimits(dataPoints)) return ctx.disconnect(RC.IMPLEMENTATION_SPECIFIC);
        work();
        ctx.puback(packet);
    };
}

/**
 * DeviceActorMessageProcessor.getAttributesKvEntries: no keys at all = every client and shared attribute; keys of one
 * scope only = nothing of the other. Keys are split on "," as they are (JsonMqttAdaptor.toStringSet, no trimming).
 */
export function attributeValues(
    deps: MqttDeps,
    deviceId: string,
    clientKeys: string[] | undefined,
    sharedKeys: string[] | undefined,
): { client: Record<string, unknown>; shared: Record<string, unknown> } {
    const pick = (scope: 'CLIENT_SCOPE' | 'SHARED_SCOPE', keys: string[] | undefined): Record<string, unknown> => {
        const all = deps.store.attributes(deviceId, scope);
        const wanted = clientKeys === undefined && sharedKeys === undefined ? Object.keys(all) : (keys ?? []);
        const out: Record<string, unknown> = {};
        for (const key of wanted) if (Object.prototype.hasOwnProperty.call(all, key)) out[key] = all[key].value;
        return out;
    };
    return { client: pick('CLIENT_SCOPE', clientKeys), shared: pick('SHARED_SCOPE', sharedKeys) };
}

function attributeResponse(deps: MqttDeps, deviceId: string, request: Record<string, unknown>): Record<string, unknown> {
    // Gson getAsString: a primitive's text (anything else fails the request)
    const keys = (value: unknown): string[] | undefined => {
        if (value === undefined || value === null) return undefined;
        if (typeof value === 'object') throw new InvalidPayload('attribute request keys must be a comma-separated string');
        return (typeof value === 'string' ? value : JSON.stringify(value)).split(',');
    };
    const { client, shared } = attributeValues(deps, deviceId, keys(request.clientKeys), keys(request.sharedKeys));
    // JsonConverter.toJson(GetAttributeResponseMsg): a section only when it has values
    const response: Record<string, unknown> = {};
    if (Object.keys(client).length > 0) response.client = client;
    if (Object.keys(shared).length > 0) response.shared = shared;
    return response;
}
