/** The shared connection's public types (the nodes and connection-status use them). */
import type { CodedError } from '../errors';
import type { LoadedIdentity } from '../pki/loaded-identity';
import type { Failure } from './failure';
import { identityRegistry, type IdentityRegistry } from './identity-registry';
import type { ConnectionUser as User } from './user-notifier';

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
    /** messages wait because the connection paces below the server's rate limits */
    rateLimited?: boolean;
}

/** A tb-x509-mqtt-out as the connection sees it. */
export type ConnectionUser = User<ConnectionState>;

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
    /** a QoS 1 message without PUBACK this long means the session is broken */
    ackTimeoutMs?: number;
    /** how long messages wait for the getSessionLimits answer after CONNACK */
    limitsTimeoutMs?: number;
    registry?: IdentityRegistry;
}

/** How long a connection without users (after a redeploy) stays open for them to come back. */
export const IDLE_CLOSE_MS = 10_000;

/** A message still unacknowledged after this many sends fails. */
export const MAX_SENDS = 3;

/**
 * Defaults of every connection made without the option (tests in the same process, e.g.
 * through Node-RED's test helper, lower them).
 */
export const CONNECTION_DEFAULTS = {
    ackTimeoutMs: 30_000,
    limitsTimeoutMs: 1_000,
};

/** Every option but the protocol version, defaults filled in. */
export function resolveOptions(options: SharedConnectionOptions): Required<Omit<SharedConnectionOptions, 'protocolVersion'>> {
    return {
        configId: options.configId,
        connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
        closeGraceMs: options.closeGraceMs ?? 2_000,
        ackTimeoutMs: options.ackTimeoutMs ?? CONNECTION_DEFAULTS.ackTimeoutMs,
        limitsTimeoutMs: options.limitsTimeoutMs ?? CONNECTION_DEFAULTS.limitsTimeoutMs,
        registry: options.registry ?? identityRegistry,
    };
}
