/** One device of a fleet pool: its identity, its connection and where that connection is in its life. */
import type { PublishRequest } from './connection-types';
import type { DeliveryCallback } from './delivery-queue';
import type { DeviceIdentity } from './fleet-identity';
import type { SharedConnection } from './shared-connection';

/**
 * `checking`: the identity is being read, messages are held in order;
 * `ready`: identity found, messages queue on the connection, which waits for a slot;
 * `open`: the connection is started (connected, connecting or waiting to retry).
 */
export type EntryPhase = 'checking' | 'ready' | 'open';

export interface HeldPublish {
    userId: string;
    request: PublishRequest;
    callback: DeliveryCallback;
}

export interface DeviceEntry {
    name: string;
    identity: DeviceIdentity;
    connection: SharedConnection;
    phase: EntryPhase;
    /** messages accepted for this device and not yet called back */
    pending: number;
    held: HeldPublish[];
    idleTimer?: NodeJS.Timeout;
}
