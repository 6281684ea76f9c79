/**
 * A fleet config's device connections: one SharedConnection per msg.deviceName, with that
 * device's identity from the fleet key store. A connection opens with the device's first
 * message and closes after `idleTimeout` seconds without one; at most `maxConnections` are
 * open, and when a device needs one beyond that, the least recently used connection with
 * nothing pending is closed first. Closing never loses a message: only a connection whose
 * messages have all settled is closed, and the new device's messages wait in its own queue
 * until a slot frees. Every rule of a single connection (order, failure classes, pacing)
 * holds per device, because each device is one.
 */
import type { ConfigSettings } from '../config-settings';
import type { CodedError } from '../errors';
import { fleetDeviceDir, type FleetKeyStore } from '../pki/fleet-keystore';
import type { LoadedIdentity } from '../pki/loaded-identity';
import { IDLE_CLOSE_MS, type ConnectionState, type PublishRequest, type SharedConnectionOptions } from './connection-types';
import type { DeliveryCallback } from './delivery-queue';
import { DeviceIdentity } from './fleet-identity';
import { fail } from './messages';
import { SharedConnection } from './shared-connection';
import type { InboundHandler } from './subscriptions';
import { UserNotifier, type ConnectionLogger, type ConnectionUser } from './user-notifier';

/** What the nodes of a fleet config see: the state of every device connection. */
export interface FleetState {
    devices: ConnectionState[];
}

export type FleetUser = ConnectionUser<FleetState>;

/**
 * `checking`: the identity is being read, messages are held in order;
 * `ready`: identity found, messages queue on the connection, which waits for a slot;
 * `open`: the connection is started (connected, connecting or waiting to retry).
 */
type EntryPhase = 'checking' | 'ready' | 'open';

interface HeldPublish {
    userId: string;
    request: PublishRequest;
    callback: DeliveryCallback;
}

interface DeviceEntry {
    name: string;
    identity: DeviceIdentity;
    connection: SharedConnection;
    phase: EntryPhase;
    /** messages accepted for this device and not yet called back */
    pending: number;
    held: HeldPublish[];
    idleTimer?: NodeJS.Timeout;
}

/** The pool is each device connection's one user; the nodes are the pool's users. */
const POOL_USER = 'fleet-pool';

/** A node listening on every device connection: `handlerFor` makes the handler of one device's connection. */
interface FleetListener {
    userId: string;
    filter: string;
    handlerFor: (deviceName: string) => InboundHandler;
    /** false once the node deregistered (a connection not yet started still holds the handler) */
    active: boolean;
}

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
    /** connections being closed, by device name: a reopened device waits for its old session to end */
    private readonly closing = new Map<string, Promise<void>>();
    /** ready entries waiting for a slot, first come first served */
    private waiters: DeviceEntry[] = [];
    private listeners: FleetListener[] = [];
    /** started connections plus those still closing: what counts against maxConnections */
    private open = 0;
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
        store.on('changed', this.onIdentityChanged);
    }

    get server(): string {
        return `${this.settings.host}:${this.settings.port}`;
    }

    /** Device connections started and not yet fully closed (at most maxConnections). */
    get openConnections(): number {
        return this.open;
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
        const listener: FleetListener = { userId, filter, handlerFor, active: true };
        this.listeners.push(listener);
        for (const entry of this.entries.values()) this.attach(entry, listener);
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
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.idleTimer = undefined;
        const settled: DeliveryCallback = (err) => {
            entry.pending--;
            if (entry.pending === 0) this.onIdle(entry);
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
        this.listeners = this.listeners.filter((listener) => {
            if (listener.userId === userId) listener.active = false;
            return listener.active;
        });
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
            if (count > 0 && entry.pending === 0) this.onIdle(entry);
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
        for (const listener of this.listeners) this.attach(entry, listener);
        void this.check(entry);
        return entry;
    }

    /** The connection's subscriptions go with it when it closes; a reopened device gets them again from entryFor. */
    private attach(entry: DeviceEntry, listener: FleetListener): void {
        const handler = listener.handlerFor(entry.name);
        entry.connection.listen(listener.userId, listener.filter, (topic, payload, session) => {
            if (listener.active) handler(topic, payload, session);
        });
    }

    private isCurrent(entry: DeviceEntry): boolean {
        return this.entries.get(entry.name) === entry;
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
        if (!this.isCurrent(entry)) return;
        const held = entry.held.splice(0);
        if (failure) {
            this.entries.delete(entry.name);
            for (const h of held) h.callback(failure);
            this.users.scheduleState();
            return;
        }
        entry.phase = 'ready';
        for (const h of held) entry.connection.publish(h.userId, h.request, h.callback);
        const previous = this.closing.get(entry.name);
        if (previous) await previous;
        if (!this.isCurrent(entry)) return;
        if (this.open < this.settings.maxConnections) this.start(entry);
        else {
            this.waiters.push(entry);
            this.freeSlots();
        }
    }

    private start(entry: DeviceEntry): void {
        entry.phase = 'open';
        this.open++;
        entry.connection.register(POOL_USER, this.poolUser);
        if (entry.pending === 0) this.onIdle(entry);
    }

    /** Starts waiting devices while there is room; closes idle connections, least recently used first, for the rest. */
    private freeSlots(): void {
        this.waiters = this.waiters.filter((entry) => this.isCurrent(entry));
        while (this.waiters.length > 0 && this.open < this.settings.maxConnections) this.start(this.waiters.shift() as DeviceEntry);
        let needed = this.waiters.length - this.closing.size;
        if (needed <= 0) return;
        for (const entry of [...this.entries.values()]) {
            if (needed === 0) break;
            if (entry.phase !== 'open' || entry.pending > 0) continue;
            this.closeEntry(entry);
            needed--;
        }
    }

    private onIdle(entry: DeviceEntry): void {
        if (!this.isCurrent(entry) || entry.phase !== 'open') return;
        if (this.waiters.length > this.closing.size) {
            this.freeSlots();
            if (!this.isCurrent(entry)) return;
        }
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.idleTimer = setTimeout(() => {
            entry.idleTimer = undefined;
            if (this.isCurrent(entry) && entry.pending === 0) this.closeEntry(entry);
        }, this.settings.idleTimeout * 1000);
        entry.idleTimer.unref();
    }

    /** Closes a connection with nothing pending (so nothing fails); its slot frees once the session ended. */
    private closeEntry(entry: DeviceEntry): void {
        this.entries.delete(entry.name);
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.idleTimer = undefined;
        const wasOpen = entry.phase === 'open';
        const ended = entry.connection.close().then(() => {
            if (!wasOpen) return;
            if (this.closing.get(entry.name) === ended) this.closing.delete(entry.name);
            this.open--;
            this.freeSlots();
            this.users.scheduleState();
        });
        if (wasOpen) this.closing.set(entry.name, ended);
        this.users.scheduleState();
    }

    private async closeAll(): Promise<void> {
        const entries = [...this.entries.values()];
        this.waiters = [];
        for (const entry of entries) {
            const held = entry.held.splice(0);
            for (const h of held) h.callback(fail('MQTT_CLOSED', { server: this.server }));
            if (this.isCurrent(entry)) this.closeEntry(entry);
        }
        await Promise.all([...this.closing.values()]);
        this.users.emitState();
    }

    private logError(text: string): void {
        const logger = this.loggers.values().next().value;
        if (logger) logger.error(text);
        else console.error(text);
    }
}
