/**
 * What goes out on the current session: messages in order of first arrival, written when a
 * session is attached (as fast as the pacer lets them), written again on the next session
 * when one breaks. A QoS 1 message without PUBACK for ackTimeoutMs means the session is
 * broken (ThingsBoard sends none, e.g., for gateway topics on a session that is not a
 * gateway session): the owner is told, with the messages that have had their last send.
 */
import type { CodedError } from '../errors';
import { DeliveryQueue, type CallbackErrorHandler, type DeliveryCallback, type DeliveryEntry } from './delivery-queue';
import { pubackReason } from './failure';
import { fail } from './messages';
import type { Session } from './session';

/** Decides when the next message may go: delayFor 0 = now (then take() its cost), else ms to wait. */
export interface Pacer {
    delayFor(entry: DeliveryEntry, now: number): number;
    take(entry: DeliveryEntry, now: number): void;
}

export interface OutboxHooks {
    onCallbackError: CallbackErrorHandler;
    /** no PUBACK in time: `exhausted` are the messages in flight that were sent maxSends times */
    onStall(exhausted: DeliveryEntry[]): void;
    /** the pacer holds messages back (true) or lets them all go again (false) */
    onPaced(paced: boolean): void;
    /** a message was acknowledged (the rate learner counts good stretches) */
    onDelivered?(): void;
}

export interface OutboxOptions {
    ackTimeoutMs: number;
    maxSends: number;
}

const UNPACED: Pacer = { delayFor: () => 0, take: () => undefined };

export class Outbox {
    readonly queue: DeliveryQueue;
    private session?: Session;
    private generation = 0;
    private pacer: Pacer = UNPACED;
    private pumpTimer?: NodeJS.Timeout;
    private ackTimer?: NodeJS.Timeout;
    private paced = false;

    constructor(
        private readonly hooks: OutboxHooks,
        readonly options: OutboxOptions,
    ) {
        this.queue = new DeliveryQueue(hooks.onCallbackError);
    }

    /** A session to write on. */
    get attached(): boolean {
        return this.session !== undefined;
    }

    /** Messages are held back by the pacer right now. */
    get isPaced(): boolean {
        return this.paced;
    }

    setPacer(pacer: Pacer | undefined): void {
        this.pacer = pacer ?? UNPACED;
        this.pump();
    }

    /** Session `generation` is connected: everything not yet written on it goes out, in order. */
    attach(session: Session, generation: number): void {
        this.session = session;
        this.generation = generation;
        this.pump();
    }

    /**
     * The session is gone: what it had in flight waits for the next one, ahead of newer
     * messages. With `keepInFlight` (a session closing gracefully) nothing new is written, but
     * acknowledgements still due settle their messages until requeueInFlight().
     */
    detach(keepInFlight = false): void {
        this.session = undefined;
        this.clearTimers();
        this.setPaced(false);
        if (!keepInFlight) this.queue.requeueInFlight();
    }

    /**
     * Why a new message of `userId` is refused, if it is: the user's bound on messages that
     * wait (while disconnected, or held back below the server's rate limits) is reached.
     */
    refusal(userId: string, queueSize: number, connected: boolean, server: string): CodedError | undefined {
        if (connected && !this.paced) return undefined;
        const count = this.queue.countFor(userId);
        if (count < queueSize) return undefined;
        return fail(connected ? 'MQTT_QUEUE_FULL_RATE_LIMITED' : 'MQTT_QUEUE_FULL', { count, size: queueSize, server });
    }

    add(userId: string, topic: string, body: string | Buffer, qos: 0 | 1, callback: DeliveryCallback): void {
        const entry = this.queue.enqueue(userId, topic, body, qos, callback);
        if (!this.session || this.pumpTimer) return;
        // unpaced, nothing waits before it (pump() wrote everything): straight out
        if (this.pacer === UNPACED) this.write(entry, Date.now());
        else this.pump();
    }

    /** Writes waiting messages in order while the pacer allows. */
    private pump(): void {
        if (this.pumpTimer) clearTimeout(this.pumpTimer);
        this.pumpTimer = undefined;
        if (!this.session) return;
        const now = Date.now();
        for (;;) {
            const entry = this.queue.firstWaiting(this.generation);
            if (!entry) break;
            const delay = this.pacer.delayFor(entry, now);
            if (delay > 0) {
                this.pumpTimer = setTimeout(() => this.pump(), delay);
                this.pumpTimer.unref();
                this.setPaced(true);
                return;
            }
            this.pacer.take(entry, now);
            this.write(entry, now);
        }
        this.setPaced(false);
    }

    private write(entry: DeliveryEntry, now: number): void {
        const session = this.session as Session;
        const generation = this.generation;
        entry.sentOn = generation;
        entry.sends++;
        entry.sentAt = now;
        if (entry.qos === 1 && !this.ackTimer) this.armAckTimer(this.options.ackTimeoutMs);
        session.publish(entry.topic, entry.body, entry.qos, (err) => {
            if (entry.settled || entry.sentOn !== generation) return;
            if (!err) {
                this.queue.settle(entry);
                this.hooks.onDelivered?.();
                return;
            }
            const reasonCode = (err as { code?: unknown }).code;
            if (typeof reasonCode === 'number' && reasonCode >= 0x80) {
                this.queue.settle(entry, fail('MQTT_PUBLISH_REFUSED', { topic: entry.topic, ...pubackReason(reasonCode) }));
            }
            // any other error means the session is going: the entry is written again on the next one
        });
    }

    private armAckTimer(delay: number): void {
        this.ackTimer = setTimeout(() => this.checkAcks(), Math.max(1, delay));
        this.ackTimer.unref();
    }

    /** The oldest message in flight tells whether the session still acknowledges. */
    private checkAcks(): void {
        this.ackTimer = undefined;
        if (!this.session) return;
        const oldest = this.queue.oldestInFlight(this.generation);
        if (!oldest) return;
        const waited = Date.now() - oldest.sentAt;
        if (waited < this.options.ackTimeoutMs) {
            this.armAckTimer(this.options.ackTimeoutMs - waited);
            return;
        }
        const exhausted = this.queue.inFlight(this.generation).filter((e) => e.qos === 1 && e.sends >= this.options.maxSends);
        this.hooks.onStall(exhausted);
    }

    private setPaced(paced: boolean): void {
        if (paced === this.paced) return;
        this.paced = paced;
        this.hooks.onPaced(paced);
    }

    private clearTimers(): void {
        if (this.pumpTimer) clearTimeout(this.pumpTimer);
        if (this.ackTimer) clearTimeout(this.ackTimer);
        this.pumpTimer = undefined;
        this.ackTimer = undefined;
    }
}

/** Why a message that was sent maxSends times without PUBACK fails: the likely cause by topic. */
export function notAcknowledged(entry: DeliveryEntry, options: OutboxOptions, ctx: { config: string; commonName: string; server: string }) {
    const params = { ...ctx, topic: entry.topic, sends: entry.sends, seconds: Math.round(options.ackTimeoutMs / 1000) };
    return entry.topic.startsWith('v1/gateway/') ? fail('MQTT_GATEWAY_NOT_ACKNOWLEDGED', params) : fail('MQTT_NOT_ACKNOWLEDGED', params);
}
