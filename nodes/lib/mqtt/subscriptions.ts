/**
 * What the users of a connection listen to: topic filters with a handler each. Every session
 * subscribes to all of them as soon as it is up (ThingsBoard keeps no subscription across
 * sessions), and every inbound publish goes to the handlers whose filter matches it.
 */
import type { Session } from './session';

/** `session` counts the sessions of the connection: a handler can tell a new session from the last one. */
export type InboundHandler = (topic: string, payload: Buffer, session: number) => void;

interface Entry {
    userId: string;
    filter: string;
    handler: InboundHandler;
}

/** MQTT filter matching: `+` one level, `#` the rest (ThingsBoard's filters use `+` only). */
export function topicMatches(filter: string, topic: string): boolean {
    if (filter === topic) return true;
    const f = filter.split('/');
    const t = topic.split('/');
    for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length) return false;
        if (f[i] !== '+' && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
}

export class SubscriptionRegistry {
    private readonly entries: Entry[] = [];
    private session?: Session;
    private sessionCount = 0;

    /** `onHandlerError`: a handler that throws is reported there and the others still get the message. */
    constructor(private readonly onHandlerError: (userId: string, err: unknown) => void) {}

    /** The number of the current (or last) session. */
    get sessionNumber(): number {
        return this.sessionCount;
    }

    add(userId: string, filter: string, handler: InboundHandler): void {
        const known = this.entries.some((e) => e.filter === filter);
        this.entries.push({ userId, filter, handler });
        // a filter new to a live session is subscribed at once; the others are already
        if (!known && this.session) this.session.subscribe(filter, () => undefined);
    }

    removeUser(userId: string): void {
        for (let i = this.entries.length - 1; i >= 0; i--) {
            if (this.entries[i].userId === userId) this.entries.splice(i, 1);
        }
    }

    get filters(): string[] {
        return [...new Set(this.entries.map((e) => e.filter))];
    }

    /** A session is up: subscribe every filter on it (before anything queued is sent on it). */
    onSessionUp(session: Session): void {
        this.session = session;
        this.sessionCount++;
        for (const filter of this.filters) session.subscribe(filter, () => undefined);
    }

    onSessionDown(): void {
        this.session = undefined;
    }

    /** Hands an inbound publish to every matching handler; true when one took it. */
    dispatch(topic: string, payload: Buffer): boolean {
        let taken = false;
        for (const entry of [...this.entries]) {
            if (!topicMatches(entry.filter, topic)) continue;
            taken = true;
            try {
                entry.handler(topic, payload, this.sessionCount);
            } catch (err) {
                this.onHandlerError(entry.userId, err);
            }
        }
        return taken;
    }
}
