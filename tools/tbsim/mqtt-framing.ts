import { mqttPacket, type MqttPacket } from './packet-codec';

// MQTT framing: packets are cut from the byte stream here so the size cap applies before the payload is read,
// like Netty's MqttDecoder(maxPayloadSize); mqtt-packet then decodes each whole packet.

export interface FramingEvents {
    packet(packet: MqttPacket.Packet): void;
    /** the stream is not MQTT (bad length, undecodable packet) */
    malformed(reason: string): void;
    /** a packet's remaining length is over the cap */
    tooLarge(remaining: number): void;
}

export class PacketFramer {
    private buffer: Buffer = Buffer.alloc(0);
    private parser!: ReturnType<typeof mqttPacket.parser>;
    private stopped = false;

    constructor(
        private readonly maxRemainingLength: number,
        private readonly on: FramingEvents,
    ) {
        this.setProtocolVersion(4);
    }

    /** CONNECT decides how the following packets are decoded. */
    setProtocolVersion(version: number): void {
        this.parser = mqttPacket.parser({ protocolVersion: version });
        this.parser.on('packet', (p: MqttPacket.Packet) => this.on.packet(p));
        this.parser.on('error', (err: Error) => this.on.malformed(err.message));
    }

    stop(): void {
        this.stopped = true;
    }

    push(chunk: Buffer): void {
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        while (!this.stopped && this.buffer.length >= 2) {
            let remaining = 0;
            let multiplier = 1;
            let index = 1;
            let byte: number;
            do {
                if (index >= this.buffer.length) return; // length bytes not complete yet
                if (index > 4) return this.on.malformed('malformed remaining length');
                byte = this.buffer[index++];
                remaining += (byte & 0x7f) * multiplier;
                multiplier *= 128;
            } while (byte & 0x80);
            if (remaining > this.maxRemainingLength) return this.on.tooLarge(remaining);
            const total = index + remaining;
            if (this.buffer.length < total) return;
            const packet = this.buffer.subarray(0, total);
            this.buffer = this.buffer.subarray(total);
            this.parser.parse(packet);
        }
    }
}
