import type { ConfigSettings } from '../config-settings';
import type { CodedError } from '../errors';
import type { LoadedIdentity } from '../pki/loaded-identity';
import { attemptMaterial, mqttClientOptions } from './client-options';
import { IDLE_CLOSE_MS, MAX_SENDS, resolveOptions, type ConnectionPhase, type ConnectionState, type ConnectionUser, type IdentityLookup, type PublishRequest, type SharedConnectionOptions } from './connection-types';
import type { DeliveryCallback, DeliveryEntry } from './delivery-queue';
import { classifyClose, isUnsupportedProtocol, type Failure } from './failure';
import { IdentityClaim } from './identity-claim';
import { identityWarnings } from './identity-warnings';
import { GatewayDevices } from './gateway-devices';
import { fail } from './messages';
import { notAcknowledged, Outbox } from './outbox';
import { RateGovernor } from './rate-governor';
import { RetryState } from './retry-state';
import { openSession, Session, type SessionEnd } from './session';
import { SubscriptionRegistry, type InboundHandler } from './subscriptions';
import { UserNotifier } from './user-notifier';

export type { ConnectionPhase, ConnectionState, ConnectionUser, IdentityLookup, PublishRequest, SharedConnectionOptions } from './connection-types';

/**
 * The one MQTT connection of a tb-x509-config, shared by every tb-x509-mqtt-out that
 * uses it: opened with the first user, closed with the last (when it was removed).
 * Reconnects are managed here (mqtt.js auto-reconnect is off) so transient and
 * permanent failures get their own backoff and messages keep their order.
 */
