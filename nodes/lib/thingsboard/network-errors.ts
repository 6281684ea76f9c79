import { CodedError } from '../errors';
import { fail } from './messages';

/** Where a connection went, for messages: never carries credentials. */
export interface Endpoint {
    /** host:port as the user configured it */
    address: string;
    /** label of the tb-x509-config, so users know which node to fix */
    config: string;
}

const HOST_NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const REFUSED = new Set(['ECONNREFUSED']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const TIMEOUT = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const NAME_MISMATCH = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const UNTRUSTED = new Set([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
    'CERT_SIGNATURE_FAILURE',
    'CERT_UNTRUSTED',
    'CERT_REJECTED',
    'INVALID_CA',
    'INVALID_PURPOSE',
    'PATH_LENGTH_EXCEEDED',
    'CERT_CHAIN_TOO_LONG',
    'ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED',
]);

interface ErrorLike {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
}

/** The system error code of `err`, looking through axios wrappers and AggregateError (happy eyeballs). */
export function systemErrorCode(err: unknown): string | undefined {
    const seen = new Set<unknown>();
    let current: unknown = err;
    while (current && typeof current === 'object' && !seen.has(current)) {
        seen.add(current);
        const e = current as ErrorLike;
        if (typeof e.code === 'string' && e.code !== 'ERR_BAD_REQUEST' && e.code !== 'ERR_BAD_RESPONSE' && e.code !== 'ERR_NETWORK') {
            return e.code;
        }
        current = e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
    }
    return typeof (err as ErrorLike)?.code === 'string' ? ((err as ErrorLike).code as string) : undefined;
}

function reasonOf(err: unknown): string {
    const e = err as ErrorLike;
    const inner = (e?.cause as ErrorLike | undefined)?.message ?? (Array.isArray(e?.errors) ? (e.errors[0] as ErrorLike)?.message : undefined);
    const message = typeof e?.message === 'string' && e.message ? e.message : typeof inner === 'string' ? inner : String(err);
    return message.replace(/\s+/g, ' ').trim();
}

/**
 * A failure to connect (DNS, TCP, TLS, timeout) as a CodedError that says what to fix.
 * Errors that are already coded pass through unchanged.
 */
export function connectionError(err: unknown, endpoint: Endpoint, timeoutSeconds: number): CodedError {
    if (err instanceof CodedError) return err;
    const code = systemErrorCode(err) ?? '';
    const reason = reasonOf(err);
    const params = { address: endpoint.address, config: endpoint.config, reason };
    if (HOST_NOT_FOUND.has(code)) return fail('TB_HOST_NOT_FOUND', params);
    if (REFUSED.has(code)) return fail('TB_CONNECTION_REFUSED', params);
    if (UNREACHABLE.has(code)) return fail('TB_HOST_UNREACHABLE', params);
    if (TIMEOUT.has(code) || /timeout/i.test(reason)) return fail('TB_TIMEOUT', { ...params, seconds: timeoutSeconds });
    if (NAME_MISMATCH.has(code)) return fail('TB_SERVER_CERT_NAME_MISMATCH', params);
    if (EXPIRED.has(code)) return fail('TB_SERVER_CERT_EXPIRED', params);
    if (UNTRUSTED.has(code)) return fail('TB_SERVER_CERT_UNTRUSTED', params);
    return fail('TB_CONNECTION_FAILED', { ...params, reason: code && !reason.includes(code) ? `${code}: ${reason}` : reason });
}
