/**
 * Key pair + self-signed certificate, as `openssl req -x509 -newkey … -nodes` makes them.
 *
 * Keys come from Node's native, asynchronous `crypto.generateKeyPair` (OpenSSL in the
 * thread pool: the event loop never blocks, no JavaScript prime search); the certificate is
 * built in certificate-builder.ts.
 */
import { X509Certificate } from 'crypto';
import { describeCertificate, type CertificateDescription } from './certificate';
import { newKeyPair, selfSignedCertificate } from './certificate-builder';
import { fail } from './messages';

export type KeyType = 'ec' | 'rsa';
export type Curve = 'P-256' | 'P-384';
export type RsaBits = 2048 | 3072 | 4096;

export const KEY_TYPES: readonly KeyType[] = ['ec', 'rsa'];
export const RSA_BITS: readonly RsaBits[] = [2048, 3072, 4096];
export const MAX_DAYS = 36500;
/** X.509 upper bound for a common name (RFC 5280 ub-common-name) */
export const MAX_COMMON_NAME_LENGTH = 64;

export interface GenerateOptions {
    keyType: KeyType;
    rsaBits: RsaBits;
    curve: Curve;
    commonName: string;
    days: number;
}

/** What the node settings hold before checking: strings from the editor are fine. */
export interface RawGenerateOptions {
    keyType?: string;
    rsaBits?: number | string;
    curve?: string;
    commonName?: unknown;
    days?: number | string;
}

export interface GeneratedKeyAndCertificate extends CertificateDescription {
    /** unencrypted PKCS#8 PEM */
    keyPem: string;
    certPem: string;
}

function blank(value: unknown): boolean {
    return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Checks and types the options; defaults as design.md: ec, P-256, 4096 bits, 365 days. */
export function normaliseGenerateOptions(raw: RawGenerateOptions): GenerateOptions {
    const keyType = (blank(raw.keyType) ? 'ec' : String(raw.keyType).trim().toLowerCase()) as KeyType;
    if (!KEY_TYPES.includes(keyType)) throw fail('KEY_TYPE_UNKNOWN', { keyType: String(raw.keyType) });

    const curveText = blank(raw.curve) ? 'P-256' : String(raw.curve).trim().toUpperCase();
    const curveAliases: Record<string, Curve> = { 'P-256': 'P-256', PRIME256V1: 'P-256', SECP256R1: 'P-256', 'P-384': 'P-384', SECP384R1: 'P-384' };
    const curve = curveAliases[curveText];
    if (keyType === 'ec' && !curve) throw fail('CURVE_UNSUPPORTED', { curve: String(raw.curve) });

    const rsaBits = (blank(raw.rsaBits) ? 4096 : Number(String(raw.rsaBits).trim())) as RsaBits;
    if (keyType === 'rsa' && !RSA_BITS.includes(rsaBits)) throw fail('RSA_BITS_UNSUPPORTED', { bits: String(raw.rsaBits) });

    const days = blank(raw.days) ? 365 : Number(String(raw.days).trim());
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw fail('DAYS_INVALID', { days: String(raw.days) });

    const commonName = normaliseCommonName(raw.commonName);
    return { keyType, curve: curve ?? 'P-256', rsaBits: RSA_BITS.includes(rsaBits) ? rsaBits : 4096, commonName, days };
}

/** A usable common name, trimmed; empty or over-long is an error, never a made-up name. */
function normaliseCommonName(value: unknown): string {
    if (value === undefined || value === null) throw fail('COMMON_NAME_EMPTY');
    // An object would become the name "[object Object]": a device name is text (or a number).
    if (typeof value !== 'string' && typeof value !== 'number') {
        throw fail('COMMON_NAME_NOT_TEXT', { actual: Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}` });
    }
    const commonName = String(value).trim();
    if (!commonName) throw fail('COMMON_NAME_EMPTY');
    if ([...commonName].length > MAX_COMMON_NAME_LENGTH) {
        throw fail('COMMON_NAME_TOO_LONG', { commonName: commonName.slice(0, 80), length: [...commonName].length });
    }
    return commonName;
}

export { buildCertificate, selfSignedCertificate } from './certificate-builder';

/** A new key pair and self-signed certificate. Options may be raw (strings from the editor). */
export async function generateIdentity(raw: RawGenerateOptions): Promise<GeneratedKeyAndCertificate> {
    const options = normaliseGenerateOptions(raw);
    let keyPem: string;
    let certPem: string;
    try {
        const keys = await newKeyPair(options);
        certPem = selfSignedCertificate(keys, options);
        keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw fail('GENERATE_FAILED', { keyType: options.keyType.toUpperCase(), commonName: options.commonName, reason });
    }
    return { keyPem, certPem, ...describeCertificate(new X509Certificate(certPem)) };
}
