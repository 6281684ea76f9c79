import type { DeviceDownlink } from './device-actors';
import { adaptorError, attributeValues, storeAttributes, storeTelemetry } from './device-topics';
import { RC } from './mqtt-codes';
import { GatewayPayloadError, InvalidPayload, parseGatewayAttributes, parseGatewayDevice, parseGatewayTelemetry, parseJsonObject } from './payloads';
import { parseGatewayAttributeRequest, parseGatewayRpcReply, type GatewayAttributeRequest } from './gateway-payloads';
import type { PublishPacket, SessionContext } from './session-context';
import { gatewayFlag } from './gateway-flag';
import { compareReleases } from './release';

/** onDeviceRpcResponseJson reads "id" and "data" before connecting the device from this release on. */
const RPC_REPLY_CHECKED_AT_ONCE_SINCE = '3.7';

// The gateway API of a gateway session (reference §4.4, §9.2, §9.3; MTH handleGatewayPublishMsg,
// GatewaySessionHandler / AbstractGatewaySessionHandler). Only a session whose device was marked "Is gateway" when
// CONNECT was validated has one.

/**
 * A connected sub-device's pushes, on the gateway's session (AbstractGatewayDeviceSessionContext, JsonConverter
 * toGatewayJson / getJsonObjectForGateway). Sent at the QoS of the gateway's subscription, or 1 without one: the
 * gateway topics need no SUBSCRIBE, connecting the device subscribes it.
 */
class SubDeviceDownlink implements DeviceDownlink {
    constructor(
        private readonly ctx: SessionContext,
        readonly id: string,
        private readonly name: string,
    ) {}

    rpcRequest(requestId: number, method: string, params: string): void {
        this.ctx.publish('v1/gateway/rpc', { device: this.name, data: { id: requestId, method, params: JSON.parse(params) as unknown } });
    }

    attributeUpdate(update: Record<string, unknown>): void {
        this.ctx.publish('v1/gateway/attributes', { device: this.name, data: update });
    }
}

export class GatewaySession {
    /** sub-devices this session connected, by name (issue #8719: per session, gone when the session closes) */
    private readonly devices = new Map<string, SubDeviceDownlink>();

    constructor(private readonly ctx: SessionContext) {}

    /** The gateway session closed: every device it connected is deregistered (no more pushes for it). */
    close(): void {
        for (const link of this.devices.values()) this.ctx.deps.actors.sessionClosed(link.id, link);
        this.devices.clear();
    }

    onPublish(packet: PublishPacket, payload: Buffer): void {
        try {
            if (this.handle(packet, payload) === 'unknown') return this.ctx.puback(packet, RC.TOPIC_NAME_INVALID);
        } catch (err) {
            if (err instanceof GatewayPayloadError) {
                this.ctx.log(`failed to process ${packet.topic}: ${err.message}`);
                this.ctx.puback(packet, RC.IMPLEMENTATION_SPECIFIC);
                return this.ctx.disconnect(RC.IMPLEMENTATION_SPECIFIC);
            }
            if (!(err instanceof InvalidPayload)) throw err;
            this.ctx.log(`invalid payload on ${packet.topic}: ${err.message}`);
            return adaptorError(this.ctx, packet);
        }
    }

    /** 'done' when the packet was answered (or the session closed), 'unknown' for a topic tbsim does not handle. */
    private handle(packet: PublishPacket, payload: Buffer): 'done' | 'unknown' {
        const deps = this.ctx.deps;
        const perDevice = <T>(entries: Map<string, T>, dataPoints: (value: T) => number, store: (id: string, value: T) => void): 'done' => {
            for (const [name, value] of entries) {
                const id = this.subDevice(packet, name);
                if (id === undefined) return 'done';
                if (!this.admit(id, dataPoints(value))) return this.rateLimited(packet, name);
                store(id, value);
            }
            this.ctx.puback(packet);
            return 'done';
        };
        switch (packet.topic) {
            case 'v1/gateway/connect': {
                const { device, type } = parseGatewayDevice(payload);
                if (this.subDevice(packet, device, type) !== undefined) this.ctx.puback(packet);
                return 'done';
            }
            case 'v1/gateway/disconnect': {
                const name = parseGatewayDevice(payload).device;
                const link = this.devices.get(name);
                if (link !== undefined) {
                    this.admit(link.id, 0); // the sub-device session's close event; its failure is ignored (callback null)
                    deps.actors.sessionClosed(link.id, link);
                    this.devices.delete(name);
                }
                this.ctx.puback(packet);
                return 'done';
            }
            case 'v1/gateway/telemetry':
                return perDevice(
                    parseGatewayTelemetry(payload),
                    (entries) => entries.reduce((n, e) => n + Object.keys(e.values).length, 0),
                    (id, entries) => storeTelemetry(deps, id, entries),
                );
            case 'v1/gateway/attributes':
                return perDevice(
                    parseGatewayAttributes(payload),
                    (values) => Object.keys(values).length,
                    (id, values) => storeAttributes(deps, id, values),
                );
            case 'v1/gateway/rpc': {
                const reply = parseGatewayRpcReply(payload, compareReleases(deps.release.version, RPC_REPLY_CHECKED_AT_ONCE_SINCE) < 0);
                if ('fieldError' in reply) {
                    // 3.6: the NullPointerException dies in the callback — logged, no PUBACK, the session stays
                    if (this.subDevice(packet, reply.device) !== undefined) this.ctx.log(`failed to process device RPC response: ${reply.fieldError}`);
                    return 'done';
                }
                return perDevice(new Map([[reply.device, reply]]), () => 0, (id) => void deps.actors.rpcResponse(id, reply.id, reply.data));
            }
            case 'v1/gateway/attributes/request': {
                const request = parseGatewayAttributeRequest(payload);
                return perDevice(new Map([[request.device, request]]), () => 0, (id) => this.attributeResponse(id, request));
            }
            case 'v1/gateway/claim':
                return perDevice(new Map(Object.entries(parseJsonObject(payload))), () => 0, () => undefined);
            default:
                return 'unknown';
        }
    }