export class SharedConnection {
    private readonly options: Required<Omit<SharedConnectionOptions, 'protocolVersion'>>;
    private protocolVersion: 4 | 5;
    private readonly users = new UserNotifier<ConnectionState>(() => this.state());
    private readonly outbox: Outbox;
    private readonly governor: RateGovernor;
    private readonly claim: IdentityClaim;
    private readonly subscriptions = new SubscriptionRegistry((userId, err) => this.users.logCallbackError(userId, 'message', err));
    private readonly gatewayDevices = new GatewayDevices();
    private readonly retry = new RetryState({
        failAll: (err) => this.outbox.queue.failAll(err),
        warnOnce: (key, warning) => this.users.warnOnce(key, warning),
        context: () => this.failureContext(),
        heldCredentialsId: () => this.claim.heldCredentialsId,
    });
    private session?: Session;
    private generation = 0;
    private phase: ConnectionPhase = 'idle';
    private commonName = '';

    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly identity: IdentityLookup,
        options: SharedConnectionOptions,
    ) {
        this.options = resolveOptions(options);
        this.protocolVersion = options.protocolVersion ?? 5;
        const hooks = {
            onCallbackError: (entry: DeliveryEntry, err: unknown) => this.users.logCallbackError(entry.userId, 'delivery', err),
            onStall: (exhausted: DeliveryEntry[]) => this.onStall(exhausted),
            onPaced: () => this.users.scheduleState(),
            onDelivered: () => this.governor.onDelivered(),
        };
        this.outbox = new Outbox(hooks, { ackTimeoutMs: this.options.ackTimeoutMs, maxSends: MAX_SENDS });
        this.governor = new RateGovernor(this.outbox, this.options.limitsTimeoutMs);
        const holder = { ownerId: this.options.configId, ownerLabel: settings.label, warn: (w: CodedError) => this.users.warn(w) };
        this.claim = new IdentityClaim(this.options.registry, settings, holder, () => {
            if (this.retry.heldBy !== undefined) this.retryNow();
        });
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
            queued: this.outbox.queue.size,
            failure: this.retry.failure,
            blocking: this.retry.blocking,
            heldBy: this.retry.heldBy,
            rateLimited: this.outbox.isPaced,
        };
    }

    register(userId: string, user: ConnectionUser): void {
        if (this.phase === 'closed') return;
        this.users.add(userId, user);
        // the first user starts the connection, which tells every user 'connecting'
        if (this.phase === 'idle') void this.attempt();
        else this.users.tell(userId);
    }

    /**
     * A user closed. Its messages still waiting are dropped (returned count, for one warning);
     * those in flight are delivered when the connection stays. The last user to go, when it
     * was removed (not just redeployed), closes the connection, as core mqtt-broker does.
     */
    async deregister(userId: string, removed = true): Promise<number> {
        this.users.delete(userId);
        this.subscriptions.removeUser(userId);
        const dropped = this.outbox.queue.dropUser(userId);
        if (this.users.size === 0 && removed) {
            await this.stop();
        } else if (this.users.size === 0) {
            // redeployed: the node comes back at once; if it does not (it now uses another
            // config), let go of the connection and the certificate after a while
            this.users.whenNoneFor(IDLE_CLOSE_MS, () => void this.stop());
        } else {
            this.users.scheduleState();
        }
        return dropped;
    }

    /** Inbound publishes on `filter` go to `handler`, on this session and every later one, until the user deregisters. */
    listen(userId: string, filter: string, handler: InboundHandler): void {
        this.subscriptions.add(userId, filter, handler);
    }

    /** Queues a message; `callback` runs once: delivered (PUBACK / written) or failed. */
    publish(userId: string, request: PublishRequest, callback: DeliveryCallback): void {
        if (this.phase === 'closed') {
            callback(fail('MQTT_CLOSED', { server: this.server }));
            return;
        }
        const connected = this.phase === 'connected' && this.outbox.attached;
        const refusal = this.retry.blocking ?? this.outbox.refusal(userId, request.queueSize, connected, this.server);
        if (refusal) return callback(refusal);
        this.outbox.add(userId, request.topic, request.body, request.qos, this.gatewayDevices.watch(request.topic, request.body, callback));
        if (!connected || this.outbox.isPaced) this.users.scheduleState();
    }

    /** Retry at once: the identity changed, or it was just provisioned. */
    retryNow(): void {
        if (this.phase === 'closed' || this.users.size === 0) return;
        if (this.phase === 'waiting') {
            void this.attempt();
        } else if (this.phase === 'connecting') {
            this.retry.retryWhenAttemptEnds();
        } else if (this.phase === 'connected') {
            void this.reconnectIfIdentityChanged();
        }
    }

    /**
     * A new session for a server-side change of the device (e.g. marked gateway); nothing queued
     * is lost. A CONNECT already under way may predate the change: that session is replaced too.
     */
    reconnectIfConnectedAs(credentialsId: string): void {
        if (this.claim.heldCredentialsId !== credentialsId) return;
        if (this.phase === 'connected') void this.attempt();
        else if (this.phase === 'connecting') this.retry.renewWhenConnected();
    }

    /** Ends the connection for good: what still waits fails with MQTT_CLOSED. */
    async close(): Promise<void> {
        if (this.phase === 'closed') return;
        await this.stop();
        this.phase = 'closed';
        this.claim.dispose();
        this.outbox.queue.failAll(fail('MQTT_CLOSED', { server: this.server }));
    }

    /** Ends the connection and every timer; the connection can start again with a new user. */
    private async stop(): Promise<void> {
        this.generation++;
        this.retry.cancel();
        this.users.cancelTimers();
        const session = this.session;
        const wasConnected = this.phase === 'connected';
        this.session = undefined;
        this.subscriptions.onSessionDown();
        this.outbox.detach(true);
        this.claim.release();
        if (this.phase !== 'closed') this.phase = 'idle';
        this.retry.clear();
        if (session) await session.close(wasConnected ? this.options.closeGraceMs : 0);
        this.outbox.queue.requeueInFlight();
    }

    private async attempt(): Promise<void> {
        if (this.phase === 'closed' || this.users.size === 0) return;
        this.retry.attempting();
        const generation = ++this.generation;
        this.session?.drop();
        this.session = undefined;
        this.subscriptions.onSessionDown();
        this.outbox.detach();
        this.setPhase('connecting');

        const material = await attemptMaterial(this.identity, this.settings);
        if (generation !== this.generation) return;
        if ('failure' in material) {
            this.onFailure(generation, material.failure);
            return;
        }
        const { identity } = material;
        this.commonName = identity.commonName;
        for (const { key, warning } of identityWarnings(identity, this.settings.label)) this.users.warnOnce(key, warning);
        if (!this.claimIdentity(generation, identity)) return;
        const { clientId, protocolVersion } = this;
        const opened = openSession(mqttClientOptions({ settings: this.settings, ...material, clientId, protocolVersion, connectTimeoutMs: this.options.connectTimeoutMs }), {
            onConnect: () => this.onConnected(generation),
            onMessage: (topic, payload) => this.governor.onMessage(topic, payload) || this.subscriptions.dispatch(topic, payload),
            onClose: (end) => {
                this.session = undefined;
                this.subscriptions.onSessionDown();
                this.onClosed(generation, end);
            },
        });
        if (opened instanceof Session) this.session = opened;
        else this.onFailure(generation, opened);
    }

    /** One session per device: a certificate held by another config keeps this one off. */
    private claimIdentity(generation: number, identity: LoadedIdentity): boolean {
        const refused = this.claim.claim(identity);
        this.retry.heldBy = refused?.other.ownerLabel;
        if (!refused) return true;
        this.users.warnOnce(`shared:${identity.credentialsId}:${refused.other.ownerId}`, refused.warning);
        refused.other.warn?.(refused.warning);
        this.onFailure(generation, { class: 'permanent', status: 'mqtt-identity-in-use', detail: `held by ${refused.other.ownerLabel}` }, refused.blocking);
        return false;
    }

    private onConnected(generation: number): void {
        this.retry.connected();
        this.setPhase('connected');
        const session = this.session as Session;
        // before anything queued: replies and requests need the subscriptions, RPC to gateway devices their announcement
        this.subscriptions.onSessionUp(session);
        this.gatewayDevices.announce(session);
        this.governor.onConnected(session, () => {
            if (generation === this.generation && this.session === session) this.outbox.attach(session, generation);
        });
        const due = this.retry.takeAfterConnect();
        if (due === 'renew') void this.attempt();
        else if (due === 'recheck-identity') void this.reconnectIfIdentityChanged();
    }

    private onClosed(generation: number, end: SessionEnd): void {
        const rateLimitDelay = this.governor.onClosed(end, this.outbox.queue.inFlight(generation).length);
        this.outbox.detach();
        const failure = classifyClose(end, this.protocolVersion);
        if (rateLimitDelay !== undefined && failure.class === 'transient') {
            this.wait(generation, this.retry.recordRateLimited(failure, rateLimitDelay));
            return;
        }
        if (this.protocolVersion === 5 && isUnsupportedProtocol(end.error) && this.phase === 'connecting') {
            // a broker without MQTT 5: speak 3.1.1 (PUBACK reason codes are then unavailable)
            this.protocolVersion = 4;
            void this.attempt();
            return;
        }
        this.onFailure(generation, failure);
    }

    private onFailure(generation: number, failure: Failure, blocking?: CodedError): void {
        this.wait(generation, this.retry.record(failure, blocking));
    }

    private wait(generation: number, delay: number): void {
        if (generation !== this.generation) return;
        this.setPhase('waiting');
        this.retry.schedule(delay, () => void this.attempt());
    }

    /** No PUBACK in time: the session is broken. Messages sent for the last time fail; the rest go again on a new session. */
    private onStall(exhausted: DeliveryEntry[]): void {
        for (const entry of exhausted) this.outbox.queue.settle(entry, notAcknowledged(entry, this.outbox.options, this.failureContext()));
        void this.attempt();
    }

    private async reconnectIfIdentityChanged(): Promise<void> {
        const identity = await this.identity.current().catch(() => undefined);
        if (this.phase !== 'connected') return;
        if (identity && identity.credentialsId === this.claim.heldCredentialsId) return;
        void this.attempt();
    }

    private failureContext() {
        return { config: this.settings.label, server: this.server, host: this.settings.host, commonName: this.commonName };
    }

    private setPhase(phase: ConnectionPhase): void {
        this.phase = phase;
        this.users.emitState();
    }
}
