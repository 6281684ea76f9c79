import type * as tls from 'tls';
import { authenticateCertificate, authenticateToken, type AuthOutcome } from './mqtt-auth';
import { PROVISION_RESPONSE, RC, v3ConnackCode } from './mqtt-codes';
import { PacketFramer } from './mqtt-framing';
import { acceptPresentedChain } from './mqtt-tls';
import { SessionDownlink } from './device-link';
import { handleDevicePublish } from './device-topics';
import { gatewayFlag } from './gateway-flag';
import { GatewaySession } from './gateway-session';
import { mqttPacket, type MqttPacket } from './packet-codec';
import { handleProvisionPublish } from './provision-session';
import type { LimitHit, LimitSubject, TransportRateLimiter } from './rate-limits';
import type { MqttDeps, PublishPacket, SessionContext, SessionInfo } from './session-context';
import type { DeviceRecord } from './store';
import { Subscriptions } from './subscriptions';

// One MQTT connection of ThingsBoard's transport (reference §2.3–2.6): CONNECT, the session's lifecycle and the
// packets every session type shares; the topics themselves are handled in device-topics, gateway-session and
// provision-session.

/** What a session needs from the server: max_concurrent_sessions_per_device bookkeeping. */
export interface SessionRegistry {
    readonly deps: MqttDeps;
    readonly limiter: TransportRateLimiter;
    /** notificationRuleProcessor.process(RateLimitsTrigger): the tenant hears of every rejected message */
    rateLimited(hit: LimitHit, deviceName: string | undefined): void;
    register(session: MqttSession, deviceId: string): void;
    unregister(session: MqttSession, deviceId: string): void;
}

type Packet = MqttPacket.Packet;


export class MqttSession implements SessionContext {
    private readonly framer: PacketFramer;
    protocolVersion = 4;
    private state: 'connecting' | 'device' | 'provision' | 'closed' = 'connecting';
    private authenticated?: DeviceRecord;
    info?: SessionInfo;
    private clientId = '';
    private readonly subscriptions = new Subscriptions();
    /** set once at CONNECT when the device is marked "Is gateway" (MTH checkGatewaySession) */
    private gateway?: GatewaySession;
    /** the session's own RPC and attribute pushes (device sessions only) */
    private downlink?: SessionDownlink;
    private timers: NodeJS.Timeout[] = [];
    private keepaliveMs = 0;
    private lastSeen = Date.now();

    constructor(
        private readonly socket: tls.TLSSocket,
        private readonly owner: SessionRegistry,
    ) {
        this.framer = new PacketFramer(owner.deps.maxPayloadSize, {
            packet: (p) => this.onPacket(p),
            malformed: (reason) => this.protocolError(reason),
            tooLarge: (remaining) => {
                this.log(`packet of ${remaining} bytes exceeds max payload size ${this.deps.maxPayloadSize}: closing`);
                this.disconnect(RC.MALFORMED);
            },
        });
        socket.on('error', (err: Error) => this.log(`socket error: ${err.message}`));
        socket.on('close', () => this.onClose());
        if (!acceptPresentedChain(socket, this.deps.store, (line) => this.log(line))) {
            socket.destroy();
            return;
        }
        socket.on('data', (chunk: Buffer) => {
            this.lastSeen = Date.now();
            this.framer.push(chunk);
        });
    }

    get deps(): MqttDeps {
        return this.owner.deps;
    }

    get limiter(): TransportRateLimiter {
        return this.owner.limiter;
    }

    get device(): DeviceRecord {
        if (!this.authenticated) throw new Error('not a device session');
        return this.authenticated;
    }

    log(line: string): void {
        this.deps.log(`MQTT ${this.clientId || '-'}: ${line}`);
    }

    later(fn: () => void, ms: number): void {
        this.timers.push(setTimeout(fn, ms).unref());
    }

    // ------------------------------------------------------------------ output and closing
    send(packet: Record<string, unknown>): void {
        if (this.state === 'closed' || this.socket.destroyed) return;
        this.socket.write(mqttPacket.generate(packet as unknown as Packet, { protocolVersion: this.protocolVersion }));
    }

    private protocolError(reason: string): void {
        this.log(`protocol error: ${reason}`);
        this.end();
    }

    /** v5 gets DISCONNECT with the reason first (since 3.7, MTH closeCtx); v3 just loses the connection. */
    disconnect(reason: number): void {
        if (this.sendsDisconnect() && this.state !== 'connecting') this.send({ cmd: 'disconnect', reasonCode: reason });
        this.end();
    }

