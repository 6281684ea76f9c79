/**
 * X.509 certificates built with node-forge's ASN.1 encoder and signed with `crypto.sign`
 * (node-forge cannot sign with ECDSA): one code path for RSA and EC, for self-signed device
 * certificates, CA certificates and CA-signed leaves.
 */
import { createHash, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'crypto';
import { promisify } from 'util';
import * as forge from 'node-forge';
import { certificateToPem } from './certificate';
import type { GenerateOptions } from './generate';
import { fail } from './messages';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * notBefore is set this far in the past: a device whose clock runs slightly ahead of the
 * ThingsBoard server would otherwise be refused as "not yet valid" right after generating.
 */
const BACKDATE_MS = 5 * 60 * 1000;

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
    hash: 'sha256' | 'sha384' | 'sha512';
    algorithm: forge.asn1.Asn1;
}

/** The signature algorithm follows the signing key (the issuer's), as openssl's defaults choose it. */
function signatureSchemeOf(signingKey: KeyObject): SignatureScheme {
    if (signingKey.asymmetricKeyType === 'rsa') return { hash: 'sha256', algorithm: seq([oid('1.2.840.113549.1.1.11'), nul()]) };
    if (signingKey.asymmetricKeyType === 'ec') {
        switch (signingKey.asymmetricKeyDetails?.namedCurve) {
            case 'prime256v1':
                return { hash: 'sha256', algorithm: seq([oid('1.2.840.10045.4.3.2')]) };
            case 'secp384r1':
                return { hash: 'sha384', algorithm: seq([oid('1.2.840.10045.4.3.3')]) };
            case 'secp521r1':
                return { hash: 'sha512', algorithm: seq([oid('1.2.840.10045.4.3.4')]) };
            default:
                break; // another curve: refused below
        }
    }
    const curve = signingKey.asymmetricKeyDetails?.namedCurve;
    throw fail('SIGNING_KEY_UNSUPPORTED', { keyType: `${signingKey.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''}` });
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

/** The key identifier of a public key as openssl computes it (SHA-1 of the subjectPublicKey bits). */
export function keyIdentifierOf(publicKey: KeyObject): Buffer {
    return publicKeyInfo(publicKey).keyIdentifier;
}

/** node-forge's DER parser, told to leave BIT STRING contents as bytes (its typings omit the option). */
function fromDerKeepingBitStrings(bytes: Buffer): forge.asn1.Asn1 {
    const fromDer = asn1.fromDer as unknown as (input: forge.util.ByteStringBuffer, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1;
    return fromDer(forge.util.createBuffer(bytes.toString('binary')), { decodeBitStrings: false });
}

/** Key pair for the options, natively and off the event loop. */
export async function newKeyPair(options: Pick<GenerateOptions, 'keyType' | 'rsaBits' | 'curve'>): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
    if (options.keyType === 'rsa') {
        return generateKeyPairAsync('rsa', { modulusLength: options.rsaBits, publicExponent: 0x10001 });
    }
    return generateKeyPairAsync('ec', { namedCurve: options.curve });
}

/** The certificate that signs: its subject (the new certificate's issuer), key and key identifier. */
export interface CertificateIssuer {
    /** DER of the issuer certificate's subject Name, copied as is so name chaining is byte-exact */
    nameDer: Buffer;
    privateKey: KeyObject;
    /** the issuer's subjectKeyIdentifier, written as the new certificate's authorityKeyIdentifier */
    keyIdentifier: Buffer;
    /** the new certificate ends no later than its issuer */
    notAfter?: Date;
}

/**
 * What the certificate is for:
 * - `self-signed`: a device identity that is its own issuer (CA:TRUE, digitalSignature + keyCertSign, as `openssl req -x509`);
 * - `ca`: a certificate authority (CA:TRUE, keyCertSign + cRLSign);
 * - `leaf`: a device certificate signed by a CA (CA:FALSE, digitalSignature [+ keyEncipherment for RSA], clientAuth).
 */
export type CertificateProfile = 'self-signed' | 'ca' | 'leaf';

export interface CertificateRequest {
    publicKey: KeyObject;
    commonName: string;
    days: number;
    profile: CertificateProfile;
    /** absent: the certificate signs itself with `selfKey` */
    issuer?: CertificateIssuer;
    /** the subject's private key, needed when there is no issuer */
    selfKey?: KeyObject;
}

function extensionsFor(profile: CertificateProfile, subjectKey: KeyObject, keyIdentifier: Buffer, authorityKeyIdentifier: Buffer): forge.asn1.Asn1 {
    const identifiers = [
        extension('2.5.29.14', false, octets(keyIdentifier)), // subjectKeyIdentifier
        extension('2.5.29.35', false, seq([implicitPrimitive(0, authorityKeyIdentifier)])), // authorityKeyIdentifier keyid
    ];
    if (profile === 'leaf') {
        // keyUsage digitalSignature (bit 0, 7 unused bits); RSA also keyEncipherment (bit 2, 5 unused bits)
        const keyUsage = subjectKey.asymmetricKeyType === 'rsa' ? bits(Buffer.from([0xa0]), 5) : bits(Buffer.from([0x80]), 7);
        return seq([
            ...identifiers,
            extension('2.5.29.19', true, seq([])), // basicConstraints CA:FALSE (DER omits the default)
            extension('2.5.29.15', true, keyUsage),
            extension('2.5.29.37', false, seq([oid('1.3.6.1.5.5.7.3.2')])), // extendedKeyUsage clientAuth
        ]);
    }
    return seq([
        ...identifiers,
        extension('2.5.29.19', true, seq([bool(true)])), // basicConstraints CA:TRUE
        profile === 'ca'
            ? extension('2.5.29.15', true, bits(Buffer.from([0x06]), 1)) // keyCertSign (bit 5) + cRLSign (bit 6)
            : extension('2.5.29.15', true, bits(Buffer.from([0x84]), 2)), // digitalSignature (bit 0) + keyCertSign (bit 5)
    ]);
}

/** Builds and signs one certificate (PEM). */
export function buildCertificate(request: CertificateRequest, now: Date = new Date()): string {
    return certificateToPem(buildX509Certificate(request, now));
}

/** Builds and signs one certificate, parsed once (a caller that also describes it need not parse it again). */
export function buildX509Certificate(request: CertificateRequest, now: Date = new Date()): X509Certificate {
    const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
    let notAfter = new Date(notBefore.getTime() + request.days * 86_400_000);
    const issuerEnd = request.issuer?.notAfter;
    if (issuerEnd && issuerEnd.getTime() < notAfter.getTime()) notAfter = issuerEnd;
    const { spki, keyIdentifier } = publicKeyInfo(request.publicKey);
    const signingKey = request.issuer?.privateKey ?? request.selfKey;
    if (!signingKey) throw new Error('buildCertificate: neither an issuer nor the subject key to sign with');
    const scheme = signatureSchemeOf(signingKey);
    const subject = nameWithCommonName(request.commonName);
    const issuerName = request.issuer ? fromDerKeepingBitStrings(request.issuer.nameDer) : subject;
    const authorityKeyIdentifier = request.issuer?.keyIdentifier ?? keyIdentifier;

    const tbs = seq([
        explicit(0, integer(Buffer.from([2]))), // v3
        integer(randomSerial()),
        scheme.algorithm,
        issuerName,
        seq([time(notBefore), time(notAfter)]),
        subject,
        spki,
        explicit(3, extensionsFor(request.profile, request.publicKey, keyIdentifier, authorityKeyIdentifier)),
    ]);
    const tbsDer = der(tbs);
    const signature = sign(scheme.hash, tbsDer, signingKey);
    const certificate = seq([tbs, scheme.algorithm, bits(signature)]);
    return new X509Certificate(der(certificate));
}

/** A self-signed certificate for a key pair (subject = issuer = CN). */
export function selfSignedCertificate(
    keys: { publicKey: KeyObject; privateKey: KeyObject },
    options: GenerateOptions,
    now: Date = new Date(),
): string {
    return buildCertificate({ publicKey: keys.publicKey, selfKey: keys.privateKey, commonName: options.commonName, days: options.days, profile: 'self-signed' }, now);
}

/** DER of a certificate's subject Name (its issuer Name in the certificates it signs). */
export function subjectNameDer(cert: X509Certificate): Buffer {
    const root = fromDerKeepingBitStrings(cert.raw);
    const fields = (root.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
    // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject
    const offset = fields[0].tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
    return der(fields[offset + 4]);
}

/** The subjectKeyIdentifier extension's value, undefined when the certificate has none. */
export function subjectKeyIdentifierOf(cert: X509Certificate): Buffer | undefined {
    const root = fromDerKeepingBitStrings(cert.raw);
    const fields = (root.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
    const extensions = fields.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && (f.type as number) === 3);
    if (!extensions) return undefined;
    for (const ext of (extensions.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[]) {
        const parts = ext.value as forge.asn1.Asn1[];
        if (asn1.derToOid(parts[0].value as string) !== '2.5.29.14') continue;
        const inner = asn1.fromDer(forge.util.createBuffer(parts[parts.length - 1].value as string));
        return Buffer.from(inner.value as string, 'binary');
    }
    return undefined;
}

