import { adaptorError, storeAttributes, storeTelemetry } from './device-topics';
import { RC } from './mqtt-codes';
import { GatewayPayloadError, InvalidPayload, parseGatewayAttributes, parseGatewayDevice, parseGatewayTelemetry, parseJsonObject } from './payloads';
import type { PublishPacket, SessionContext } from './session-context';
import { gatewayFlag } from './gateway-flag';

// The gateway API of a gateway session (reference §4.4, §9.2, §9.3; MTH handleGatewayPublishMsg,
// GatewaySessionHandler / AbstractGatewaySessionHandler). Only a session whose device was marked "Is gateway" when
// CONNECT was validated has one.

export class GatewaySession {
    /** sub-device name → id, for the devices this session connected (issue #8719: per session) */
    private readonly devices = new Map<string, string>();

    constructor(private readonly ctx: SessionContext) {}

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
                const id = this.devices.get(parseGatewayDevice(payload).device);
                if (id !== undefined) {
                    this.admit(id, 0); // the sub-device session's close event; its failure is ignored (callback null)
                    this.devices.delete(parseGatewayDevice(payload).device);
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
            case 'v1/gateway/rpc':
            case 'v1/gateway/attributes/request': {
                const request = parseJsonObject(payload);
                const name = typeof request.device === 'string' ? request.device : '';
                return perDevice(new Map([[name, request]]), () => 0, () => undefined);
            }
            case 'v1/gateway/claim':
                return perDevice(new Map(Object.entries(parseJsonObject(payload))), () => 0, () => undefined);
            default:
                return 'unknown';
        }
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
        if (known && store.getDevice(known)) return known;
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
        this.devices.set(name, device.id);
        this.admit(device.id, 0); // open event of the sub-device session; its failure is ignored (callback null)
        return device.id;
    }
}
