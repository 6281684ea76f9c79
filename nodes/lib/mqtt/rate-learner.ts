/**
 * Without getSessionLimits (ThingsBoard before 3.8, or tenant limits it does not report),
 * the rate is learned from the server's closes: a session closed (DISCONNECT 0x83, or a bare
 * close while messages were in flight) right after a burst is taken as a rate limit. The
 * allowed rate becomes half of what the server accepted in that session, and halves again
 * at every further such close. A CONNACK resets nothing; only a stretch of delivery without
 * such a close lets the rate rise again (by a quarter per stretch) and the reconnect
 * backoff start over.
 */

/** A stretch of good delivery: this long without a rate-limit close, with this many acknowledged. */
export const GOOD_STRETCH_MS = 30_000;
export const GOOD_STRETCH_MESSAGES = 50;
/** Acknowledgements counted over this window to estimate what the server accepted. */
const WINDOW_SECONDS = 10;
const MIN_RATE = 0.5;

export class RateLearner {
    /** allowed messages per second; undefined = no limit learned */
    rate?: number;
    /** rate-limit closes since the last good stretch (the reconnect backoff) */
    closes = 0;
    /** acknowledgements per second of the last WINDOW_SECONDS seconds (ring, by second) */
    private readonly perSecond = new Array<number>(WINDOW_SECONDS).fill(0);
    private readonly secondOf = new Array<number>(WINDOW_SECONDS).fill(-1);
    private sessionStart = 0;
    private stretchStart = 0;
    private stretchAcks = 0;

    /** A session was established. */
    onSession(now: number): void {
        this.sessionStart = now;
        this.secondOf.fill(-1);
    }

    /** A message was acknowledged. */
    onDelivered(now: number): void {
        const second = Math.floor(now / 1000);
        const slot = second % WINDOW_SECONDS;
        if (this.secondOf[slot] !== second) {
            this.secondOf[slot] = second;
            this.perSecond[slot] = 0;
        }
        this.perSecond[slot]++;
        this.stretchAcks++;
        if (now - this.stretchStart >= GOOD_STRETCH_MS && this.stretchAcks >= GOOD_STRETCH_MESSAGES) {
            this.stretchStart = now;
            this.stretchAcks = 0;
            this.closes = 0;
            if (this.rate !== undefined) this.rate *= 1.25;
        }
    }

    /** The server closed the session for the rate: returns the new rate (messages per second). */
    onRateLimitClose(now: number): number {
        const since = Math.max(this.sessionStart, now - WINDOW_SECONDS * 1000);
        let accepted = 0;
        for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
            if (this.secondOf[slot] >= Math.floor(since / 1000)) accepted += this.perSecond[slot];
        }
        const seconds = Math.max(1, (now - since) / 1000);
        const observed = accepted / seconds;
        const base = this.rate === undefined ? observed : Math.min(this.rate, Math.max(observed, MIN_RATE));
        this.rate = Math.max(MIN_RATE, base / 2);
        this.closes++;
        this.stretchStart = now;
        this.stretchAcks = 0;
        return this.rate;
    }
}

/** DISCONNECT reason codes ThingsBoard closes an over-limit session with (0x83 for a refused publish). */
const RATE_LIMIT_DISCONNECTS = new Set([0x83, 0x96, 0x97]);

export type CloseKind = 'rate-limit' | 'bare' | 'other';

/**
 * What a close says about the rate. A DISCONNECT 0x83 (ThingsBoard 3.8+) with messages in
 * flight is a rate limit. A bare close with messages in flight (ThingsBoard before 3.8) is
 * one only when the session before it, which also got its CONNACK, ended the same way: a
 * broker that restarts closes once and then refuses connections.
 */
export function closeKind(end: { error?: unknown; serverDisconnect?: number }, inFlight: number): CloseKind {
    if (inFlight === 0) return 'other';
    if (end.serverDisconnect !== undefined) return RATE_LIMIT_DISCONNECTS.has(end.serverDisconnect) ? 'rate-limit' : 'other';
    return end.error === undefined ? 'bare' : 'other';
}
