import * as tls from 'tls';
import { RC } from './mqtt-codes';
import { MqttSession, type SessionRegistry } from './mqtt-session';
import type { MqttDeps, SessionInfo } from './session-context';

// ThingsBoard's MQTT transport over TLS (reference §2, §3.2, §4, §8, §9): the listener and the sessions by device.
// The parts live beside it: mqtt-tls (client chain), mqtt-framing, mqtt-auth (CONNECT), mqtt-session,
// device-topics, gateway-session, provision-session.

export type { MqttDeps, SessionInfo };

export class MqttServer implements SessionRegistry {
    readonly server: tls.Server;
    private readonly connections = new Set<MqttSession>();
    private readonly byDevice = new Map<string, MqttSession>();

    constructor(readonly deps: MqttDeps) {
        this.server = tls.createServer(
            { key: deps.tls.key, cert: deps.tls.cert, requestCert: true, rejectUnauthorized: false },
            (socket) => {
                const session = new MqttSession(socket, this);
                this.connections.add(session);
                socket.once('close', () => this.connections.delete(session));
            },
        );
        this.server.on('tlsClientError', (err) => deps.log(`MQTT TLS handshake failed: ${err.message}`));
        deps.store.on('credentialsChanged', (deviceId: string) => this.kickDevice(deviceId, RC.ADMINISTRATIVE_ACTION));
        deps.store.on('deviceDeleted', (deviceId: string) => this.kickDevice(deviceId, RC.ADMINISTRATIVE_ACTION));
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

    close(): Promise<void> {
        return new Promise((resolve) => {
            this.server.close(() => resolve());
            for (const c of this.connections) c.destroy();
        });
    }
}
