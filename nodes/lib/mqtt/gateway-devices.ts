/**
 * The devices a gateway connection has announced since it started. ThingsBoard delivers a
 * device's RPC and attribute updates only to the session that connected it (issue #8719), and
 * a new session knows none: every new session announces them again.
 *
 * A device counts as announced by `v1/gateway/connect`, and also by gateway telemetry or
 * attributes for it, which connect it on the server implicitly (AbstractGatewaySessionHandler
 * `process(deviceName, …)` → `onDeviceConnect`); `v1/gateway/disconnect` removes it.
 */
import type { DeliveryCallback } from './delivery-queue';
import type { Session } from './session';

const CONNECT = 'v1/gateway/connect';
const DISCONNECT = 'v1/gateway/disconnect';
const IMPLICIT = new Set(['v1/gateway/telemetry', 'v1/gateway/attributes']);

function parse(body: string | Buffer): unknown {
    try {
        return JSON.parse(body.toString());
    } catch {
        return undefined;
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class GatewayDevices {
    /** device name → the `type` it was connected with (undefined: the server's default) */
    private readonly devices = new Map<string, string | undefined>();

    get names(): string[] {
        return [...this.devices.keys()];
    }

    /** The callback to queue `topic` with: a gateway message is noted once delivered; others keep theirs. */
    watch(topic: string, body: string | Buffer, callback: DeliveryCallback): DeliveryCallback {
        if (!topic.startsWith('v1/gateway/')) return callback;
        return (err) => {
            if (!err) this.onDelivered(topic, body);
            callback(err);
        };
    }

    /** A message was delivered (PUBACK): note what it announced or disconnected. */
    onDelivered(topic: string, body: string | Buffer): void {
        if (topic !== CONNECT && topic !== DISCONNECT && !IMPLICIT.has(topic)) return;
        const value = parse(body);
        if (!isObject(value)) return;
        if (IMPLICIT.has(topic)) {
            for (const name of Object.keys(value)) if (!this.devices.has(name)) this.devices.set(name, undefined);
            return;
        }
        if (typeof value.device !== 'string') return;
        if (topic === DISCONNECT) this.devices.delete(value.device);
        else this.devices.set(value.device, typeof value.type === 'string' ? value.type : undefined);
    }

    /** Announces every device on a new session, before anything queued is sent on it. */
    announce(session: Session): void {
        for (const [device, type] of this.devices) {
            session.publish(CONNECT, JSON.stringify(type === undefined ? { device } : { device, type }), 1, () => undefined);
        }
    }
}
