import type * as mqtt from 'mqtt';

type CorkableStream = NodeJS.WritableStream & { cork?(): void; uncork?(): void };

/**
 * Node-RED hands each msg to the node in its own setImmediate callback, and mqtt.js
 * uncorks the socket on the next tick, so every publish would become its own TLS record
 * and write syscall. Keeping the socket corked until the next turn of the event loop sends
 * all publishes of one turn together (a bare client publishing in a loop gets that for free).
 */
export class CorkedWriter {
    private corked = false;

    /** Call before each publish on `client`. */
    batch(client: mqtt.MqttClient): void {
        if (this.corked) return;
        const stream = client.stream as CorkableStream | undefined;
        if (!stream || typeof stream.cork !== 'function' || typeof stream.uncork !== 'function') return;
        this.corked = true;
        stream.cork();
        setImmediate(() => {
            this.corked = false;
            stream.uncork?.();
        });
    }
}
