/**
 * Keeps a connection below the server's rate limits: asks getSessionLimits on every session
 * (without holding messages back longer than limitsTimeoutMs for the answer), paces by the
 * answer, and learns from rate-limit closes where there is none (or it is not enough).
 */
import type { Outbox } from './outbox';
import { combinePacers, LimitPacer, RatePacer } from './pacing';
import { closeKind, RateLearner } from './rate-learner';
import { hasLimits, type SessionLimits } from './rate-limits';
import { transientDelay } from './reconnect-policy';
import type { Session, SessionEnd } from './session';
import { SessionLimitsRequest } from './session-limits';

export class RateGovernor {
    private readonly learner = new RateLearner();
    private limits?: SessionLimits;
    private limitPacer?: LimitPacer;
    private request?: SessionLimitsRequest;
    /** the server answered getSessionLimits once (so it will again), or never did in time */
    private support: 'unknown' | 'answers' | 'silent' = 'unknown';
    private holdTimer?: NodeJS.Timeout;
    /** the last session that got its CONNACK ended with a bare close while messages were in flight */
    private lastBare = false;

    constructor(
        private readonly outbox: Outbox,
        private readonly limitsTimeoutMs: number,
    ) {}

    /** The learned rate (messages per second), when closes taught one. */
    get learnedRate(): number | undefined {
        return this.learner.rate;
    }

    get sessionLimits(): SessionLimits | undefined {
        return this.limits;
    }

    /** A session is connected: ask for its limits, then `attach` the outbox (at once when nothing is worth waiting for). */
    onConnected(session: Session, attach: () => void): void {
        const now = Date.now();
        this.learner.onSession(now);
        this.cancelHold();
        const request = new SessionLimitsRequest((limits) => this.onLimits(limits, attach));
        this.request = request;
        request.send(session, () => undefined);
        this.limitPacer?.takeMessage(now);
        if (this.support !== 'unknown' || this.outbox.queue.size === 0) {
            attach();
            return;
        }
        this.holdTimer = setTimeout(() => {
            this.holdTimer = undefined;
            if (this.support === 'unknown') this.support = 'silent';
            attach();
        }, this.limitsTimeoutMs);
        this.holdTimer.unref();
    }

    /** A message arrived on the session; true when it was the limits answer. */
    onMessage(topic: string, payload: Buffer): boolean {
        return this.request?.handle(topic, payload) ?? false;
    }

    onDelivered(): void {
        const before = this.learner.rate;
        this.learner.onDelivered(Date.now());
        if (this.learner.rate !== before) this.applyPacer();
    }

    /**
     * The session ended with `inFlight` messages unacknowledged. For a rate-limit close the
     * learned rate halves and the answer is the reconnect delay; undefined for other closes.
     */
    onClosed(end: SessionEnd, inFlight: number): number | undefined {
        this.cancelHold();
        this.request = undefined;
        const kind = closeKind(end, inFlight);
        const rateLimited = kind === 'rate-limit' || (kind === 'bare' && this.lastBare);
        this.lastBare = kind === 'bare';
        if (!rateLimited) return undefined;
        this.learner.onRateLimitClose(Date.now());
        this.applyPacer();
        return transientDelay(this.learner.closes - 1);
    }

    private onLimits(limits: SessionLimits, attach: () => void): void {
        this.support = 'answers';
        const known = hasLimits(limits) ? limits : undefined;
        // the same limits keep their buckets: the server's count goes on across sessions too
        if (JSON.stringify(known) !== JSON.stringify(this.limits)) {
            this.limits = known;
            this.limitPacer = known ? new LimitPacer(known, Date.now()) : undefined;
            this.applyPacer();
        }
        if (this.holdTimer) {
            this.cancelHold();
            attach();
        }
    }

    private applyPacer(): void {
        const rate = this.learner.rate;
        this.outbox.setPacer(combinePacers([this.limitPacer, rate === undefined ? undefined : new RatePacer(rate, Date.now())]));
    }

    private cancelHold(): void {
        if (this.holdTimer) clearTimeout(this.holdTimer);
        this.holdTimer = undefined;
    }
}
