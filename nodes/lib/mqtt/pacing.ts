/**
 * Token buckets that keep publishing below the server's rate limits. Each window of a limit
 * becomes a bucket at PACING_FRACTION of its capacity and refill rate (ThingsBoard's Python
 * SDK paces at 80 %, TB_DEFAULT_RATE_LIMIT_PERCENTAGE), so jitter and the messages the
 * server counts that we cannot see leave a margin.
 */
import type { DeliveryEntry } from './delivery-queue';
import type { Pacer } from './outbox';
import { messageCost, type MessageCost, type RateLimitSet, type RateWindow, type SessionLimits } from './rate-limits';

export const PACING_FRACTION = 0.8;

export class TokenBucket {
    private tokens: number;
    private updated: number;
    readonly capacity: number;
    /** tokens per ms */
    private readonly rate: number;

    constructor(capacity: number, perSecond: number, now: number, full = true) {
        this.capacity = Math.max(1, capacity);
        this.rate = perSecond / 1000;
        this.tokens = full ? this.capacity : 0;
        this.updated = now;
    }

    /** ms until `n` tokens are there (n above capacity counts as a full bucket); 0 = now. */
    wait(n: number, now: number): number {
        this.refill(now);
        const need = Math.min(n, this.capacity);
        if (this.tokens >= need) return 0;
        return Math.ceil((need - this.tokens) / this.rate);
    }

    take(n: number, now: number): void {
        this.refill(now);
        this.tokens -= Math.min(n, this.capacity);
    }

    private refill(now: number): void {
        if (now > this.updated) {
            this.tokens = Math.min(this.capacity, this.tokens + (now - this.updated) * this.rate);
            this.updated = now;
        }
    }
}

function buckets(windows: RateWindow[], now: number): TokenBucket[] {
    return windows.map((w) => new TokenBucket(Math.floor(w.capacity * PACING_FRACTION), (w.capacity * PACING_FRACTION) / w.seconds, now));
}

interface BucketSet {
    messages: TokenBucket[];
    telemetryMessages: TokenBucket[];
    dataPoints: TokenBucket[];
}

function bucketSet(limits: RateLimitSet, now: number): BucketSet {
    return {
        messages: buckets(limits.messages, now),
        telemetryMessages: buckets(limits.telemetryMessages, now),
        dataPoints: buckets(limits.telemetryDataPoints, now),
    };
}

function each(set: BucketSet, cost: MessageCost, fn: (bucket: TokenBucket, n: number) => void): void {
    if (cost.messages > 0) for (const b of set.messages) fn(b, cost.messages);
    if (cost.telemetryMessages > 0) for (const b of set.telemetryMessages) fn(b, cost.telemetryMessages);
    if (cost.dataPoints > 0) for (const b of set.dataPoints) fn(b, cost.dataPoints);
}

/** Paces by the limits getSessionLimits reported. */
export class LimitPacer implements Pacer {
    private readonly device: BucketSet;
    private readonly gateway?: BucketSet;

    constructor(limits: SessionLimits, now: number) {
        this.device = bucketSet(limits.device, now);
        if (limits.gateway) this.gateway = bucketSet(limits.gateway, now);
    }

    delayFor(entry: DeliveryEntry, now: number): number {
        const cost = (entry.cost ??= messageCost(entry.topic, entry.body)) as MessageCost;
        const set = cost.scope === 'gateway' && this.gateway ? this.gateway : this.device;
        let delay = 0;
        each(set, cost, (bucket, n) => {
            delay = Math.max(delay, bucket.wait(n, now));
        });
        return delay;
    }

    take(entry: DeliveryEntry, now: number): void {
        const cost = (entry.cost ??= messageCost(entry.topic, entry.body)) as MessageCost;
        const set = cost.scope === 'gateway' && this.gateway ? this.gateway : this.device;
        each(set, cost, (bucket, n) => bucket.take(n, now));
    }

    /** Counts a message sent outside the queue (the getSessionLimits request itself). */
    takeMessage(now: number): void {
        for (const b of this.device.messages) b.take(1, now);
    }
}

/** A learned rate in messages per second, one second's worth of burst. */
export class RatePacer implements Pacer {
    private readonly bucket: TokenBucket;

    constructor(
        readonly perSecond: number,
        now: number,
    ) {
        // starts empty: it replaces a rate the server just refused
        this.bucket = new TokenBucket(Math.max(1, Math.floor(perSecond)), perSecond, now, false);
    }

    delayFor(_entry: DeliveryEntry, now: number): number {
        return this.bucket.wait(1, now);
    }

    take(_entry: DeliveryEntry, now: number): void {
        this.bucket.take(1, now);
    }
}

/** Both: a message goes when every pacer lets it. */
export function combinePacers(pacers: Array<Pacer | undefined>): Pacer | undefined {
    const active = pacers.filter((p): p is Pacer => p !== undefined);
    if (active.length <= 1) return active[0];
    return {
        delayFor: (entry, now) => Math.max(...active.map((p) => p.delayFor(entry, now))),
        take: (entry, now) => active.forEach((p) => p.take(entry, now)),
    };
}
