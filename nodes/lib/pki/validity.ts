import type { CodedError } from '../errors';
import { fail } from './messages';

/**
 * Why a certificate cannot be used at `now` (expired / not yet valid), or undefined.
 * Not thrown when an identity loads (it still loads): the connection warns before connecting.
 */
export function validityProblem(
    identity: { commonName: string; notBefore: Date; notAfter: Date },
    config: string,
    now = new Date(),
): CodedError | undefined {
    const params = { config, commonName: identity.commonName };
    if (identity.notAfter.getTime() < now.getTime()) {
        return fail('CERT_EXPIRED', { ...params, date: identity.notAfter.toISOString() });
    }
    if (identity.notBefore.getTime() > now.getTime()) {
        return fail('CERT_NOT_YET_VALID', { ...params, date: identity.notBefore.toISOString() });
    }
    return undefined;
}
