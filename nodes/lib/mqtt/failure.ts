/**
 * Sorts what went wrong with a connection attempt into the two classes users see:
 * - transient: the network or the broker is away for now. Messages wait in the queue,
 *   the connection retries with a short backoff.
 * - permanent: nothing will change until someone changes the config, the certificate or
 *   the server. Waiting and new messages fail at once with the cause (Catch nodes fire),
 *   and the connection retries slowly (and at once when the identity changes).
 * `contended` is the one-session-per-device case: another client holds the session.
 */
import type { CodedError } from '../errors';
import { fail, type MqttStatusKey } from './messages';

export type FailureClass = 'transient' | 'permanent' | 'contended';

export interface Failure {
    class: FailureClass;
    status: MqttStatusKey;
    /** short technical detail for messages, e.g. "CONNACK 0x87 Not authorized" */
    detail: string;
}

/** What the connection knows when it classifies: names for messages, never key material. */
export interface FailureContext {
    config: string;
    server: string;
    host: string;
    commonName: string;
}

const SERVER_UNTRUSTED = new Set([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
    'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
    'CERT_SIGNATURE_FAILURE',
    'CERT_NOT_YET_VALID',
    'CERT_HAS_EXPIRED',
    'CERT_REVOKED',
    'CERT_UNTRUSTED',
    'CERT_REJECTED',
    'CERT_CHAIN_TOO_LONG',
    'INVALID_CA',
    'PATH_LENGTH_EXCEEDED',
    'INVALID_PURPOSE',
    'ERROR_IN_CERT_NOT_BEFORE_FIELD',
    'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

/** TLS alerts a server sends when it does not accept the client certificate (mosquitto, other brokers). */
const CLIENT_CERT_ALERTS = new Set([
    'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
    'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_TLSV1_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
    'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
    'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
]);

/** MQTT 5 CONNACK reason codes meaning "not you": ThingsBoard answers 0x87 for an unregistered certificate. */
const CONNACK_REFUSED_V5 = new Set([0x85, 0x86, 0x87, 0x8a, 0x8c]);
/** MQTT 3.1.1 CONNACK return codes: 2 identifier rejected, 4 bad user name or password, 5 not authorized. */
const CONNACK_REFUSED_V3 = new Set([2, 4, 5]);

export const DISCONNECT_SESSION_TAKEN_OVER = 0x8e;
export const CONNACK_UNSUPPORTED_PROTOCOL_V5 = 0x84;
export const CONNACK_UNSUPPORTED_PROTOCOL_V3 = 1;

function hex(code: number): string {
    return `0x${code.toString(16).padStart(2, '0')}`;
}

/** Classifies a socket/TLS error (from mqtt.js 'error'), or a CONNACK refusal carrying `code` as a number. */
export function classifyError(err: unknown, protocolVersion: number): Failure {
    const e = (err ?? {}) as { code?: unknown; message?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    if (typeof e.code === 'number') return classifyConnack(e.code, protocolVersion);
    const code = typeof e.code === 'string' ? e.code : '';
    if (SERVER_UNTRUSTED.has(code)) return { class: 'permanent', status: 'mqtt-server-untrusted', detail: code };
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { class: 'permanent', status: 'mqtt-host-mismatch', detail: message };
    if (CLIENT_CERT_ALERTS.has(code)) return { class: 'permanent', status: 'mqtt-cert-rejected', detail: message };
    switch (code) {
        // A name that does not exist is a typo in the config until someone fixes it;
        // queueing for it would hide the mistake. EAI_AGAIN (resolver unreachable) is transient.
        case 'ENOTFOUND':
            return { class: 'permanent', status: 'mqtt-host-not-found', detail: code };
        case 'EAI_AGAIN':
            return { class: 'transient', status: 'mqtt-host-not-found', detail: code };
        case 'ECONNREFUSED':
            return { class: 'transient', status: 'mqtt-connection-refused', detail: code };
        case 'ETIMEDOUT':
            return { class: 'transient', status: 'mqtt-timeout', detail: code };
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
        case 'ENETDOWN':
        case 'EHOSTDOWN':
            return { class: 'transient', status: 'mqtt-unreachable', detail: code };
        default:
            // ECONNRESET, EPIPE, ECONNABORTED, "keepalive timeout", "connack timeout",
            // a broker closing the socket: the connection was lost and may come back.
            return {
                class: 'transient',
                status: /timeout/i.test(message) ? 'mqtt-timeout' : 'mqtt-connection-lost',
                detail: code || message,
            };
    }
}

export function classifyConnack(code: number, protocolVersion: number): Failure {
    const refused = protocolVersion === 5 ? CONNACK_REFUSED_V5.has(code) : CONNACK_REFUSED_V3.has(code);
    const detail = `CONNACK ${protocolVersion === 5 ? hex(code) : code}${connackName(code, protocolVersion)}`;
    if (refused) return { class: 'permanent', status: 'mqtt-cert-rejected', detail };
    return { class: 'transient', status: 'mqtt-server-unavailable', detail };
}

function connackName(code: number, protocolVersion: number): string {
    const v5: Record<number, string> = {
        0x80: 'Unspecified error', 0x84: 'Unsupported protocol version', 0x85: 'Client identifier not valid',
        0x86: 'Bad user name or password', 0x87: 'Not authorized', 0x88: 'Server unavailable', 0x89: 'Server busy',
        0x8a: 'Banned', 0x8c: 'Bad authentication method', 0x97: 'Quota exceeded', 0x9f: 'Connection rate exceeded',
    };
    const v3: Record<number, string> = {
        1: 'unacceptable protocol version', 2: 'identifier rejected', 3: 'server unavailable',
        4: 'bad user name or password', 5: 'not authorized',
    };
    const name = (protocolVersion === 5 ? v5 : v3)[code];
    return name ? ` ${name}` : '';
}

/** A DISCONNECT the server sent (MQTT 5): takeover is its own case, everything else is transient. */
export function classifyServerDisconnect(reasonCode: number): Failure {
    if (reasonCode === DISCONNECT_SESSION_TAKEN_OVER) {
        return { class: 'contended', status: 'mqtt-session-taken-over', detail: 'DISCONNECT 0x8e Session taken over' };
    }
    return { class: 'transient', status: 'mqtt-connection-lost', detail: `DISCONNECT ${hex(reasonCode)}` };
}

/** How a session that ended is classified: a server DISCONNECT first, then the error, else a plain loss. */
export function classifyClose(end: { error?: unknown; serverDisconnect?: number }, protocolVersion: number): Failure {
    if (end.serverDisconnect !== undefined && end.serverDisconnect !== 0) return classifyServerDisconnect(end.serverDisconnect);
    if (end.error !== undefined) return classifyError(end.error, protocolVersion);
    return { class: 'transient', status: 'mqtt-connection-lost', detail: 'closed by the server' };
}

/** 0x84 from an MQTT 5 broker that refuses v5; a 3.1.1-only broker answers return code 1. */
export function isUnsupportedProtocol(error: unknown): boolean {
    const code = (error as { code?: unknown } | undefined)?.code;
    return code === CONNACK_UNSUPPORTED_PROTOCOL_V5 || code === CONNACK_UNSUPPORTED_PROTOCOL_V3;
}

/** The error that waiting and new messages fail with while a permanent failure lasts. */
export function failureError(failure: Failure, ctx: FailureContext): CodedError {
    const params = { ...ctx, detail: failure.detail };
    switch (failure.status) {
        case 'mqtt-cert-rejected':
            return fail('MQTT_CERT_REJECTED', params);
        case 'mqtt-server-untrusted':
            return fail('MQTT_SERVER_UNTRUSTED', params);
        case 'mqtt-host-mismatch':
            return fail('MQTT_HOST_MISMATCH', params);
        case 'mqtt-host-not-found':
            return fail('MQTT_HOST_NOT_FOUND', params);
        case 'mqtt-no-identity':
            return fail('MQTT_NO_IDENTITY', params);
        case 'mqtt-session-taken-over':
            return fail('MQTT_SESSION_TAKEN_OVER', params);
        default:
            return fail('MQTT_IDENTITY_UNUSABLE', params);
    }
}

/** PUBACK reason codes (MQTT 5) and what they mean for a ThingsBoard user. */
const PUBACK_REASONS: Record<number, string> = {
    0x80: 'unspecified error',
    0x83: 'the server could not process it (e.g. a rate limit)',
    0x87: 'not authorized',
    0x90: 'ThingsBoard does not serve this topic',
    0x91: 'packet identifier in use',
    0x97: 'quota exceeded (e.g. too many devices or messages)',
    0x99: 'the payload is not valid for this topic',
};

export function pubackReason(code: number): { reason: string; code: string } {
    return { reason: PUBACK_REASONS[code] ?? 'refused', code: hex(code) };
}
