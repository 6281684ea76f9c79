/**
 * One MQTT session: the mqtt.js client of one connection attempt, from CONNECT until the
 * socket closes. The shared connection makes a new one for every attempt.
 */
import * as mqtt from 'mqtt';
import { endClient, errorText } from './client-options';
import type { Failure } from './failure';
import { CorkedWriter } from './corked-writer';

/** How the session ended, for classification. */
export interface SessionEnd {
    /** the first error mqtt.js reported (socket, TLS, CONNACK refusal) */
    error?: unknown;
    /** reason code of a DISCONNECT the server sent (MQTT 5) */
    serverDisconnect?: number;
}

export interface SessionHandlers {
    onConnect(): void;
    /** once, when the socket closed (not after end()) */
    onClose(end: SessionEnd): void;
    onMessage?: (topic: string, payload: Buffer) => void;
}

/** Publish options, shared by every message (mqtt.js copies them; no object per message). */
const QOS_0: mqtt.IClientPublishOptions = Object.freeze({ qos: 0 });
const QOS_1: mqtt.IClientPublishOptions = Object.freeze({ qos: 1 });

export class Session {
    private readonly client: mqtt.MqttClient;
    private readonly writer = new CorkedWriter();
    private ended = false;

    /** Throws when mqtt.js refuses the options at once (e.g. a key that does not fit the certificate). */
    constructor(options: mqtt.IClientOptions, handlers: SessionHandlers) {
        const client = mqtt.connect(options);
        this.client = client;
        const end: SessionEnd = {};
        client.on('error', (err) => {
            end.error ??= err;
        });
        client.on('disconnect', (packet) => {
            end.serverDisconnect = packet.reasonCode ?? 0;
        });
        client.on('connect', () => {
            // A reply (e.g. to an RPC) is written turns after mqtt.js's PUBACK of the request: with Nagle on,
            // it would wait for the server's delayed ACK of that PUBACK (40 ms on Linux). ThingsBoard's Netty
            // transport has TCP_NODELAY on by default.
            (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
            if (!this.ended) handlers.onConnect();
        });
        if (handlers.onMessage) {
            const onMessage = handlers.onMessage;
            client.on('message', (topic, payload) => {
                if (!this.ended) onMessage(topic, payload);
            });
        }
        client.on('close', () => {
            if (this.ended) return;
            this.ended = true;
            client.end(true);
            handlers.onClose(end);
        });
    }

    /** `done` gets mqtt.js's answer: nothing for PUBACK/written, an error with `code` for a refusal or a lost session. */
    publish(topic: string, body: string | Buffer, qos: 0 | 1, done: (err?: Error) => void): void {
        this.writer.batch(this.client);
        this.client.publish(topic, body, qos === 1 ? QOS_1 : QOS_0, done);
    }

    subscribe(topic: string, done: (err?: Error | null) => void): void {
        this.client.subscribe(topic, { qos: 1 }, (err) => done(err ?? undefined));
    }

    /** Ends the session at once; its handlers are not called any more. */
    drop(): void {
        if (this.ended) return;
        this.ended = true;
        this.client.end(true);
    }

    /** Ends the session, waiting up to `graceMs` for acknowledgements still due. */
    async close(graceMs: number): Promise<void> {
        this.ended = true;
        await endClient(this.client, graceMs);
    }
}

/** A new session, or the failure when mqtt.js refuses the options at once (e.g. a key that does not fit the certificate). */
export function openSession(options: mqtt.IClientOptions, handlers: SessionHandlers): Session | Failure {
    try {
        return new Session(options, handlers);
    } catch (err) {
        return { class: 'permanent', status: 'mqtt-identity-unusable', detail: errorText(err) };
    }
}
