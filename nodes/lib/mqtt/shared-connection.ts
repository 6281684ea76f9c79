import { EventEmitter } from 'events';
import * as mqtt from 'mqtt';
import type { ConfigSettings } from '../config-settings';
import { CodedError } from '../errors';
import type { LoadedIdentity } from '../pki/identity-provider';
import { clientTlsOptions } from '../pki/tls-options';
import { DeliveryQueue, type DeliveryCallback, type DeliveryEntry } from './delivery-queue';
import {
    classifyError,
    classifyServerDisconnect,
    CONNACK_UNSUPPORTED_PROTOCOL_V3,
    CONNACK_UNSUPPORTED_PROTOCOL_V5,
    CONTENDED_RETRY_MS,
    failureError,
    PERMANENT_RETRY_MS,
    pubackReason,
    transientDelay,
    type Failure,
} from './failure';
import { identityRegistry, type IdentityRegistry } from './identity-registry';
import { fail } from './messages';

/** What the connection needs from the config's identity (IdentityProvider provides it). */
export interface IdentityLookup {
    current(): Promise<LoadedIdentity | undefined>;
    caChain(): Promise<string | undefined>;
}

export type ConnectionPhase = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export interface ConnectionState {
    phase: ConnectionPhase;
    /** messages accepted and not yet delivered */
    queued: number;
    /** why the last attempt failed (phase 'waiting', or 'connecting' again after a failure) */
    failure?: Failure;
    /** set while waiting and new messages fail at once (permanent failures) */
    blocking?: CodedError;
    /** label of the config that holds the same certificate, when that blocks this one */
    heldBy?: string;
}

/** A tb-x509-mqtt-out as the connection sees it. */
export interface ConnectionUser {
    onState(state: ConnectionState): void;
    onWarning(warning: CodedError): void;
}

export interface PublishRequest {
    topic: string;
    body: string | Buffer;
    qos: 0 | 1;
    /** this user's bound on messages waiting while disconnected */
    queueSize: number;
}

export interface SharedConnectionOptions {
    /** the config node's id: stable MQTT client id and identity-registry owner */
    configId: string;
    /** MQTT 5 by default: ThingsBoard then reports refused publishes (PUBACK 0x90/0x99) and session takeover */
    protocolVersion?: 4 | 5;
    connectTimeoutMs?: number;
    /** how long close() waits for in-flight acknowledgements */
    closeGraceMs?: number;
    registry?: IdentityRegistry;
}

const STATUS_THROTTLE_MS = 250;
/** Publish options, shared by every message (mqtt.js copies them; no object per message). */
const QOS_0: mqtt.IClientPublishOptions = Object.freeze({ qos: 0 });
const QOS_1: mqtt.IClientPublishOptions = Object.freeze({ qos: 1 });
/** How long a connection without users (after a redeploy) stays open for them to come back. */
const IDLE_CLOSE_MS = 10_000;

/**
 * The one MQTT connection of a tb-x509-config, shared by every tb-x509-mqtt-out that
 * uses it: opened with the first user, closed with the last (when it was removed).
 * Reconnects are managed here (mqtt.js auto-reconnect is off) so transient and
 * permanent failures get their own backoff and messages keep their order.
 *
 * Events: 'state' (ConnectionState).
 */
