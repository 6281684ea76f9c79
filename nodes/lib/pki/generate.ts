/**
 * Key pair + self-signed certificate, as `openssl req -x509 -newkey … -nodes` makes them.
 *
 * Keys come from Node's native, asynchronous `crypto.generateKeyPair` (OpenSSL in the
 * thread pool: the event loop never blocks, no JavaScript prime search). node-forge cannot
 * sign with ECDSA, so the TBSCertificate is built with node-forge's ASN.1 encoder and signed
 * with `crypto.sign` — one code path for RSA and EC.
 */
import { createHash, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'crypto';
import { promisify } from 'util';
import * as forge from 'node-forge';
import { certificateToPem, describeCertificate, type CertificateDescription } from './certificate';
import { reasonOf } from '../errors';
import { fail } from './messages';

const generateKeyPairAsync = promisify(generateKeyPair);

export type KeyType = 'ec' | 'rsa';
export type Curve = 'P-256' | 'P-384';
export type RsaBits = 2048 | 3072 | 4096;

export const KEY_TYPES: readonly KeyType[] = ['ec', 'rsa'];
export const RSA_BITS: readonly RsaBits[] = [2048, 3072, 4096];
export const MAX_DAYS = 36500;
/** X.509 upper bound for a common name (RFC 5280 ub-common-name) */
export const MAX_COMMON_NAME_LENGTH = 64;
/**
 * notBefore is set this far in the past: a device whose clock runs slightly ahead of the
 * ThingsBoard server would otherwise be refused as "not yet valid" right after generating.
 */
const BACKDATE_MS = 5 * 60 * 1000;

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

// ---- ASN.1 building blocks (node-forge's encoder; values are binary strings) ----

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(U, T.SET, true, items);
const oid = (dotted: string) => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
const octets = (bytes: Buffer) => asn1.create(U, T.OCTETSTRING, false, bytes.toString('binary'));
const bool = (value: boolean) => asn1.create(U, T.BOOLEAN, false, value ? '\xff' : '\x00');
const nul = () => asn1.create(U, T.NULL, false, '');
const bits = (bytes: Buffer, unusedBits = 0) =>
    asn1.create(U, T.BITSTRING, false, String.fromCharCode(unusedBits) + bytes.toString('binary'));
const integer = (bytes: Buffer) => asn1.create(U, T.INTEGER, false, bytes.toString('binary'));
const explicit = (tag: number, inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, [inner]);
const implicitPrimitive = (tag: number, bytes: Buffer) =>
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, bytes.toString('binary'));
const der = (node: forge.asn1.Asn1) => Buffer.from(asn1.toDer(node).getBytes(), 'binary');

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): forge.asn1.Asn1 {
    return date.getUTCFullYear() < 2050
        ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
        : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function nameWithCommonName(commonName: string): forge.asn1.Asn1 {
    const value = asn1.create(U, T.UTF8, false, Buffer.from(commonName, 'utf8').toString('binary'));
    return seq([set([seq([oid('2.5.4.3'), value])])]);
}

function extension(id: string, critical: boolean, value: forge.asn1.Asn1): forge.asn1.Asn1 {
    return seq(critical ? [oid(id), bool(true), octets(der(value))] : [oid(id), octets(der(value))]);
}

/** Positive, 16 bytes, minimal DER: top bit clear, next bit set so no leading zero byte is needed. */
function randomSerial(): Buffer {
    const serial = randomBytes(16);
    serial[0] = (serial[0] & 0x7f) | 0x40;
    return serial;
}

interface SignatureScheme {
    hash: 'sha256' | 'sha384';
    algorithm: forge.asn1.Asn1;
}

function signatureScheme(options: GenerateOptions): SignatureScheme {
    if (options.keyType === 'rsa') return { hash: 'sha256', algorithm: seq([oid('1.2.840.113549.1.1.11'), nul()]) };
    return options.curve === 'P-384'
        ? { hash: 'sha384', algorithm: seq([oid('1.2.840.10045.4.3.3')]) }
        : { hash: 'sha256', algorithm: seq([oid('1.2.840.10045.4.3.2')]) };
}

/**
 * SubjectPublicKeyInfo as Node exports it, plus the subjectPublicKey bits that the key
 * identifier hashes (RFC 5280 §4.2.1.2 method 1, what openssl writes).
 */
function publicKeyInfo(publicKey: KeyObject): { spki: forge.asn1.Asn1; keyIdentifier: Buffer } {
    const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
    const spki = fromDerKeepingBitStrings(spkiDer);
    const bitString = (spki.value as forge.asn1.Asn1[])[1].value as string;
    const keyBits = Buffer.from(bitString, 'binary').subarray(1); // drop the unused-bits byte
    return { spki, keyIdentifier: createHash('sha1').update(keyBits).digest() };
}

/** node-forge's DER parser, told to leave BIT STRING contents as bytes (its typings omit the option). */
function fromDerKeepingBitStrings(bytes: Buffer): forge.asn1.Asn1 {
    const fromDer = asn1.fromDer as unknown as (input: forge.util.ByteStringBuffer, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1;
    return fromDer(forge.util.createBuffer(bytes.toString('binary')), { decodeBitStrings: false });
}

/** Key pair for the options, natively and off the event loop. */
async function newKeyPair(options: GenerateOptions): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
    if (options.keyType === 'rsa') {
        return generateKeyPairAsync('rsa', { modulusLength: options.rsaBits, publicExponent: 0x10001 });
    }
    return generateKeyPairAsync('ec', { namedCurve: options.curve });
}

/** A self-signed certificate for a key pair (subject = issuer = CN). */
export function selfSignedCertificate(
    keys: { publicKey: KeyObject; privateKey: KeyObject },
    options: GenerateOptions,
    now: Date = new Date(),
): string {
    const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + options.days * 86_400_000);
    const { spki, keyIdentifier } = publicKeyInfo(keys.publicKey);
    const scheme = signatureScheme(options);
    const name = nameWithCommonName(options.commonName);

    const extensions = seq([
        extension('2.5.29.14', false, octets(keyIdentifier)), // subjectKeyIdentifier
        extension('2.5.29.35', false, seq([implicitPrimitive(0, keyIdentifier)])), // authorityKeyIdentifier keyid
        extension('2.5.29.19', true, seq([bool(true)])), // basicConstraints CA:TRUE, as openssl req -x509
        // keyUsage digitalSignature (bit 0) + keyCertSign (bit 5): 0b10000100, 2 unused bits
        extension('2.5.29.15', true, bits(Buffer.from([0x84]), 2)),
    ]);

    const tbs = seq([
        explicit(0, integer(Buffer.from([2]))), // v3
        integer(randomSerial()),
        scheme.algorithm,
        name,
        seq([time(notBefore), time(notAfter)]),
        name,
        spki,
        explicit(3, extensions),
    ]);
    const tbsDer = der(tbs);
    const signature = sign(scheme.hash, tbsDer, keys.privateKey);
    const certificate = seq([
        tbs,
        signatureScheme(options).algorithm,
        bits(signature),
    ]);
    return certificateToPem(new X509Certificate(der(certificate)));
}

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
        throw fail('GENERATE_FAILED', { keyType: options.keyType.toUpperCase(), commonName: options.commonName, reason: reasonOf(err) });
    }
    return { keyPem, certPem, ...describeCertificate(new X509Certificate(certPem)) };
}
