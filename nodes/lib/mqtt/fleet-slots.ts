/**
 * How a fleet pool shares its `maxConnections` slots. A device whose identity checked out
 * starts at once when there is room, else waits, first come first served. A connection is
 * closed only when nothing of it is pending (so no message fails for lack of a slot): after
 * `idleTimeout` seconds without a message, or, when devices wait, at once, least recently used
 * first. A closing connection keeps its slot until its session ended, so the broker never sees
 * more than maxConnections sessions, nor two of one device.
 */
import type { ConfigSettings } from '../config-settings';
import type { DeviceEntry } from './fleet-entry';

export interface SlotHooks {
    /** The entry got its slot: starting its connection is the pool's (it becomes the connection's user). */
    start(entry: DeviceEntry): void;
    /** Open connections or the entries changed: the fleet status is due. */
    changed(): void;
}

export class FleetSlots {
    /** connections being closed, by device name: a reopened device waits for its old session to end */
    private readonly closing = new Map<string, Promise<void>>();
    /** ready entries waiting for a slot, first come first served */
    private waiters: DeviceEntry[] = [];
    /** started connections plus those still closing: what counts against maxConnections */
    private open = 0;

    constructor(
        private readonly settings: Pick<ConfigSettings, 'maxConnections' | 'idleTimeout'>,
        /** the pool's entries by device name, least recently used first; closing removes the entry */
        private readonly entries: Map<string, DeviceEntry>,
        private readonly hooks: SlotHooks,
    ) {}

    get openConnections(): number {
        return this.open;
    }

    /** false once the entry was closed or failed (a later message for the device makes a new one) */
    isCurrent(entry: DeviceEntry): boolean {
        return this.entries.get(entry.name) === entry;
    }

    /** A ready entry: starts once its device's previous session ended and a slot is free. */
    async admit(entry: DeviceEntry): Promise<void> {
        const previous = this.closing.get(entry.name);
        if (previous) await previous;
        if (!this.isCurrent(entry)) return;
        if (this.open < this.settings.maxConnections) this.start(entry);
        else {
            this.waiters.push(entry);
            this.freeSlots();
        }
    }

    /** A message for the device: its connection is in use, not idle. */
    inUse(entry: DeviceEntry): void {
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.idleTimer = undefined;
    }

    /** Nothing of the entry is pending: it closes now when a device waits for its slot, else after idleTimeout. */
    onIdle(entry: DeviceEntry): void {
        if (!this.isCurrent(entry) || entry.phase !== 'open') return;
        if (this.waiters.length > this.closing.size) {
            this.freeSlots();
            if (!this.isCurrent(entry)) return;
        }
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.idleTimer = setTimeout(() => {
            entry.idleTimer = undefined;
            if (this.isCurrent(entry) && entry.pending === 0) this.close(entry);
        }, this.settings.idleTimeout * 1000);
        entry.idleTimer.unref();
    }

    /** Closes a connection with nothing pending (so nothing fails); its slot frees once the session ended. */
    close(entry: DeviceEntry): void {
        this.entries.delete(entry.name);
        this.inUse(entry);
        const wasOpen = entry.phase === 'open';
        const ended = entry.connection.close().then(() => {
            if (!wasOpen) return;
            if (this.closing.get(entry.name) === ended) this.closing.delete(entry.name);
            this.open--;
            this.freeSlots();
            this.hooks.changed();
        });
        if (wasOpen) this.closing.set(entry.name, ended);
        this.hooks.changed();
    }

    /** The pool closes: nobody waits any more. */
    dropWaiters(): void {
        this.waiters = [];
    }

    /** Resolves when every connection being closed has ended its session. */
    async allClosed(): Promise<void> {
        await Promise.all([...this.closing.values()]);
    }

    private start(entry: DeviceEntry): void {
        entry.phase = 'open';
        this.open++;
        this.hooks.start(entry);
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
            this.close(entry);
            needed--;
        }
    }
}
