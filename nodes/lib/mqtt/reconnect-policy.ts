/**
 * When the next connection attempt starts, by what went wrong (pure: the connection asks,
 * the spec checks every case).
 */
import type { Failure } from './failure';

/** Permanent failures retry slowly: nothing changes by itself, but a server may be fixed. */
export const PERMANENT_RETRY_MS = 60_000;
/** After a session takeover, wait long enough not to kick the other holder back and forth. */
export const CONTENDED_RETRY_MS = 30_000;
/** Transient failures: 1 s doubling to this. */
export const TRANSIENT_MAX_MS = 30_000;

/** Backoff for transient failures: 1 s doubling to 30 s, ±20 % jitter so many nodes do not retry in step. */
export function transientDelay(attempt: number, random: () => number = Math.random): number {
    const base = Math.min(TRANSIENT_MAX_MS, 1000 * 2 ** Math.max(0, attempt));
    return Math.round(base * (0.8 + 0.4 * random()));
}

export interface RetryInput {
    failure: Failure;
    /** transient failures in a row before this one */
    transientAttempts: number;
    /** someone asked for a retry while the attempt ran (identity changed, provisioned) */
    retryRequested: boolean;
    random?: () => number;
}

/** Milliseconds until the next attempt. */
export function retryDelay({ failure, transientAttempts, retryRequested, random }: RetryInput): number {
    if (retryRequested) return 0;
    switch (failure.class) {
        case 'permanent':
            return PERMANENT_RETRY_MS;
        case 'contended':
            return CONTENDED_RETRY_MS;
        default:
            return transientDelay(transientAttempts, random);
    }
}
