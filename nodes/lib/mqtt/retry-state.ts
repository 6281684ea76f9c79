/**
 * What went wrong with a connection, and when it tries again. A permanent failure blocks:
 * every message fails with its error until a session is up again. A session taken over
 * (contended) warns once; transient failures back off, starting over at every CONNACK. Asking
 * for a retry while an attempt runs makes the next one immediate; one retry is scheduled at a time.
 */
import type { CodedError } from '../errors';
import { failureError, type Failure, type FailureContext } from './failure';
import { retryDelay } from './reconnect-policy';

export interface RetryHooks {
    /** a permanent failure: what is queued fails with its error */
    failAll(err: CodedError): void;
    warnOnce(key: string, warning: CodedError): void;
    /** the names failure texts need (config, server, certificate CN) */
    context(): FailureContext;
    /** the credentials the connection holds, which a take-over warning is keyed by */
    heldCredentialsId(): string | undefined;
}

/** What a session that just came up still has to do for a request made while it connected. */
export type AfterConnect = 'renew' | 'recheck-identity' | undefined;

export class RetryState {
    private lastFailure?: Failure;
    private blockingError?: CodedError;
    /** the other config holding this connection's certificate, while one does */
    heldBy?: string;
    private transientAttempts = 0;
    private timer?: NodeJS.Timeout;
    /** retryNow while connecting: the identity may have changed under the attempt */
    private retryRequested = false;
    /** reconnectIfConnectedAs while connecting: the CONNECT under way may predate the server's change */
    private renewAfterConnect = false;

    constructor(private readonly hooks: RetryHooks) {}

    get failure(): Failure | undefined {
        return this.lastFailure;
    }

    /** What messages fail with while a permanent failure lasts. */
    get blocking(): CodedError | undefined {
        return this.blockingError;
    }

    retryWhenAttemptEnds(): void {
        this.retryRequested = true;
    }

    renewWhenConnected(): void {
        this.renewAfterConnect = true;
    }

    /** An attempt starts: it answers every request made before it, and no other is scheduled. */
    attempting(): void {
        this.cancel();
        this.retryRequested = false;
        this.renewAfterConnect = false;
    }

    /** A session is up: no failure any more, and the transient backoff starts over. */
    connected(): void {
        this.transientAttempts = 0;
        this.clear();
    }

    /** Once the new session is set up: the request made while it connected, if any, is now due. */
    takeAfterConnect(): AfterConnect {
        if (this.renewAfterConnect) {
            this.renewAfterConnect = false;
            return 'renew';
        }
        if (!this.retryRequested) return undefined;
        this.retryRequested = false;
        return 'recheck-identity';
    }

    /** The connection stopped: what went wrong no longer applies. */
    clear(): void {
        this.lastFailure = undefined;
        this.blockingError = undefined;
        this.heldBy = undefined;
    }

    /**
     * Records a failed attempt or a lost session; returns the milliseconds until the next attempt.
     * `blocking`: what messages fail with, when not the failure's own error.
     */
    record(failure: Failure, blocking?: CodedError): number {
        this.lastFailure = failure;
        const delay = retryDelay({ failure, transientAttempts: this.transientAttempts, retryRequested: this.retryRequested && !blocking });
        this.blockingError = failure.class === 'permanent' ? (blocking ?? failureError(failure, this.hooks.context())) : undefined;
        if (this.blockingError) this.hooks.failAll(this.blockingError);
        else if (failure.class === 'contended') this.hooks.warnOnce(`taken-over:${this.hooks.heldCredentialsId()}`, failureError(failure, this.hooks.context()));
        else this.transientAttempts++;
        return delay;
    }

    /**
     * A rate limit closed the session: the wait is the one the rate limits call for, not the
     * ordinary transient backoff (that one starts over at every CONNACK, so it would not grow).
     */
    recordRateLimited(failure: Failure, rateLimitDelay: number): number {
        this.lastFailure = failure;
        return this.retryRequested ? 0 : rateLimitDelay;
    }

    /** Runs `attempt` in `delay` ms, instead of any retry scheduled before. */
    schedule(delay: number, attempt: () => void): void {
        this.cancel();
        this.timer = setTimeout(attempt, delay);
        this.timer.unref();
    }

    cancel(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
    }
}
