/**
 * A fleet config's device connections: one SharedConnection per msg.deviceName, with that
 * device's identity from the fleet key store. A connection opens with the device's first
 * message; when it closes and how many may be open is FleetSlots' (idleTimeout,
 * maxConnections, never closing one with messages pending), and the nodes listening on every
 * connection are FleetListeners'. Every rule of a single connection (order, failure classes,
 * pacing) holds per device, because each device is one.
 */
import type { ConfigSettings } from '../config-settings';
import type { CodedError } from '../errors';
import { fleetDeviceDir, type FleetKeyStore } from '../pki/fleet-keystore';
import type { LoadedIdentity } from '../pki/loaded-identity';
import { IDLE_CLOSE_MS, type ConnectionState, type PublishRequest, type SharedConnectionOptions } from './connection-types';
import type { DeliveryCallback } from './delivery-queue';
import type { DeviceEntry } from './fleet-entry';
import { DeviceIdentity } from './fleet-identity';
import { FleetListeners } from './fleet-listeners';
import { FleetSlots } from './fleet-slots';
import { fail } from './messages';
import { SharedConnection } from './shared-connection';
import type { InboundHandler } from './subscriptions';
import { UserNotifier, type ConnectionLogger, type ConnectionUser } from './user-notifier';

/** What the nodes of a fleet config see: the state of every device connection. */
export interface FleetState {
    devices: ConnectionState[];
}

export type FleetUser = ConnectionUser<FleetState>;

/** The pool is each device connection's one user; the nodes are the pool's users. */
const POOL_USER = 'fleet-pool';

export type FleetPoolOptions = Omit<SharedConnectionOptions, 'configId'>;

function describeValue(value: unknown): string {
    if (value === undefined) return 'missing';
    if (value === null) return 'null';
    if (typeof value === 'string') return 'empty text';
    return `a ${Array.isArray(value) ? 'array' : typeof value}`;
}

export class FleetPool {
    /** by device name, least recently used first (a Map keeps insertion order; use re-inserts) */
    private readonly entries = new Map<string, DeviceEntry>();
    private readonly slots: FleetSlots;
    private readonly listeners = new FleetListeners();
    private closed = false;
    private readonly users = new UserNotifier<FleetState>(() => this.snapshot());
    private readonly loggers = new Map<string, ConnectionLogger | undefined>();
    private readonly poolUser: ConnectionUser<ConnectionState> = {
        onState: () => this.users.scheduleState(),
        onWarning: (warning: CodedError) => this.users.warn(warning),
        log: { error: (text: string) => this.logError(text) },
    };
    /**
     * Identities installed for devices without a connection yet (onboarding: x509-generate
     * installs, the device's first message follows), so the connection need not read back and
     * parse what was just written; at most maxConnections are kept, the oldest dropped first.
     */
    private readonly installed = new Map<string, LoadedIdentity>();
    private readonly onIdentityChanged = (deviceName: string, identity: LoadedIdentity): void => {
        const entry = this.entries.get(deviceName);
        if (!entry) {
            this.installed.delete(deviceName);
            this.installed.set(deviceName, identity);
            if (this.installed.size > this.settings.maxConnections) this.installed.delete(this.installed.keys().next().value as string);
            return;
        }
        entry.identity.replace(identity);
        // a renewed certificate: the open connection reconnects with it, its queue kept
        if (entry.phase === 'open') entry.connection.retryNow();
    };

    constructor(
        private readonly settings: ConfigSettings,
        private readonly configId: string,
        private readonly store: FleetKeyStore,
        /** the server's CA chain (the config's) */
        private readonly serverCa: () => Promise<string | undefined>,
        private readonly options: FleetPoolOptions = {},
    ) {
        this.slots = new FleetSlots(settings, this.entries, {
            start: (entry) => entry.connection.register(POOL_USER, this.poolUser),
            changed: () => this.users.scheduleState(),
        });
        store.on('changed', this.onIdentityChanged);
    }

    get server(): string {
        return `${this.settings.host}:${this.settings.port}`;
    }

    /** Device connections started and not yet fully closed (at most maxConnections). */
    get openConnections(): number {
        return this.slots.openConnections;
    }

    /** The devices that have a connection (open, or waiting for a slot), least recently used first. */
    devices(): string[] {
        return [...this.entries.keys()];
    }

    /** The connection of `deviceName`, when it has one (for tests and diagnostics). */
    connectionOf(deviceName: string): SharedConnection | undefined {
        return this.entries.get(deviceName)?.connection;
    }

    snapshot(): FleetState {
        const devices: ConnectionState[] = [];
        for (const entry of this.entries.values()) {
            const state = entry.connection.state();
            devices.push(entry.held.length > 0 ? { ...state, queued: state.queued + entry.held.length } : state);
        }
        return { devices };
    }

    register(userId: string, user: FleetUser): void {
        if (this.closed) return;
        this.users.add(userId, user);
        this.loggers.set(userId, user.log);
        this.users.tell(userId);
    }

    /** What is wrong with `deviceName` as a msg.deviceName, if anything (not text, or empty). */
    deviceNameError(deviceName: unknown): CodedError | undefined {
        if (typeof deviceName === 'string' && deviceName.trim() !== '') return undefined;
        return fail('FLEET_DEVICE_NAME_MISSING', { config: this.settings.label, actual: describeValue(deviceName) });
    }

