import type { EventEmitter } from 'events';
import type { MqttPacket } from './packet-codec';
import type { Release } from './release';
import type { DeviceRecord, TenantStore } from './store';

// What the topic handlers (device topics, gateway, provisioning) may use of an MQTT session.

export interface SessionInfo {
    deviceId: string;
    deviceName: string;
    clientId: string;
    protocolVersion: number;
}

export interface MqttDeps {
    store: TenantStore;
    events: EventEmitter;
    release: Release;
    log: (line: string) => void;
    tls: { key: string; cert: string };
    maxPayloadSize: number;
    provisionResponseCloseMs: number;
    skipValidityCheck: boolean;
}

export type PublishPacket = MqttPacket.IPublishPacket;

export interface SessionContext {
    readonly deps: MqttDeps;
    /** the authenticated device (device sessions only) */
    readonly device: DeviceRecord;
    readonly protocolVersion: number;
    log(line: string): void;
    /** PUBACK when the packet has an id; v3 carries no reason */
    puback(packet: PublishPacket, reason?: number): void;
    /** any packet, encoded for the session's protocol version */
    send(packet: Record<string, unknown>): void;
    /** a downlink JSON publish with the QoS of the matching subscription */
    publish(topic: string, payload: unknown): void;
    /** close the session: v5 DISCONNECT with `reason` first (when the release sends one), v3 a bare close */
    disconnect(reason: number): void;
    /** close without a DISCONNECT packet */
    end(): void;
    /** a timer cleared when the session closes */
    later(fn: () => void, ms: number): void;
}
