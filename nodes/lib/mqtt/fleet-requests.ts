/**
 * tb-x509-mqtt-request in fleet mode: each request goes on its msg.deviceName's connection, and its
 * answer comes back on that one. One RequestTracker per device, so request ids are unique on each
 * device's connection as in single mode; the pool routes each connection's answers to its device's
 * tracker, also for a connection that closed when idle and reopened.
 */
import type { FleetPool } from './fleet-pool';
import { RequestTracker, type RequestConnection, type RequestOptions } from './requests';
import type { InboundHandler } from './subscriptions';
import { RESPONSE_FILTERS } from '../thingsboard/rpc-topics';

/** The trackers' own user id on the pool (they live as long as the pool). */
const TRACKERS_USER = '\u0000fleet-requests';

interface DeviceRequests {
    tracker: RequestTracker;
    /** the tracker's handlers by filter (it listens once per filter) */
    handlers: Map<string, InboundHandler>;
}

export class FleetRequests {
    private readonly devices = new Map<string, DeviceRequests>();

    constructor(private readonly pool: FleetPool) {
        for (const filter of RESPONSE_FILTERS) {
            pool.listen(TRACKERS_USER, filter, (deviceName) => (topic, payload, session) => {
                this.devices.get(deviceName)?.handlers.get(filter)?.(topic, payload, session);
            });
        }
    }

    /** As RequestTracker.send, on `deviceName`'s connection; not text or empty, or unknown → that error. */
    send(userId: string, deviceName: unknown, options: RequestOptions, done: (err: Error | undefined, answer?: Buffer) => void): void {
        const nameError = this.pool.deviceNameError(deviceName);
        if (nameError) return done(nameError);
        const name = deviceName as string;
        const device = this.deviceFor(name);
        device.tracker.send(userId, options, (err, answer) => {
            this.dropIfUnused(name, device);
            done(err, answer);
        });
    }

    forget(userId: string): void {
        for (const [name, device] of this.devices) {
            device.tracker.forget(userId);
            this.dropIfUnused(name, device);
        }
    }

    /** Requests still waiting on every device, for tests and status. */
    get waiting(): number {
        let count = 0;
        for (const device of this.devices.values()) count += device.tracker.waiting;
        return count;
    }

    private deviceFor(name: string): DeviceRequests {
        let device = this.devices.get(name);
        if (device) return device;
        const handlers = new Map<string, InboundHandler>();
        const pool = this.pool;
        const connection: RequestConnection = {
            server: pool.server,
            listen: (_userId, filter, handler) => void handlers.set(filter, handler),
            publish: (userId, request, callback) => pool.publish(userId, name, request, callback),
        };
        device = { tracker: new RequestTracker(connection), handlers };
        this.devices.set(name, device);
        return device;
    }

    /**
     * A tracker with nothing waiting whose device has no connection (closed when idle, or the device
     * is unknown) goes, so unknown names do not pile up; a reopened connection is a new session, on
     * which ids may start over.
     */
    private dropIfUnused(name: string, device: DeviceRequests): void {
        if (device.tracker.waiting > 0 || this.pool.connectionOf(name)) return;
        if (this.devices.get(name) === device) this.devices.delete(name);
    }
}

const perPool = new WeakMap<FleetPool, FleetRequests>();

/** The pool's one set of trackers (shared by every tb-x509-mqtt-request of the config). */
export function fleetRequestsOf(pool: FleetPool): FleetRequests {
    let requests = perPool.get(pool);
    if (!requests) {
        requests = new FleetRequests(pool);
        perPool.set(pool, requests);
    }
    return requests;
}