    /**
     * Inbound publishes on `filter` of every device connection, open now or opened later, go to
     * the handler `handlerFor(deviceName)` made for that connection, until the user deregisters.
     * Listening opens no connection: devices connect through their messages.
     */
    listen(userId: string, filter: string, handlerFor: (deviceName: string) => InboundHandler): void {
        if (this.closed) return;
        this.listeners.add(userId, filter, handlerFor, this.entries.values());
    }

    /**
     * Queues a message for `deviceName`'s connection (opening it when needed); `callback` runs
     * once, as SharedConnection.publish's does.
     */
    publish(userId: string, deviceName: unknown, request: PublishRequest, callback: DeliveryCallback): void {
        if (this.closed) return callback(fail('MQTT_CLOSED', { server: this.server }));
        const nameError = this.deviceNameError(deviceName);
        if (nameError) return callback(nameError);
        const entry = this.entryFor(deviceName as string);
        entry.pending++;
        this.slots.inUse(entry);
        const settled: DeliveryCallback = (err) => {
            entry.pending--;
            if (entry.pending === 0) this.slots.onIdle(entry);
            // the queued count is part of the fleet status (throttled)
            this.users.scheduleState();
            callback(err);
        };
        if (entry.phase === 'checking') {
            entry.held.push({ userId, request, callback: settled });
            this.users.scheduleState();
        } else {
            entry.connection.publish(userId, request, settled);
        }
    }

    /** tb-provision registered `credentialsId`: the device refused with it retries now. */
    retryNow(credentialsId?: string): void {
        for (const entry of this.entries.values()) {
            if (entry.phase !== 'open') continue;
            if (credentialsId === undefined || entry.identity.credentialsId === credentialsId) entry.connection.retryNow();
        }
    }

    /** The device of `credentialsId` changed on the server (e.g. marked gateway): its session is renewed. */
    reconnectIfConnectedAs(credentialsId: string): void {
        for (const entry of this.entries.values()) entry.connection.reconnectIfConnectedAs(credentialsId);
    }

    /**
     * A node closed: its messages still waiting are dropped (returned count), as with one
     * connection. When it was the last node, the connections close (removed) or wait
     * IDLE_CLOSE_MS for the node to come back (redeployed).
     */
    async deregister(userId: string, removed = true): Promise<number> {
        this.users.delete(userId);
        this.listeners.remove(userId);
        this.loggers.delete(userId);
        let dropped = 0;
        for (const entry of [...this.entries.values()]) {
            const kept = entry.held.filter((held) => held.userId !== userId);
            let count = entry.held.length - kept.length;
            entry.held = kept;
            // the connection's dropped messages are not called back: they leave `pending` here
            if (entry.phase !== 'checking') count += await entry.connection.deregister(userId, removed);
            entry.pending -= count;
            dropped += count;
            if (count > 0 && entry.pending === 0) this.slots.onIdle(entry);
        }
        if (this.users.size === 0 && removed) await this.closeAll();
        else if (this.users.size === 0) this.users.whenNoneFor(IDLE_CLOSE_MS, () => void this.closeAll());
        else this.users.scheduleState();
        return dropped;
    }

    /** Ends every device connection for good (the config closed). */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.store.removeListener('changed', this.onIdentityChanged);
        this.users.cancelTimers();
        this.installed.clear();
        await this.closeAll();
    }

    private entryFor(name: string): DeviceEntry {
        const existing = this.entries.get(name);
        if (existing) {
            this.entries.delete(name);
            this.entries.set(name, existing);
            return existing;
        }
        const identity = new DeviceIdentity(this.store, name, this.serverCa);
        const installed = this.installed.get(name);
        if (installed) {
            identity.replace(installed);
            this.installed.delete(name);
        }
        // each device its own client id and identity-registry owner
        const connection = new SharedConnection(this.settings, identity, { ...this.options, configId: `${this.configId}:${name}` });
        const entry: DeviceEntry = { name, identity, connection, phase: 'checking', pending: 0, held: [] };
        this.entries.set(name, entry);
        this.listeners.attachAll(entry);
        void this.check(entry);
        return entry;
    }

    /** Reads the device's identity: unknown or unusable → its held messages fail with that, saying which device. */
    private async check(entry: DeviceEntry): Promise<void> {
        let failure: Error | undefined;
        try {
            const identity = await entry.identity.current();
            if (!identity) {
                failure = fail('FLEET_DEVICE_UNKNOWN', { config: this.settings.label, deviceName: entry.name, dir: fleetDeviceDir(this.store.keyStoreDir, entry.name) });
            }
        } catch (err) {
            failure = err instanceof Error ? err : new Error(String(err));
        }
        if (!this.slots.isCurrent(entry)) return;
        const held = entry.held.splice(0);
        if (failure) {
            this.entries.delete(entry.name);
            for (const h of held) h.callback(failure);
            this.users.scheduleState();
            return;
        }
        entry.phase = 'ready';
        for (const h of held) entry.connection.publish(h.userId, h.request, h.callback);
        await this.slots.admit(entry);
    }

    private async closeAll(): Promise<void> {
        const entries = [...this.entries.values()];
        this.slots.dropWaiters();
        for (const entry of entries) {
            const held = entry.held.splice(0);
            for (const h of held) h.callback(fail('MQTT_CLOSED', { server: this.server }));
            if (this.slots.isCurrent(entry)) this.slots.close(entry);
        }
        await this.slots.allClosed();
        this.users.emitState();
    }

    private logError(text: string): void {
        const logger = this.loggers.values().next().value;
        if (logger) logger.error(text);
        else console.error(text);
    }
}