    private sendsDisconnect(): boolean {
        return this.protocolVersion === 5 && this.deps.release.has('mqtt5DisconnectReason');
    }

    sessionIsGateway(): boolean {
        if (!this.authenticated) return false;
        if (!this.deps.release.has('gatewayRateLimits')) return this.gateway !== undefined;
        return gatewayFlag((this.deps.store.getDevice(this.authenticated.id) ?? this.authenticated).additionalInfo);
    }

    checkLimits(dataPoints = 0, subject?: LimitSubject): boolean {
        const own: LimitSubject = { deviceId: this.device.id, isGateway: this.sessionIsGateway() };
        const hit = this.limiter.check(subject ?? own, dataPoints);
        if (!hit) return true;
        const name = hit.entityId === this.device.id ? this.device.name : this.deps.store.getDevice(hit.entityId)?.name;
        this.log(`${hit.api} rate limit exceeded (${hit.level} ${hit.entityId})`);
        this.owner.rateLimited(hit, hit.level === 'tenant' ? undefined : name);
        return false;
    }

    kick(reason: number): void {
        this.log(`session closed by server (reason 0x${reason.toString(16)})`);
        this.disconnect(reason);
    }

    end(): void {
        if (this.state === 'closed') return;
        this.state = 'closed';
        this.framer.stop();
        this.socket.end();
        // A client that does not close its side must not keep the socket (and tbsim.stop()) waiting.
        this.later(() => this.socket.destroy(), 1000);
    }

    destroy(): void {
        this.state = 'closed';
        this.framer.stop();
        this.socket.destroy();
    }

    private onClose(): void {
        const wasDevice = this.info;
        this.state = 'closed';
        this.framer.stop();
        for (const t of this.timers) clearTimeout(t);
        this.downlink?.close();
        this.gateway?.close();
        if (this.authenticated) {
            this.owner.unregister(this, this.authenticated.id);
            // the session's close event (SESSION_EVENT_MSG_CLOSED) counts too; its failure is ignored (callback null)
            if (this.info) this.checkLimits();
        }
        if (wasDevice) this.deps.events.emit('disconnect', wasDevice);
    }

    // ------------------------------------------------------------------ packets
    private onPacket(packet: Packet): void {
        try {
            this.handlePacket(packet);
        } catch (err) {
            // A processing failure closes the session (v5: DISCONNECT 0x83) and never takes the server down.
            this.log(`failed to process ${packet.cmd}: ${(err as Error).stack ?? String(err)}`);
            this.disconnect(RC.IMPLEMENTATION_SPECIFIC);
        }
    }

    private handlePacket(packet: Packet): void {
        if (this.state === 'closed') return;
        if (this.state === 'connecting') {
            if (packet.cmd !== 'connect') return this.protocolError(`${packet.cmd} before CONNECT`);
            return this.onConnect(packet);
        }
        switch (packet.cmd) {
            case 'publish':
                if (this.state === 'provision') return handleProvisionPublish(this, packet, this.subscriptions.qosFor(PROVISION_RESPONSE) ?? 0);
                return handleDevicePublish(this, packet, this.gateway);
            case 'subscribe':
                return this.onSubscribe(packet);
            case 'unsubscribe':
                this.subscriptions.remove(packet.unsubscriptions);
                this.downlink?.unsubscribe(packet.unsubscriptions);
                return this.send({ cmd: 'unsuback', messageId: packet.messageId, granted: packet.unsubscriptions.map(() => 0) });
            case 'pingreq':
                return this.send({ cmd: 'pingresp' });
            case 'disconnect':
                return this.end();
            case 'puback':
            case 'pubrec':
            case 'pubrel':
            case 'pubcomp':
                return;
            default:
                return this.protocolError(`unexpected ${packet.cmd}`);
        }
    }

