/**
 * Requests a device (or gateway) makes on its connection and the answers ThingsBoard sends back:
 * attribute requests, client-side RPC, gateway attribute requests. One tracker per connection, so
 * request ids are unique on it; the request is an ordinary QoS 1 message of the connection's outbox
 * (it queues while the connection is down and fails by the same rules), and the timeout runs from
 * its PUBACK, so a request waiting for the connection is not counted as unanswered.
 */
import type { CodedError } from '../errors';
import { fail } from './messages';
import type { DeliveryCallback } from './delivery-queue';
import type { InboundHandler } from './subscriptions';
import { answerId, requestTopic, RESPONSE_FILTERS, type RequestKind } from '../thingsboard/rpc-topics';

/** The part of SharedConnection a tracker uses. */
export interface RequestConnection {
    readonly server: string;
    listen(userId: string, filter: string, handler: InboundHandler): void;
    publish(userId: string, request: { topic: string; body: string; qos: 1; queueSize: number }, callback: DeliveryCallback): void;
}

export interface RequestOptions {
    kind: RequestKind;
    /** the request body without its id (the gateway form gets `id` added) */
    body: Record<string, unknown>;
    timeoutMs: number;
    queueSize: number;
}

interface Pending {
    userId: string;
    done: (err: CodedError | Error | undefined, answer?: Buffer) => void;
    timer?: NodeJS.Timeout;
}

/** The tracker's own user id on the connection (its listeners live as long as the connection). */
const TRACKER_USER = '\u0000requests';

export class RequestTracker {
    private nextId = 1;
    private readonly pending = new Map<string, Pending>();
    private listening = false;

    constructor(private readonly connection: RequestConnection) {}

    /** Sends one request; `done` runs once: the answer's raw payload, or an error (not sent, refused, timed out). */
    send(userId: string, options: RequestOptions, done: (err: Error | undefined, answer?: Buffer) => void): void {
        this.listen();
        const id = this.nextId++;
        const key = `${options.kind === 'gateway-attributes' ? 'gw' : options.kind}:${id}`;
        const entry: Pending = { userId, done };
        this.pending.set(key, entry);
        const body = options.kind === 'gateway-attributes' ? { id, ...options.body } : options.body;
        const topic = requestTopic(options.kind, id);
        this.connection.publish(userId, { topic, body: JSON.stringify(body), qos: 1, queueSize: options.queueSize }, (err) => {
            if (!this.pending.has(key)) return;
            if (err) {
                this.finish(key, err);
                return;
            }
            entry.timer = setTimeout(() => {
                this.finish(key, fail('MQTT_REQUEST_TIMEOUT', { seconds: options.timeoutMs / 1000, topic, server: this.connection.server }));
            }, options.timeoutMs);
            entry.timer.unref();
        });
    }

    /** The node closed: its requests are forgotten (their messages were dropped from the queue, or their answer has nobody to go to). */
    forget(userId: string): void {
        for (const [key, entry] of this.pending) {
            if (entry.userId !== userId) continue;
            if (entry.timer) clearTimeout(entry.timer);
            this.pending.delete(key);
        }
    }

    /** Requests still waiting, for tests and status. */
    get waiting(): number {
        return this.pending.size;
    }

    private listen(): void {
        if (this.listening) return;
        this.listening = true;
        for (const filter of RESPONSE_FILTERS) this.connection.listen(TRACKER_USER, filter, (topic, payload) => this.onAnswer(topic, payload));
    }

    private onAnswer(topic: string, payload: Buffer): void {
        const key = answerId(topic, payload);
        if (key === undefined) return;
        this.finish(key, undefined, payload);
    }

    private finish(key: string, err: Error | undefined, answer?: Buffer): void {
        const entry = this.pending.get(key);
        if (!entry) return;
        this.pending.delete(key);
        if (entry.timer) clearTimeout(entry.timer);
        entry.done(err, answer);
    }
}

const trackers = new WeakMap<RequestConnection, RequestTracker>();

/** The connection's one tracker. */
export function requestsOf(connection: RequestConnection): RequestTracker {
    let tracker = trackers.get(connection);
    if (!tracker) {
        tracker = new RequestTracker(connection);
        trackers.set(connection, tracker);
    }
    return tracker;
}