export class SharedConnection extends EventEmitter {
    private readonly options: Required<Omit<SharedConnectionOptions, 'protocolVersion'>>;
    private protocolVersion: 4 | 5;
    private readonly queue = new DeliveryQueue();
    private readonly users = new Map<string, ConnectionUser>();
    private readonly warned = new Set<string>();
    private client?: mqtt.MqttClient;
    private generation = 0;
    private phase: ConnectionPhase = 'idle';
    private failure?: Failure;
    private blocking?: CodedError;
    private heldBy?: string;
    private heldCredentialsId?: string;
    private commonName = '';
    private transientAttempts = 0;
    private retryTimer?: NodeJS.Timeout;
    private statusTimer?: NodeJS.Timeout;
    private retryRequested = false;
    private corked = false;
    private idleTimer?: NodeJS.Timeout;
    private readonly onRegistryRelease = (credentialsId: string): void => {
        if (this.heldBy !== undefined && credentialsId === this.blockedOn) this.retryNow();
    };
    private blockedOn?: string;

    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly identity: IdentityLookup,
        options: SharedConnectionOptions,
    ) {
        super();
        this.setMaxListeners(0);
        this.options = {
            configId: options.configId,
            connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
            closeGraceMs: options.closeGraceMs ?? 2_000,
            registry: options.registry ?? identityRegistry,
        };
        this.protocolVersion = options.protocolVersion ?? 5;
        this.options.registry.on('released', this.onRegistryRelease);
    }

    get clientId(): string {
        return `tbx509-${this.options.configId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    }

    get server(): string {
        return `${this.settings.host}:${this.settings.port}`;
    }

    state(): ConnectionState {
        return {
            phase: this.phase,
            queued: this.queue.size,
            failure: this.failure,
            blocking: this.blocking,
            heldBy: this.heldBy,
        };
    }

    register(userId: string, user: ConnectionUser): void {
        if (this.phase === 'closed') return;
        this.users.set(userId, user);
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        // the first user starts the connection, which tells every user 'connecting'
        if (this.phase === 'idle') void this.attempt();
        else user.onState(this.state());
    }

    /**
     * A user closed. Its messages still waiting are dropped (returned count, for one warning);
     * those in flight are delivered when the connection stays. The last user to go, when it
     * was removed (not just redeployed), closes the connection, as core mqtt-broker does.
     */
    async deregister(userId: string, removed = true): Promise<number> {
        this.users.delete(userId);
        const dropped = this.queue.dropUser(userId, true);
        if (this.users.size === 0 && removed) {
            await this.stop();
        } else if (this.users.size === 0) {
            // redeployed: the node comes back at once; if it does not (it now uses another
            // config), let go of the connection and the certificate after a while
            this.idleTimer = setTimeout(() => {
                this.idleTimer = undefined;
                if (this.users.size === 0) void this.stop();
            }, IDLE_CLOSE_MS);
            this.idleTimer.unref();
        } else {
            this.scheduleState();
        }
        return dropped;
    }

    /** Queues a message; `callback` runs once: delivered (PUBACK / written) or failed. */
    publish(userId: string, request: PublishRequest, callback: DeliveryCallback): void {
        if (this.phase === 'closed') {
            callback(fail('MQTT_CLOSED', { server: this.server }));
            return;
        }
        if (this.blocking) {
            callback(this.blocking);
            return;
        }
        const connected = this.phase === 'connected' && this.client !== undefined;
        if (!connected) {
            const waiting = this.queue.countFor(userId);
            if (waiting >= request.queueSize) {
                callback(fail('MQTT_QUEUE_FULL', { count: waiting, size: request.queueSize, server: this.server }));
                return;
            }
        }
        const entry = this.queue.enqueue(userId, request.topic, request.body, request.qos, callback);
        if (connected) this.write(entry, this.generation);
        else this.scheduleState();
    }

    /** Retry at once: the identity changed, or it was just provisioned. */
    retryNow(): void {
        if (this.phase === 'closed' || this.users.size === 0) return;
        if (this.phase === 'waiting') {
            void this.attempt();
        } else if (this.phase === 'connecting') {
            this.retryRequested = true;
        } else if (this.phase === 'connected') {
            void this.reconnectIfIdentityChanged();
        }
    }

    async close(): Promise<void> {
        if (this.phase === 'closed') return;
        await this.stop();
        this.phase = 'closed';
        this.options.registry.removeListener('released', this.onRegistryRelease);
        this.queue.failAll(fail('MQTT_CLOSED', { server: this.server }));
        this.removeAllListeners('state');
    }

    /** Ends the connection and every timer; the connection can start again with a new user. */
    private async stop(): Promise<void> {
        this.generation++;
        this.clearTimers();
        const client = this.client;
        const wasConnected = this.phase === 'connected';
        this.client = undefined;
        if (this.heldCredentialsId !== undefined) {
            this.options.registry.release(this.options.configId);
            this.heldCredentialsId = undefined;
        }
        if (this.phase !== 'closed') this.phase = 'idle';
        this.failure = undefined;
        this.blocking = undefined;
        this.heldBy = undefined;
        if (client) await endClient(client, wasConnected ? this.options.closeGraceMs : 0);
        this.queue.requeueInFlight();
    }

    private clearTimers(): void {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        if (this.statusTimer) clearTimeout(this.statusTimer);
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        this.retryTimer = undefined;
        this.statusTimer = undefined;
    }

    private async attempt(): Promise<void> {
        if (this.phase === 'closed' || this.users.size === 0) return;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.retryRequested = false;
        const generation = ++this.generation;
        const oldClient = this.client;
        this.client = undefined;
        if (oldClient) oldClient.end(true);
        this.setPhase('connecting');

        let identity: LoadedIdentity | undefined;
        let caPem: string | undefined;
        try {
            identity = await this.identity.current();
            caPem = identity ? await this.identity.caChain() : undefined;
        } catch (err) {
            if (generation !== this.generation) return;
            this.onFailure(generation, { class: 'permanent', status: 'mqtt-identity-unusable', detail: errorText(err) });
            return;
        }
        if (generation !== this.generation) return;
        if (!identity) {
            this.onFailure(generation, { class: 'permanent', status: 'mqtt-no-identity', detail: 'no certificate and key' });
            return;
        }
        if (!this.settings.host) {
            this.onFailure(generation, { class: 'permanent', status: 'mqtt-host-not-found', detail: 'the Host field is empty' });
            return;
        }
        this.commonName = identity.commonName;
        this.warnAboutValidity(identity);
        if (!this.claimIdentity(generation, identity)) return;

        let client: mqtt.MqttClient;
        try {
            client = mqtt.connect({
                protocol: 'mqtts',
                host: this.settings.host,
                port: this.settings.port,
                clientId: this.clientId,
                protocolVersion: this.protocolVersion,
                keepalive: this.settings.keepalive,
                clean: true,
                reconnectPeriod: 0,
                connectTimeout: this.options.connectTimeoutMs,
                queueQoSZero: false,
                resubscribe: false,
                // mqtt.js otherwise clears and re-arms its keepalive timer (and reads the clock) for
                // every PUBACK; without it a PINGREQ simply goes out every keepalive period, busy or
                // not, and a missing PINGRESP still ends the connection
                reschedulePings: false,
                // mqtt.js asks `debug` whether to log ~10 times per message; with DEBUG unset
                // nothing would be printed anyway (set DEBUG=mqttjs* to get its log back)
                ...(process.env.DEBUG ? {} : { log: noLog }),
                // mqtt.js types cert/key/ca slightly narrower than tls.ConnectionOptions; the values are PEM strings
                ...(clientTlsOptions({ settings: this.settings, identity, caPem }) as Partial<mqtt.IClientOptions>),
            });
        } catch (err) {
            // e.g. a key that does not fit the certificate, refused by tls.createSecureContext
            this.onFailure(generation, { class: 'permanent', status: 'mqtt-identity-unusable', detail: errorText(err) });
            return;
        }
        this.client = client;
        let firstError: unknown;
        let serverDisconnect: number | undefined;
        client.on('error', (err) => {
            firstError ??= err;
        });
        client.on('disconnect', (packet) => {
            serverDisconnect = packet.reasonCode ?? 0;
        });
        client.on('connect', () => {
            if (generation === this.generation) this.onConnected(generation);
        });
        client.on('close', () => {
            if (generation !== this.generation) return;
            this.client = undefined;
            client.end(true);
            this.onClosed(generation, firstError, serverDisconnect);
        });
    }

    /** One session per device: a certificate held by another config keeps this one off. */
    private claimIdentity(generation: number, identity: LoadedIdentity): boolean {
        const registry = this.options.registry;
        if (this.heldCredentialsId !== undefined && this.heldCredentialsId !== identity.credentialsId) {
            registry.release(this.options.configId);
            this.heldCredentialsId = undefined;
        }
        const holder = { ownerId: this.options.configId, ownerLabel: this.settings.label, warn: (w: CodedError) => this.warn(w) };
        const other = registry.claim(identity.credentialsId, holder);
        if (!other) {
            this.heldCredentialsId = identity.credentialsId;
            this.heldBy = undefined;
            this.blockedOn = undefined;
            return true;
        }
        const warning = fail('MQTT_IDENTITY_SHARED', {
            config: other.ownerLabel,
            other: this.settings.label,
            commonName: identity.commonName,
        });
        this.warnOnce(`shared:${identity.credentialsId}:${other.ownerId}`, warning);
        other.warn?.(warning);
        this.heldBy = other.ownerLabel;
        this.blockedOn = identity.credentialsId;
        this.failure = { class: 'permanent', status: 'mqtt-identity-in-use', detail: `held by ${other.ownerLabel}` };
        this.blocking = fail('MQTT_IDENTITY_IN_USE', {
            config: this.settings.label,
            other: other.ownerLabel,
            commonName: identity.commonName,
        });
        this.queue.failAll(this.blocking);
        this.wait(generation, PERMANENT_RETRY_MS);
        return false;
    }

    private warnAboutValidity(identity: LoadedIdentity): void {
        const now = Date.now();
        const params = { config: this.settings.label, commonName: identity.commonName };
        if (identity.notAfter.getTime() < now) {
            this.warnOnce(
                `expired:${identity.credentialsId}`,
                fail('MQTT_CERT_EXPIRED', { ...params, date: identity.notAfter.toISOString() }),
            );
        } else if (identity.notBefore.getTime() > now) {
            this.warnOnce(
                `not-yet-valid:${identity.credentialsId}`,
                fail('MQTT_CERT_NOT_YET_VALID', { ...params, date: identity.notBefore.toISOString() }),
            );
        }
    }

    private onConnected(generation: number): void {
        this.transientAttempts = 0;
        this.failure = undefined;
        this.blocking = undefined;
        this.heldBy = undefined;
        this.setPhase('connected');
        for (const entry of this.queue.pending()) {
            if (entry.sentOn !== generation) this.write(entry, generation);
        }
        if (this.retryRequested) {
            this.retryRequested = false;
            void this.reconnectIfIdentityChanged();
        }
    }

    private write(entry: DeliveryEntry, generation: number): void {
        const client = this.client;
        if (!client) return;
        this.batchWrites(client);
        entry.sentOn = generation;
        client.publish(entry.topic, entry.body, entry.qos === 1 ? QOS_1 : QOS_0, (err) => {
            if (entry.settled || entry.sentOn !== generation) return;
            if (!err) {
                this.queue.settle(entry);
                return;
            }
            const reasonCode = (err as { code?: unknown }).code;
            if (typeof reasonCode === 'number' && reasonCode >= 0x80) {
                this.queue.settle(entry, fail('MQTT_PUBLISH_REFUSED', { topic: entry.topic, ...pubackReason(reasonCode) }));
            }
            // any other error means the connection is going: the entry is sent again after reconnect
        });
    }

    /**
     * Node-RED hands each msg to the node in its own setImmediate callback, and mqtt.js
     * uncorks the socket on the next tick, so every publish would become its own TLS record
     * and write syscall. Keeping the socket corked until the next turn of the event loop sends
     * all publishes of one turn together (a bare client publishing in a loop gets that for free).
     */
    private batchWrites(client: mqtt.MqttClient): void {
        if (this.corked) return;
        const stream = client.stream as (NodeJS.WritableStream & { cork?(): void; uncork?(): void }) | undefined;
        if (!stream || typeof stream.cork !== 'function' || typeof stream.uncork !== 'function') return;
        this.corked = true;
        stream.cork();
        setImmediate(() => {
            this.corked = false;
            stream.uncork?.();
        });
    }

    private onClosed(generation: number, error: unknown, serverDisconnect: number | undefined): void {
        this.queue.requeueInFlight();
        let failure: Failure;
        if (serverDisconnect !== undefined && serverDisconnect !== 0) failure = classifyServerDisconnect(serverDisconnect);
        else if (error !== undefined) failure = classifyError(error, this.protocolVersion);
        else failure = { class: 'transient', status: 'mqtt-connection-lost', detail: 'closed by the server' };

        const code = (error as { code?: unknown } | undefined)?.code;
        // 0x84 from an MQTT 5 broker that refuses v5; a 3.1.1-only broker answers return code 1
        const unsupported = code === CONNACK_UNSUPPORTED_PROTOCOL_V5 || code === CONNACK_UNSUPPORTED_PROTOCOL_V3;
        if (this.protocolVersion === 5 && unsupported && this.phase === 'connecting') {
            // a broker without MQTT 5: speak 3.1.1 (PUBACK reason codes are then unavailable)
            this.protocolVersion = 4;
            void this.attempt();
            return;
        }
        this.onFailure(generation, failure);
    }

    private onFailure(generation: number, failure: Failure): void {
        this.failure = failure;
        let delay: number;
        if (failure.class === 'permanent') {
            this.blocking = failureError(failure, this.failureContext());
            this.queue.failAll(this.blocking);
            delay = PERMANENT_RETRY_MS;
        } else if (failure.class === 'contended') {
            this.blocking = undefined;
            this.warnOnce(`taken-over:${this.heldCredentialsId}`, failureError(failure, this.failureContext()));
            delay = CONTENDED_RETRY_MS;
        } else {
            this.blocking = undefined;
            delay = transientDelay(this.transientAttempts++);
        }
        if (this.retryRequested) delay = 0;
        this.wait(generation, delay);
    }

    private wait(generation: number, delay: number): void {
        if (generation !== this.generation) return;
        this.setPhase('waiting');
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.attempt(), delay);
        this.retryTimer.unref();
    }

    private async reconnectIfIdentityChanged(): Promise<void> {
        let identity: LoadedIdentity | undefined;
        try {
            identity = await this.identity.current();
        } catch {
            identity = undefined;
        }
        if (this.phase !== 'connected') return;
        if (identity && identity.credentialsId === this.heldCredentialsId) return;
        this.queue.requeueInFlight();
        void this.attempt();
    }

    private failureContext() {
        return { config: this.settings.label, server: this.server, host: this.settings.host, commonName: this.commonName };
    }

    private warn(warning: CodedError): void {
        const first = this.users.values().next().value as ConnectionUser | undefined;
        first?.onWarning(warning);
    }

    private warnOnce(key: string, warning: CodedError): void {
        if (this.warned.has(key)) return;
        this.warned.add(key);
        this.warn(warning);
    }

    private setPhase(phase: ConnectionPhase): void {
        this.phase = phase;
        this.emitState();
    }

    /** Queue counts change per message: tell users at most every STATUS_THROTTLE_MS. */
    private scheduleState(): void {
        if (this.statusTimer) return;
        this.statusTimer = setTimeout(() => {
            this.statusTimer = undefined;
            this.emitState();
        }, STATUS_THROTTLE_MS);
        this.statusTimer.unref();
    }

    private emitState(): void {
        const state = this.state();
        for (const user of this.users.values()) {
            try {
                user.onState(state);
            } catch {
                // a user's status callback must not break the connection
            }
        }
        this.emit('state', state);
    }
}

function noLog(): void {
    // mqtt.js debug output is off unless DEBUG is set
}

function errorText(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

/** Ends a client: waits up to `graceMs` for in-flight acknowledgements, then forces it. */
function endClient(client: mqtt.MqttClient, graceMs: number): Promise<void> {
    return new Promise((resolve) => {
        client.on('error', () => undefined);
        if (graceMs <= 0) {
            client.end(true, () => resolve());
            return;
        }
        const force = setTimeout(() => {
            client.stream?.destroy();
            resolve();
        }, graceMs);
        force.unref();
        client.end(false, () => {
            clearTimeout(force);
            resolve();
        });
    });
}