    /**
     * v1/gateway/attributes/response (JsonConverter.getJsonObjectForGateway): "value" when one attribute was asked for
     * and found, "values" when several were asked for; neither when nothing was found.
     */
    private attributeResponse(deviceId: string, request: GatewayAttributeRequest): void {
        const { client, shared } = attributeValues(
            this.ctx.deps,
            deviceId,
            request.client ? request.keys : [],
            request.client ? [] : request.keys,
        );
        const found = { ...client, ...shared };
        const response: Record<string, unknown> = { id: request.id, device: request.device };
        const entries = Object.entries(found);
        if (entries.length === 1 && request.keys.length <= 1) response.value = entries[0][1];
        else if (entries.length > 0) response.values = found;
        this.ctx.publish('v1/gateway/attributes/response', response);
    }

    /** checkLimits for a sub-device's message: its session info carries the gateway id. */
    private admit(deviceId: string, dataPoints: number): boolean {
        const sub = this.ctx.deps.store.getDevice(deviceId);
        return this.ctx.checkLimits(dataPoints, { deviceId, gatewayId: this.ctx.device.id, isGateway: gatewayFlag(sub?.additionalInfo) });
    }

    /** AbstractGatewaySessionHandler's PUBACK callback on TbRateLimitsException: the whole gateway session closes. */
    private rateLimited(packet: PublishPacket, deviceName: string): 'done' {
        const release = this.ctx.deps.release;
        if (release.has('gatewayRateLimitPubAck')) {
            this.ctx.puback(packet, RC.QUOTA_EXCEEDED); // 3.1.1: an ordinary PUBACK, and the data is gone
        } else if (release.has('gatewayRateLimits') && this.ctx.protocolVersion === 5) {
            // closeDeviceSession before ctx.close(): the gateway hears the device's disconnect, reason 0x96
            this.ctx.send({
                cmd: 'publish',
                topic: 'v1/gateway/disconnect',
                payload: Buffer.from(JSON.stringify({ device: deviceName, reason: RC.MESSAGE_RATE_TOO_HIGH })),
                qos: 1,
                messageId: Math.floor(Math.random() * 65534) + 1,
                retain: false,
                dup: false,
            });
        }
        this.ctx.end(); // ctx.close(): no DISCONNECT packet on this path
        return 'done';
    }

    /**
     * Sub-devices are found by name or created (type = profile name, default "default"). A device new to this
     * session costs two messages on the gateway's limits (get-or-create, then the sub-session's open event); when the
     * first is over the limit, or the device cannot be created, the message fails and undefined is returned.
     */
    private subDevice(packet: PublishPacket, name: string, type?: string): string | undefined {
        const known = this.devices.get(name);
        const store = this.ctx.deps.store;
        if (known && store.getDevice(known.id)) return known.id;
        const gatewayId = this.ctx.device.id;
        // processFailure: since 4.2.1 PUBACK 0x80 (3.1.1: a plain PUBACK), before it no answer; the session stays
        const failed = (): undefined => {
            if (this.ctx.deps.release.has('gatewayRateLimitPubAck')) this.ctx.puback(packet, RC.UNSPECIFIED);
            return undefined;
        };
        if (!this.ctx.checkLimits(0, { gatewayId, isGateway: false })) return failed();
        let device;
        try {
            device =
                store.findDeviceByName(name) ??
                store.saveDevice({ name, type: type || 'default', additionalInfo: { gateway: false, lastConnectedGateway: gatewayId } });
        } catch (err) {
            this.ctx.log(`failed to get or create device "${name}" for the gateway: ${(err as Error).message}`);
            return failed();
        }
        if (known) this.ctx.deps.actors.sessionClosed(known.id, known);
        const link = new SubDeviceDownlink(this.ctx, device.id, name);
        this.devices.set(name, link);
        this.admit(device.id, 0); // open event of the sub-device session; its failure is ignored (callback null)
        // registerAsyncSession, then SUBSCRIBE_TO_ATTRIBUTE_UPDATES_ASYNC_MSG and SUBSCRIBE_TO_RPC_ASYNC_MSG
        this.ctx.deps.actors.subscribeAttributes(device.id, link);
        this.ctx.deps.actors.subscribeRpc(device.id, link);
        return device.id;
    }
}
