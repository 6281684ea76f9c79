/**
 * Every message the connection has accepted and not yet seen delivered, in order of first
 * arrival. An entry is either waiting (not written on the current connection) or in flight
 * (written, acknowledgement pending). When a connection breaks, its in-flight entries wait
 * again, ahead of newer ones, so a reconnect sends everything in the original order.
 */
export type DeliveryCallback = (err?: Error) => void;

export interface DeliveryEntry {
    readonly userId: string;
    readonly topic: string;
    readonly body: string | Buffer;
    readonly qos: 0 | 1;
    readonly callback: DeliveryCallback;
    /** connection generation that the entry was last written on; 0 = waiting */
    sentOn: number;
    settled: boolean;
    /** how often it was written (on any session) */
    sends: number;
    /** Date.now() of the last write */
    sentAt: number;
    /** what it costs against the server's rate limits, worked out once (pacing) */
    cost?: object;
}

/** Told when a sender's callback throws (it must never break delivery of the others). */
export type CallbackErrorHandler = (entry: DeliveryEntry, err: unknown) => void;

export class DeliveryQueue {
    private entries: DeliveryEntry[] = [];
    private head = 0;
    /** index from which waiting entries are looked for: those before it are settled or in flight */
    private cursor = 0;
    private unsettled = 0;
    private readonly perUser = new Map<string, number>();

    constructor(private readonly onCallbackError: CallbackErrorHandler = logToConsole) {}

    /** Messages accepted and not yet delivered or failed. */
    get size(): number {
        return this.unsettled;
    }

    /** Entries held in memory, settled ones not yet compacted away included. */
    get retained(): number {
        return this.entries.length - this.head;
    }

    /** Length of the backing array (what compaction bounds). */
    get footprint(): number {
        return this.entries.length;
    }

    countFor(userId: string): number {
        return this.perUser.get(userId) ?? 0;
    }

    add(entry: Pick<DeliveryEntry, 'userId' | 'topic' | 'body' | 'qos' | 'callback'>): DeliveryEntry {
        return this.enqueue(entry.userId, entry.topic, entry.body, entry.qos, entry.callback);
    }

    /** add() without an object per call (the publish hot path). */
    enqueue(userId: string, topic: string, body: string | Buffer, qos: 0 | 1, callback: DeliveryCallback): DeliveryEntry {
        const entry: DeliveryEntry = { userId, topic, body, qos, callback, sentOn: 0, settled: false, sends: 0, sentAt: 0 };
        this.entries.push(entry);
        this.unsettled++;
        this.perUser.set(userId, this.countFor(userId) + 1);
        return entry;
    }

    /** Marks the entry done and tells its sender; false when it was settled already. */
    settle(entry: DeliveryEntry, err?: Error): boolean {
        if (entry.settled) return false;
        entry.settled = true;
        this.unsettled--;
        const left = this.countFor(entry.userId) - 1;
        if (left > 0) this.perUser.set(entry.userId, left);
        else this.perUser.delete(entry.userId);
        this.compact();
        try {
            entry.callback(err);
        } catch (thrown) {
            this.onCallbackError(entry, thrown);
        }
        return true;
    }

    /** Unsettled entries in order of first arrival. */
    *pending(): IterableIterator<DeliveryEntry> {
        for (let i = this.head; i < this.entries.length; i++) {
            const entry = this.entries[i];
            if (!entry.settled) yield entry;
        }
    }

    /** The first entry not yet written on session `generation`, in order of first arrival. */
    firstWaiting(generation: number): DeliveryEntry | undefined {
        if (this.cursor < this.head) this.cursor = this.head;
        while (this.cursor < this.entries.length) {
            const entry = this.entries[this.cursor];
            if (!entry.settled && entry.sentOn !== generation) return entry;
            this.cursor++;
        }
        return undefined;
    }

    /**
     * The oldest entry in flight on session `generation`, if any. Entries are written in
     * order, so the ones in flight come before every waiting one.
     */
    oldestInFlight(generation: number): DeliveryEntry | undefined {
        for (let i = this.head; i < this.entries.length; i++) {
            const entry = this.entries[i];
            if (!entry.settled) return entry.sentOn === generation ? entry : undefined;
        }
        return undefined;
    }

    /** Unsettled entries written on session `generation`. */
    inFlight(generation: number): DeliveryEntry[] {
        const found: DeliveryEntry[] = [];
        for (const entry of this.pending()) {
            if (entry.sentOn !== generation) break;
            found.push(entry);
        }
        return found;
    }

    /** After a connection broke: its in-flight entries wait again. */
    requeueInFlight(): void {
        for (const entry of this.pending()) entry.sentOn = 0;
        this.cursor = this.head;
    }

    /** Fails every unsettled entry with `err` (a permanent failure, or the end). */
    failAll(err: Error): void {
        for (const entry of [...this.pending()]) this.settle(entry, err);
    }

    /**
     * Drops the waiting entries of a user that went away, without calling them; returns how
     * many. Its entries in flight stay and are delivered.
     */
    dropUser(userId: string): number {
        let dropped = 0;
        for (const entry of this.pending()) {
            if (entry.userId !== userId || entry.sentOn !== 0) continue;
            entry.settled = true;
            this.unsettled--;
            dropped++;
        }
        const left = this.countFor(userId) - dropped;
        if (left > 0) this.perUser.set(userId, left);
        else this.perUser.delete(userId);
        this.compact();
        return dropped;
    }

    private compact(): void {
        while (this.head < this.entries.length && this.entries[this.head].settled) this.head++;
        if (this.head === this.entries.length) {
            this.entries = [];
            this.head = 0;
            this.cursor = 0;
        } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
            this.entries = this.entries.slice(this.head);
            this.cursor = Math.max(0, this.cursor - this.head);
            this.head = 0;
        }
    }
}

function logToConsole(_entry: DeliveryEntry, err: unknown): void {
    console.error('tb-x509-mqtt-out: a delivery callback threw:', err);
}
