/**
 * The tb-x509-mqtt-out nodes (and other users) of one connection: tells each the state,
 * warnings once, and logs what their own callbacks throw.
 */
import type { CodedError } from '../errors';

/** Where a user's callback failures go (the node passes its Node-RED log). */
export interface ConnectionLogger {
    error(message: string): void;
}

/** A tb-x509-mqtt-out as the connection sees it. */
export interface ConnectionUser<State> {
    onState(state: State): void;
    onWarning(warning: CodedError): void;
    /** the node's log, for exceptions thrown by its callbacks; without it they go to the console */
    log?: ConnectionLogger;
}

const STATUS_THROTTLE_MS = 250;

export class UserNotifier<State> {
    private readonly users = new Map<string, ConnectionUser<State>>();
    private readonly warned = new Set<string>();
    private statusTimer?: NodeJS.Timeout;
    private idleTimer?: NodeJS.Timeout;

    constructor(private readonly state: () => State) {}

    get size(): number {
        return this.users.size;
    }

    add(userId: string, user: ConnectionUser<State>): void {
        this.users.set(userId, user);
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
    }

    /** Runs `fn` when no user came (back) within `ms`. */
    whenNoneFor(ms: number, fn: () => void): void {
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(() => {
            this.idleTimer = undefined;
            if (this.users.size === 0) fn();
        }, ms);
        this.idleTimer.unref();
    }

    delete(userId: string): void {
        this.users.delete(userId);
    }

    /** Tells one user the current state. */
    tell(userId: string): void {
        const user = this.users.get(userId);
        if (user) this.call(user, () => user.onState(this.state()), 'status');
    }

    /** A warning goes to one user (the first), so it is logged once, not once per node. */
    warn(warning: CodedError): void {
        const first = this.users.values().next().value;
        if (first) this.call(first, () => first.onWarning(warning), 'warning');
    }

    warnOnce(key: string, warning: CodedError): void {
        if (this.warned.has(key)) return;
        this.warned.add(key);
        this.warn(warning);
    }

    /** Queue counts change per message: tell users at most every STATUS_THROTTLE_MS. */
    scheduleState(): void {
        if (this.statusTimer) return;
        this.statusTimer = setTimeout(() => {
            this.statusTimer = undefined;
            this.emitState();
        }, STATUS_THROTTLE_MS);
        this.statusTimer.unref();
    }

    emitState(): void {
        const state = this.state();
        for (const user of this.users.values()) this.call(user, () => user.onState(state), 'status');
    }

    cancelTimers(): void {
        if (this.statusTimer) clearTimeout(this.statusTimer);
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.statusTimer = undefined;
        this.idleTimer = undefined;
    }

    /** Logs an exception a user's callback threw, through that user's log when it is still there. */
    logCallbackError(userId: string | undefined, what: string, err: unknown): void {
        const user = (userId !== undefined ? this.users.get(userId) : undefined) ?? this.users.values().next().value;
        logTo(user, what, err);
    }

    /** A user's callback must not break the connection or the other users: its exception is logged. */
    private call(user: ConnectionUser<State>, fn: () => void, what: string): void {
        try {
            fn();
        } catch (err) {
            logTo(user, what, err);
        }
    }
}

function logTo(user: { log?: ConnectionLogger } | undefined, what: string, err: unknown): void {
    const text = `tb-x509-mqtt-out: the ${what} callback threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    if (user?.log) user.log.error(text);
    else console.error(text);
}
