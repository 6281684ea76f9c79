import type { EventEmitter } from 'events';
import type { ClientRpcHandlers } from './client-rpc';
import type { DeviceActors } from './device-actors';
import type { MqttPacket } from './packet-codec';
import type { LimitSubject, TransportRateLimiter, TransportRateLimits } from './rate-limits';
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
    /** tenant-profile transport limits at start (reference §9.3) */
    rateLimits: TransportRateLimits;
    /** transport.client_side_rpc.timeout: an unanswered device-to-server RPC gets {"error":"timeout"} after it */
    clientSideRpcTimeoutMs: number;
    /** server-side RPC and shared-attribute subscriptions per device */
    actors: DeviceActors;
    /** tenant-defined answers to device-to-server RPC (default none: the request times out) */
    clientRpc: ClientRpcHandlers;
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
    readonly limiter: TransportRateLimiter;
    /**
     * DefaultTransportService.checkLimits for one message (by default the session device's own); false when over a
     * limit, after the tenant was notified. The caller answers the way its ThingsBoard code path does.
     */
    checkLimits(dataPoints?: number, subject?: LimitSubject): boolean;
    /** the session info's isGateway (since 3.7 it follows device updates; the gateway API does not) */
    sessionIsGateway(): boolean;
}
