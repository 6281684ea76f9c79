import { X509Certificate } from 'crypto';
import type { EventEmitter } from 'events';
import * as tls from 'tls';
import { mqttPacket, type MqttPacket } from './packet-codec';
import { leafCredentialsId, sha3OfParts } from './hash';
import {
    InvalidPayload,
    parseAttributes,
    parseGatewayAttributes,
    parseGatewayDevice,
    parseGatewayTelemetry,
    parseJsonObject,
    parseTelemetry,
} from './payloads';
import { provisionByChain } from './chain-provision';
import { provisionDevice } from './provision';
import type { CredentialsRecord, DeviceRecord, TenantStore } from './store';
import type { Release } from './release';

// ThingsBoard's MQTT transport over TLS (reference §2, §3.2, §4, §8): CONNECT rules, CONNACK/PUBACK/DISCONNECT codes,
// one session per device, payload cap, provisioning sessions. Framing is done here so the size cap applies before
// the payload is read, like Netty's MqttDecoder; mqtt-packet decodes and encodes the packets themselves.

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

/** MQTT 5 reason codes used by ThingsBoard (MqttReasonCodes, ReturnCodeResolver). */
const RC = {
    SUCCESS: 0x00,
    UNSPECIFIED: 0x80,
    MALFORMED: 0x81,
    IMPLEMENTATION_SPECIFIC: 0x83,
    CLIENT_ID_NOT_VALID: 0x85,
    BAD_USER_NAME_OR_PASSWORD: 0x86,
    NOT_AUTHORIZED: 0x87,
    SESSION_TAKEN_OVER: 0x8e,
    TOPIC_FILTER_INVALID: 0x8f,
    TOPIC_NAME_INVALID: 0x90,
    ADMINISTRATIVE_ACTION: 0x98,
    PAYLOAD_FORMAT_INVALID: 0x99,
} as const;

/** MQTT 3.1.1 CONNACK return code for an MQTT 5 reason (ReturnCodeResolver). */
function v3ConnackCode(reason: number): number {
    switch (reason) {
        case RC.SUCCESS:
            return 0;
        case RC.CLIENT_ID_NOT_VALID:
            return 2;
        case 0x88:
        case 0x9f:
            return 3;
        default:
            return 5; // 0x86 and 0x87 both become "not authorised" for 3.1.1
    }
}

const TELEMETRY_TOPICS = new Set(['v1/devices/me/telemetry', 'v2/t', 'v2/t/j']);
const ATTRIBUTES_TOPICS = new Set(['v1/devices/me/attributes', 'v2/a', 'v2/a/j']);
const DEVICE_FILTERS = new Set([
    'v1/devices/me/attributes',
    'v1/devices/me/attributes/response/+',
    'v1/devices/me/rpc/request/+',
    'v1/devices/me/rpc/response/+',
    'v2/a',
    'v2/a/j',
    'v2/a/res/+',
    'v2/a/j/res/+',
    'v2/r/req/+',
    'v2/r/j/req/+',
    'v2/r/res/+',
    'v2/r/j/res/+',
    'v1/gateway/attributes',
    'v1/gateway/attributes/response',
    'v1/gateway/rpc',
]);
const PROVISION_REQUEST = '/provision/request';
const PROVISION_RESPONSE = '/provision/response';

export class MqttServer {
    readonly server: tls.Server;
    private readonly connections = new Set<Connection>();
    private readonly byDevice = new Map<string, Connection>();

