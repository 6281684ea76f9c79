import { storeAttributes, storeTelemetry } from './device-topics';
import { parseGatewayAttributes, parseGatewayDevice, parseGatewayTelemetry, parseJsonObject } from './payloads';
import type { SessionContext } from './session-context';

// The gateway API of a gateway session (reference §4.4, §9.2; GatewaySessionHandler / AbstractGatewaySessionHandler).

export class GatewaySession {
    /** sub-device name → id, for the devices this session connected (issue #8719: per session) */
    private readonly devices = new Map<string, string>();

    constructor(private readonly ctx: SessionContext) {}

    /** Returns false for a gateway topic tbsim does not handle. */
    handle(topic: string, payload: Buffer): boolean {
        const deps = this.ctx.deps;
        switch (topic) {
            case 'v1/gateway/connect': {
                const { device, type } = parseGatewayDevice(payload);
                this.subDevice(device, type);
                return true;
            }
            case 'v1/gateway/disconnect': {
                this.devices.delete(parseGatewayDevice(payload).device);
                return true;
            }
            case 'v1/gateway/telemetry':
                for (const [name, entries] of parseGatewayTelemetry(payload)) storeTelemetry(deps, this.subDevice(name), entries);
                return true;
            case 'v1/gateway/attributes':
                for (const [name, values] of parseGatewayAttributes(payload)) storeAttributes(deps, this.subDevice(name), values);
                return true;
            case 'v1/gateway/rpc':
            case 'v1/gateway/attributes/request':
            case 'v1/gateway/claim':
                parseJsonObject(payload);
                return true;
            default:
                return false;
        }
    }

    /** Sub-devices are found by name or created (type = profile name, default "default"). */
    private subDevice(name: string, type?: string): string {
        const known = this.devices.get(name);
        const store = this.ctx.deps.store;
        if (known && store.getDevice(known)) return known;
        const gateway = this.ctx.device;
        const device =
            store.findDeviceByName(name) ??
            store.saveDevice({ name, type: type || 'default', additionalInfo: { gateway: false, lastConnectedGateway: gateway.id } });
        this.devices.set(name, device.id);
        return device.id;
    }
}
