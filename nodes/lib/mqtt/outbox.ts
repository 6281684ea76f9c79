/**
 * What goes out on the current session: messages in order of first arrival, written when a
 * session is attached, written again on the next session when one breaks.
 */
import { DeliveryQueue, type CallbackErrorHandler, type DeliveryCallback, type DeliveryEntry } from './delivery-queue';
import { pubackReason } from './failure';
import { fail } from './messages';
import type { Session } from './session';

export class Outbox {
    readonly queue: DeliveryQueue;
    private session?: Session;
    private generation = 0;

    constructor(onCallbackError: CallbackErrorHandler) {
        this.queue = new DeliveryQueue(onCallbackError);
    }

    /** A session to write on. */
    get attached(): boolean {
        return this.session !== undefined;
    }

    /** Session `generation` is connected: everything not yet written on it goes out, in order. */
    attach(session: Session, generation: number): void {
        this.session = session;
        this.generation = generation;
        for (const entry of this.queue.pending()) {
            if (entry.sentOn !== generation) this.write(entry);
        }
    }

    /**
     * The session is gone: what it had in flight waits for the next one, ahead of newer
     * messages. With `keepInFlight` (a session closing gracefully) nothing new is written, but
     * acknowledgements still due settle their messages until requeueInFlight().
     */
    detach(keepInFlight = false): void {
        this.session = undefined;
        if (!keepInFlight) this.queue.requeueInFlight();
    }

    add(userId: string, topic: string, body: string | Buffer, qos: 0 | 1, callback: DeliveryCallback): void {
        const entry = this.queue.enqueue(userId, topic, body, qos, callback);
        if (this.session) this.write(entry);
    }

    private write(entry: DeliveryEntry): void {
        const session = this.session as Session;
        const generation = this.generation;
        entry.sentOn = generation;
        session.publish(entry.topic, entry.body, entry.qos, (err) => {
            if (entry.settled || entry.sentOn !== generation) return;
            if (!err) {
                this.queue.settle(entry);
                return;
            }
            const reasonCode = (err as { code?: unknown }).code;
            if (typeof reasonCode === 'number' && reasonCode >= 0x80) {
                this.queue.settle(entry, fail('MQTT_PUBLISH_REFUSED', { topic: entry.topic, ...pubackReason(reasonCode) }));
            }
            // any other error means the session is going: the entry is written again on the next one
        });
    }
}
