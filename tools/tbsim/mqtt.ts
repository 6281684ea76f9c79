import type { AddressInfo } from 'net';
import * as tls from 'tls';
import { ChainOrderRelay } from './chain-order-relay';
import { listenOn } from './listen';
import { RC } from './mqtt-codes';
import { MqttSession, type SessionRegistry } from './mqtt-session';
import { TransportRateLimiter, type LimitHit, type TransportRateLimits } from './rate-limits';
import type { MqttDeps, SessionInfo } from './session-context';

// ThingsBoard's MQTT transport over TLS (reference §2, §3.2, §4, §8, §9): the listener and the sessions by device.
// The parts live beside it: mqtt-tls (client chain), mqtt-framing, mqtt-auth (CONNECT), mqtt-session,
// device-topics, gateway-session, provision-session.

export type { MqttDeps, SessionInfo, TransportRateLimits };

/** One rejected message, as ThingsBoard's RateLimitsTrigger notifies the tenant of it (DefaultTransportService.checkLimits). */
export interface RateLimitViolation extends LimitHit {
    ts: number;
    tenantId: string;
    /** the device's name (limitLevelEntityName); undefined for a tenant-level limit */
    entityName?: string;
}

export class MqttServer implements SessionRegistry {
    /** the TLS listener itself, on a loopback port only the relay dials */
    readonly server: tls.Server;
    /** what clients dial: checks the order of the client's chain, then relays to `server` */
    readonly relay: ChainOrderRelay;
    private readonly connections = new Set<MqttSession>();
    private readonly byDevice = new Map<string, MqttSession>();
    readonly limiter: TransportRateLimiter;
    private readonly violations: RateLimitViolation[] = [];

    constructor(readonly deps: MqttDeps) {
        this.limiter = new TransportRateLimiter(
            deps.rateLimits,
            { gatewayLimits: deps.release.has('gatewayRateLimits'), subDevicesSkipDeviceLimits: deps.release.has('subDevicesSkipDeviceLimits') },
            deps.store.tenantId,
        );
        this.server = tls.createServer(
            // TLS 1.2 at most, so the relay can read the client's Certificate message (see chain-order-relay.ts)
            { key: deps.tls.key, cert: deps.tls.cert, requestCert: true, rejectUnauthorized: false, maxVersion: 'TLSv1.2' },
            (socket) => {
                const session = new MqttSession(socket, this);
                this.connections.add(session);
                socket.once('close', () => this.connections.delete(session));
            },
        );
        this.relay = new ChainOrderRelay(() => ({ host: '127.0.0.1', port: (this.server.address() as AddressInfo).port }), deps.log);
        this.server.on('tlsClientError', (err) => deps.log(`MQTT TLS handshake failed: ${err.message}`));
        deps.store.on('credentialsChanged', (deviceId: string) => this.kickDevice(deviceId, RC.ADMINISTRATIVE_ACTION));
        deps.store.on('deviceDeleted', (deviceId: string) => this.kickDevice(deviceId, RC.ADMINISTRATIVE_ACTION));
    }

    /** Every rejected message so far, oldest first; each was also emitted as events 'rateLimit'. */
    rateLimitViolations(): RateLimitViolation[] {
        return this.violations.map((v) => ({ ...v }));
    }

    rateLimited(hit: LimitHit, deviceName: string | undefined): void {
        const violation: RateLimitViolation = { ...hit, ts: Date.now(), tenantId: this.deps.store.tenantId, entityName: deviceName };
        this.violations.push(violation);
        this.deps.events.emit('rateLimit', { ...violation });
    }

    sessions(): SessionInfo[] {
        return [...this.byDevice.values()].map((c) => c.info as SessionInfo);
    }

    /** max_concurrent_sessions_per_device = 1: the newer session closes the older one. */
    register(session: MqttSession, deviceId: string): void {
        const older = this.byDevice.get(deviceId);
        this.byDevice.set(deviceId, session);
        if (older && older !== session) older.kick(RC.SESSION_TAKEN_OVER);
    }

    unregister(session: MqttSession, deviceId: string): void {
        if (this.byDevice.get(deviceId) === session) this.byDevice.delete(deviceId);
    }

    kickDevice(deviceId: string, reason: number): void {
        this.byDevice.get(deviceId)?.kick(reason);
    }

    /** A test hook: `payload` as it is on the device's own session, QoS 1; false without a session. */
    publishRaw(deviceId: string, topic: string, payload: Buffer): boolean {
        const session = this.byDevice.get(deviceId);
        if (!session) return false;
        session.send({ cmd: 'publish', topic, payload, qos: 1, messageId: Math.floor(Math.random() * 65534) + 1, retain: false, dup: false });
        return true;
    }

    /** Listens on `port`/`host` for clients (0 = any free port) and returns the port. */
    async listen(port: number, host: string): Promise<number> {
        await listenOn(this.server, 0, '127.0.0.1');
        try {
            return await listenOn(this.relay.server, port, host);
        } catch (err) {
            this.server.close();
            throw err;
        }
    }

    close(): Promise<void> {
        return Promise.all([
            this.relay.close(),
            new Promise<void>((resolve) => {
                this.server.close(() => resolve());
                for (const c of this.connections) c.destroy();
            }),
        ]).then(() => undefined);
    }
}

