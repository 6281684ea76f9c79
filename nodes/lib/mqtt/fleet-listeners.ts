/**
 * The nodes listening on every connection of a fleet pool. A device's connection is made when
 * its first message comes, often after the listening node started, so each listener is kept
 * here and attached to every connection as it is made.
 */
import type { SharedConnection } from './shared-connection';
import type { InboundHandler } from './subscriptions';

/** A node listening on every device connection: `handlerFor` makes the handler of one device's connection. */
interface FleetListener {
    userId: string;
    filter: string;
    handlerFor: (deviceName: string) => InboundHandler;
    /** false once the node deregistered (a connection not yet started still holds the handler) */
    active: boolean;
}

/** What a listener attaches to: one device's connection. */
export interface DeviceConnection {
    name: string;
    connection: SharedConnection;
}

export class FleetListeners {
    private listeners: FleetListener[] = [];

    /** Adds a listener and attaches it to the connections there already are. */
    add(userId: string, filter: string, handlerFor: (deviceName: string) => InboundHandler, devices: Iterable<DeviceConnection>): void {
        const listener: FleetListener = { userId, filter, handlerFor, active: true };
        this.listeners.push(listener);
        for (const device of devices) this.attach(device, listener);
    }

    /** Attaches every listener to a new connection. */
    attachAll(device: DeviceConnection): void {
        for (const listener of this.listeners) this.attach(device, listener);
    }

    /** The user's listeners go quiet at once, also on connections that keep their handlers until they close. */
    remove(userId: string): void {
        this.listeners = this.listeners.filter((listener) => {
            if (listener.userId === userId) listener.active = false;
            return listener.active;
        });
    }

    /** The connection's subscriptions go with it when it closes; a reopened device gets them again from attachAll. */
    private attach(device: DeviceConnection, listener: FleetListener): void {
        const handler = listener.handlerFor(device.name);
        device.connection.listen(listener.userId, listener.filter, (topic, payload, session) => {
            if (listener.active) handler(topic, payload, session);
        });
    }
}