    constructor(readonly deps: MqttDeps) {
        this.server = tls.createServer(
            { key: deps.tls.key, cert: deps.tls.cert, requestCert: true, rejectUnauthorized: false },
            (socket) => {
                const connection = new Connection(socket, this);
                this.connections.add(connection);
                socket.once('close', () => this.connections.delete(connection));
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
    register(connection: Connection, deviceId: string): void {
        const older = this.byDevice.get(deviceId);
        this.byDevice.set(deviceId, connection);
        if (older && older !== connection) older.kick(RC.SESSION_TAKEN_OVER);
    }

    unregister(connection: Connection, deviceId: string): void {
        if (this.byDevice.get(deviceId) === connection) this.byDevice.delete(deviceId);
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

type Packet = MqttPacket.Packet;

class Connection {
    private buffer: Buffer = Buffer.alloc(0);
    private parser = mqttPacket.parser({ protocolVersion: 4 });
    private protocolVersion = 4;
    private state: 'connecting' | 'device' | 'provision' | 'closed' = 'connecting';
    private device?: DeviceRecord;
    info?: SessionInfo;
    private clientId = '';
    private readonly subscriptions = new Map<string, number>();
    private readonly gatewayDevices = new Map<string, string>();
    private timers: NodeJS.Timeout[] = [];
    private keepaliveMs = 0;
    private lastSeen = Date.now();

    constructor(
        private readonly socket: tls.TLSSocket,
        private readonly owner: MqttServer,
    ) {
        socket.on('error', (err) => this.log(`socket error: ${err.message}`));
        socket.on('close', () => this.onClose());
        this.parser.on('packet', (p: Packet) => this.onPacket(p));
        this.parser.on('error', (err: Error) => this.protocolError(err.message));
        const chain = this.presentedChain();
        if (!Connection.linksVerify(chain)) {
            // ThingsBoard's trust manager fails the handshake here; the nearest a Node server can do is drop it now.
            this.log('client certificate chain does not verify link by link: closing');
            socket.destroy();
            return;
        }
        if (chain.length > 0) {
            try {
                const outcome = provisionByChain(this.deps.store, chain);
                if (outcome !== 'none' && outcome !== 'known') this.log(`X.509 chain provisioning: ${outcome}`);
            } catch (err) {
                // ThingsBoard logs the failure and lets the handshake succeed; CONNECT then decides.
                this.log(`X.509 chain provisioning failed: ${(err as Error).message}`);
            }
        }
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }

    private get deps(): MqttDeps {
        return this.owner.deps;
    }

    private log(line: string): void {
        this.deps.log(`MQTT ${this.clientId || '-'}: ${line}`);
    }

    // ------------------------------------------------------------------ TLS
    /**
     * The chain Node rebuilt from what the client sent, leaf first (Node links certificates by issuer name, so it
     * shows neither the sending order nor certificates that link to nothing).
     */
    private presentedChain(): X509Certificate[] {
        const peer = this.socket.getPeerCertificate(true);
        if (!peer || !peer.raw) return [];
        const chain: X509Certificate[] = [];
        const seen = new Set<tls.DetailedPeerCertificate>();
        let cert: tls.DetailedPeerCertificate | undefined = peer;
        while (cert && !seen.has(cert)) {
            seen.add(cert);
            chain.push(new X509Certificate(cert.raw));
            cert = cert.issuerCertificate && cert.issuerCertificate !== cert ? cert.issuerCertificate : undefined;
        }
        return chain;
    }

    /** Each certificate of the presented chain must be signed by the next one (ThingsBoard's only handshake check). */
    private static linksVerify(chain: X509Certificate[]): boolean {
        for (let i = 0; i + 1 < chain.length; i++) {
            try {
                if (!chain[i].verify(chain[i + 1].publicKey)) return false;
            } catch {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ framing
    private onData(chunk: Buffer): void {
        this.lastSeen = Date.now();
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        while (this.state !== 'closed' && this.buffer.length >= 2) {
            let remaining = 0;
            let multiplier = 1;
            let index = 1;
            let byte: number;
            do {
                if (index >= this.buffer.length) return; // length bytes not complete yet
                if (index > 4) return this.protocolError('malformed remaining length');
                byte = this.buffer[index++];
                remaining += (byte & 0x7f) * multiplier;
                multiplier *= 128;
            } while (byte & 0x80);
            if (remaining > this.deps.maxPayloadSize) {
                this.log(`packet of ${remaining} bytes exceeds max payload size ${this.deps.maxPayloadSize}: closing`);
                return this.disconnect(RC.MALFORMED);
            }
            const total = index + remaining;
            if (this.buffer.length < total) return;
            const packet = this.buffer.subarray(0, total);
            this.buffer = this.buffer.subarray(total);
            this.parser.parse(packet);
        }
    }

    private send(packet: Record<string, unknown>): void {
        if (this.state === 'closed' || this.socket.destroyed) return;
        this.socket.write(mqttPacket.generate(packet as unknown as Packet, { protocolVersion: this.protocolVersion }));
    }

    private protocolError(reason: string): void {
        this.log(`protocol error: ${reason}`);
        this.end();
    }

    /** v5 gets DISCONNECT with the reason first; v3 just loses the connection. */
    private disconnect(reason: number): void {
        if (this.protocolVersion === 5 && this.state !== 'connecting') this.send({ cmd: 'disconnect', reasonCode: reason });
        this.end();
    }

    kick(reason: number): void {
        this.log(`session closed by server (reason 0x${reason.toString(16)})`);
        this.disconnect(reason);
    }

    private end(): void {
        if (this.state === 'closed') return;
        this.state = 'closed';
        this.socket.end();
        // A client that does not close its side must not keep the socket (and tbsim.stop()) waiting.
        this.timers.push(setTimeout(() => this.socket.destroy(), 1000).unref());
    }

    destroy(): void {
        this.state = 'closed';
        this.socket.destroy();
    }

    private onClose(): void {
        const wasDevice = this.info;
        this.state = 'closed';
        for (const t of this.timers) clearTimeout(t);
        if (this.device) this.owner.unregister(this, this.device.id);
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
                return this.state === 'provision' ? this.onProvisionPublish(packet) : this.onPublish(packet);
            case 'subscribe':
                return this.onSubscribe(packet);
            case 'unsubscribe':
                for (const topic of packet.unsubscriptions) this.subscriptions.delete(topic);
                return this.send({
                    cmd: 'unsuback',
                    messageId: packet.messageId,
                    granted: packet.unsubscriptions.map(() => 0),
                });
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
        this.parser = mqttPacket.parser({ protocolVersion: this.protocolVersion });
        this.parser.on('packet', (p: Packet) => this.onPacket(p));
        this.parser.on('error', (err: Error) => this.protocolError(err.message));
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
        let result: { device: DeviceRecord } | { refuse: number };
        if (leaf) result = this.authenticateCertificate(leaf);
        else result = this.authenticateToken(username, password);
        if ('refuse' in result) {
            this.connack(result.refuse, sessionPresent);
            if (this.protocolVersion === 5) this.send({ cmd: 'disconnect', reasonCode: result.refuse });
            this.end();
            return;
        }
        this.device = result.device;
        this.state = 'device';
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
            this.timers.push(setTimeout(check, this.keepaliveMs).unref());
        };
        this.timers.push(setTimeout(check, this.keepaliveMs).unref());
    }

    /** A presented certificate means X.509 only: username, password and token are ignored (MTH processX509CertConnect). */
    private authenticateCertificate(leaf: X509Certificate): { device: DeviceRecord } | { refuse: number } {
        const credentialsId = leafCredentialsId(leaf.raw);
        const credentials = this.deps.store.findCredentialsById(credentialsId);
        if (!credentials || credentials.credentialsType !== 'X509_CERTIFICATE') {
            this.log(`no device has X.509 credentials ${credentialsId}`);
            return { refuse: RC.NOT_AUTHORIZED };
        }
        const now = Date.now();
        if (!this.deps.skipValidityCheck && (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo))) {
            this.log('client certificate is outside its validity window');
            return { refuse: RC.NOT_AUTHORIZED };
        }
        const device = this.deps.store.getDevice(credentials.deviceId);
        return device ? { device } : { refuse: RC.NOT_AUTHORIZED };
    }

    /** Access token as username, else MQTT_BASIC by clientId / userName / password. */
    private authenticateToken(username: string | undefined, password: string | undefined): { device: DeviceRecord } | { refuse: number } {
        const store = this.deps.store;
        const found = (c: CredentialsRecord | undefined): DeviceRecord | undefined =>
            c ? store.getDevice(c.deviceId) : undefined;
        if (username && password === undefined) {
            const token = store.findCredentialsById(username);
            if (token?.credentialsType === 'ACCESS_TOKEN') {
                const device = found(token);
                if (device) return { device };
            }
        }
        const candidates = [
            this.clientId && username ? sha3OfParts([this.clientId, username]) : undefined,
            this.clientId ? sha3OfParts([this.clientId]) : undefined,
            username ? sha3OfParts([username]) : undefined,
        ];
        for (const id of candidates) {
            if (!id) continue;
            const c = store.findCredentialsById(id);
            if (c?.credentialsType !== 'MQTT_BASIC') continue;
            const basic = JSON.parse(c.credentialsValue ?? '{}') as { password?: string };
            if ((basic.password ?? undefined) === password || (!basic.password && password === undefined)) {
                const device = found(c);
                if (device) return { device };
            }
        }
        if (!username && password === undefined && this.clientId.trim() !== '') return { refuse: RC.CLIENT_ID_NOT_VALID };
        return { refuse: RC.BAD_USER_NAME_OR_PASSWORD };
    }

    private onSubscribe(packet: MqttPacket.ISubscribePacket): void {
        const granted = packet.subscriptions.map((s) => {
            const allowed = this.state === 'provision' ? s.topic === PROVISION_RESPONSE : DEVICE_FILTERS.has(s.topic);
            if (!allowed) return this.protocolVersion === 5 ? RC.TOPIC_FILTER_INVALID : 0x80;
            const qos = Math.min(s.qos, 1);
            this.subscriptions.set(s.topic, qos);
            return qos;
        });
        this.send({ cmd: 'suback', messageId: packet.messageId, granted });
    }

    /** PUBACK whenever there is a packet id (so QoS 2 gets a PUBACK too, as in ThingsBoard); v3 carries no reason. */
    private puback(packet: MqttPacket.IPublishPacket, reason: number = RC.SUCCESS): void {
        if (!packet.messageId) return;
        if (this.protocolVersion === 5) this.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: reason });
        else this.send({ cmd: 'puback', messageId: packet.messageId });
    }

    private publish(topic: string, payload: unknown): void {
        const qos = this.subscriptions.get(topic) ?? this.subscriptionFor(topic);
        if (qos === undefined) return;
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

    private subscriptionFor(topic: string): number | undefined {
        for (const [filter, qos] of this.subscriptions) {
            if (filter.endsWith('/+') && topic.startsWith(filter.slice(0, -1)) && !topic.slice(filter.length - 1).includes('/')) {
                return qos;
            }
        }
        return undefined;
    }

    private onPublish(packet: MqttPacket.IPublishPacket): void {
        const device = this.device as DeviceRecord;
        const topic = packet.topic;
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const store = this.deps.store;
        try {
            if (TELEMETRY_TOPICS.has(topic)) {
                this.storeTelemetry(device.id, parseTelemetry(payload));
            } else if (ATTRIBUTES_TOPICS.has(topic)) {
                this.storeAttributes(device.id, parseAttributes(payload));
            } else if (/^v1\/devices\/me\/attributes\/request\/\d+$/.test(topic)) {
                const request = parseJsonObject(payload);
                const id = topic.slice(topic.lastIndexOf('/') + 1);
                this.publish(`v1/devices/me/attributes/response/${id}`, this.attributeResponse(device.id, request));
            } else if (/^v1\/devices\/me\/rpc\/request\/\d+$/.test(topic)) {
                const request = parseJsonObject(payload);
                const id = topic.slice(topic.lastIndexOf('/') + 1);
                if (request.method === 'getSessionLimits') {
                    this.publish(`v1/devices/me/rpc/response/${id}`, {
                        maxPayloadSize: this.deps.maxPayloadSize,
                        maxInflightMessages: 100,
                        rateLimits: { messages: '', telemetryMessages: '', telemetryDataPoints: '' },
                    });
                }
            } else if (/^v1\/devices\/me\/rpc\/response\/\d+$/.test(topic) || topic === 'v1/devices/me/claim') {
                // accepted, nothing to store
            } else if (topic.startsWith('v1/gateway/') && store.isGateway(store.getDevice(device.id) ?? device)) {
                if (!this.onGatewayPublish(topic, payload)) return this.puback(packet, RC.TOPIC_NAME_INVALID);
            } else {
                // Unknown topic: v5 learns it from the reason code; v3 sees an ordinary PUBACK and the data is gone.
                this.log(`publish to unknown topic ${topic} dropped`);
                return this.puback(packet, RC.TOPIC_NAME_INVALID);
            }
        } catch (err) {
            if (!(err instanceof InvalidPayload)) throw err;
            this.log(`invalid payload on ${topic}: ${err.message}`);
            // MTH sendResponseForAdaptorErrorOrCloseContext: v5 with a packet id gets 0x99, everything else is closed.
            if (this.protocolVersion === 5 && packet.messageId) return this.puback(packet, RC.PAYLOAD_FORMAT_INVALID);
            return this.end();
        }
        this.puback(packet);
    }

    private storeTelemetry(deviceId: string, entries: Array<{ ts: number; values: Record<string, unknown> }>): void {
        this.deps.store.addTelemetry(deviceId, entries);
        for (const entry of entries) this.deps.events.emit('telemetry', deviceId, entry);
    }

    private storeAttributes(deviceId: string, values: Record<string, unknown>): void {
        this.deps.store.setAttributes(deviceId, 'CLIENT_SCOPE', values);
        this.deps.events.emit('attributes', deviceId, values);
    }

    private attributeResponse(deviceId: string, request: Record<string, unknown>): Record<string, unknown> {
        const pick = (scope: 'CLIENT_SCOPE' | 'SHARED_SCOPE', keys: unknown): Record<string, unknown> | undefined => {
            const all = this.deps.store.attributes(deviceId, scope);
            const wanted = typeof keys === 'string' && keys !== '' ? keys.split(',').map((k) => k.trim()) : Object.keys(all);
            const out: Record<string, unknown> = {};
            for (const key of wanted) if (all[key]) out[key] = all[key].value;
            return Object.keys(out).length > 0 ? out : undefined;
        };
        const response: Record<string, unknown> = {};
        const client = pick('CLIENT_SCOPE', request.clientKeys);
        const shared = pick('SHARED_SCOPE', request.sharedKeys);
        if (client) response.client = client;
        if (shared) response.shared = shared;
        return response;
    }

    /** Gateway API (§4.4). Returns false for a gateway topic tbsim does not handle. */
    private onGatewayPublish(topic: string, payload: Buffer): boolean {
        switch (topic) {
            case 'v1/gateway/connect': {
                const { device, type } = parseGatewayDevice(payload);
                this.gatewayDevice(device, type);
                return true;
            }
            case 'v1/gateway/disconnect': {
                this.gatewayDevices.delete(parseGatewayDevice(payload).device);
                return true;
            }
            case 'v1/gateway/telemetry':
                for (const [name, entries] of parseGatewayTelemetry(payload)) this.storeTelemetry(this.gatewayDevice(name), entries);
                return true;
            case 'v1/gateway/attributes':
                for (const [name, values] of parseGatewayAttributes(payload)) this.storeAttributes(this.gatewayDevice(name), values);
                return true;
            case 'v1/gateway/rpc':
            case 'v1/gateway/attributes/request':
            case 'v1/gateway/claim':
                parseJsonObject(payload);
                return true;
            default:
                return false;
        }
    }

    /** Sub-devices are found by name or created (type = profile name, default "default"). */
    private gatewayDevice(name: string, type?: string): string {
        const known = this.gatewayDevices.get(name);
        if (known && this.deps.store.getDevice(known)) return known;
        const store = this.deps.store;
        const gateway = this.device as DeviceRecord;
        const device =
            store.findDeviceByName(name) ??
            store.saveDevice({ name, type: type || 'default', additionalInfo: { gateway: false, lastConnectedGateway: gateway.id } });
        this.gatewayDevices.set(name, device.id);
        return device.id;
    }

    private onProvisionPublish(packet: MqttPacket.IPublishPacket): void {
        if (packet.topic !== PROVISION_REQUEST) {
            this.log(`provision session published to ${packet.topic}: closing`);
            this.puback(packet, RC.TOPIC_NAME_INVALID);
            return this.end();
        }
        let request: unknown;
        try {
            request = JSON.parse(Buffer.from(packet.payload).toString('utf8'));
        } catch {
            request = undefined;
        }
        const outcome = provisionDevice(this.deps.store, request);
        if (outcome.kind === 'error') {
            this.log(`provision request failed: ${outcome.reason}`);
            this.puback(packet, RC.IMPLEMENTATION_SPECIFIC);
            return this.end();
        }
        this.puback(packet);
        const qos = this.subscriptions.get(PROVISION_RESPONSE) ?? 0;
        this.send({
            cmd: 'publish',
            topic: PROVISION_RESPONSE,
            payload: Buffer.from(JSON.stringify(outcome.body)),
            qos,
            messageId: qos > 0 ? 1 : undefined,
            retain: false,
            dup: false,
        });
        this.deps.events.emit('provision', outcome.body, outcome.deviceId);
        this.timers.push(setTimeout(() => this.end(), this.deps.provisionResponseCloseMs).unref());
    }
}