    private onConnect(packet: MqttPacket.IConnectPacket): void {
        this.protocolVersion = packet.protocolVersion === 5 ? 5 : 4;
        this.framer.setProtocolVersion(this.protocolVersion);
        this.clientId = packet.clientId ?? '';
        const sessionPresent = !packet.clean; // ThingsBoard quirk, even on refusal
        this.startKeepalive(packet.keepalive ?? 0);
        const username = packet.username;
        const password = packet.password === undefined ? undefined : Buffer.from(packet.password).toString('utf8');

        if (username === 'provision' || this.clientId === 'provision') {
            this.state = 'provision';
            this.connack(RC.SUCCESS, sessionPresent);
            return;
        }

        const leaf = this.socket.getPeerX509Certificate();
        const result: AuthOutcome = leaf
            ? authenticateCertificate(this.deps.store, leaf, this.deps.skipValidityCheck, (line) => this.log(line))
            : authenticateToken(this.deps.store, this.clientId, username, password);
        if ('refuse' in result) {
            this.connack(result.refuse, sessionPresent);
            if (this.sendsDisconnect()) this.send({ cmd: 'disconnect', reasonCode: result.refuse });
            this.end();
            return;
        }
        this.authenticated = result.device;
        // The session-open event is a message too (onValidateDeviceResponse): over a limit CONNECT is refused.
        if (!this.checkLimits()) {
            const rateRefusal = this.deps.release.has('mqtt5DisconnectReason');
            this.connack(rateRefusal ? RC.CONNECTION_RATE_EXCEEDED : RC.SERVER_UNAVAILABLE, sessionPresent);
            if (this.sendsDisconnect()) this.send({ cmd: 'disconnect', reasonCode: RC.MESSAGE_RATE_TOO_HIGH });
            this.end();
            return;
        }
        this.state = 'device';
        if (gatewayFlag(result.device.additionalInfo)) this.gateway = new GatewaySession(this);
        this.downlink = new SessionDownlink(this, this.deps.actors);
        this.info = {
            deviceId: result.device.id,
            deviceName: result.device.name,
            clientId: this.clientId,
            protocolVersion: packet.protocolVersion ?? 4,
        };
        this.owner.register(this, result.device.id);
        this.connack(RC.SUCCESS, sessionPresent);
        this.deps.events.emit('connect', this.info);
    }

    private connack(reason: number, sessionPresent: boolean): void {
        if (this.protocolVersion === 5) this.send({ cmd: 'connack', reasonCode: reason, sessionPresent });
        else this.send({ cmd: 'connack', returnCode: v3ConnackCode(reason), sessionPresent });
        const code = this.protocolVersion === 5 ? reason : v3ConnackCode(reason);
        this.deps.events.emit('connack', code, { clientId: this.clientId, protocolVersion: this.protocolVersion });
        if (reason !== RC.SUCCESS) this.log(`CONNACK refused with ${code}`);
    }

    private startKeepalive(seconds: number): void {
        if (seconds <= 0) return;
        this.keepaliveMs = seconds * 1500;
        const check = (): void => {
            if (this.state === 'closed') return;
            if (Date.now() - this.lastSeen > this.keepaliveMs) {
                this.log('keepalive expired');
                this.socket.destroy();
                return;
            }
            this.later(check, this.keepaliveMs);
        };
        this.later(check, this.keepaliveMs);
    }

    private onSubscribe(packet: MqttPacket.ISubscribePacket): void {
        // subscribing to attribute updates or RPC is a message to the device actor; over a limit it is dropped
        // silently (callback null) and the SUBACK still grants it
        const granted = this.subscriptions.grant(packet.subscriptions, {
            provision: this.state === 'provision',
            protocolVersion: this.protocolVersion,
            onUpdateSubscription: (filter) => {
                if (this.checkLimits()) this.downlink?.subscribe(filter);
            },
        });
        this.send({ cmd: 'suback', messageId: packet.messageId, granted });
    }

    /** PUBACK whenever there is a packet id (so QoS 2 gets a PUBACK too, as in ThingsBoard); v3 carries no reason. */
    puback(packet: PublishPacket, reason: number = RC.SUCCESS): void {
        if (!packet.messageId) return;
        if (this.protocolVersion === 5) this.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: reason });
        else this.send({ cmd: 'puback', messageId: packet.messageId });
    }

    /** Sent whether or not the client subscribed, at the subscription's QoS or else 1 (getQoSForTopic). */
    publish(topic: string, payload: unknown): void {
        const qos = this.subscriptions.qosFor(topic) ?? 1;
        this.send({
            cmd: 'publish',
            topic,
            payload: Buffer.from(JSON.stringify(payload)),
            qos,
            messageId: qos > 0 ? Math.floor(Math.random() * 65534) + 1 : undefined,
            retain: false,
            dup: false,
        });
    }
}
