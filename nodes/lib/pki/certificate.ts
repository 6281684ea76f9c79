/**
 * Certificates as ThingsBoard and openssl see them: PEM parsing, the leaf's DER,
 * fingerprints and ThingsBoard's credentialsId.
 *
 * Parsing rules (what users paste is often an export with extra text):
 * - every `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block is read, in order,
 *   leaf first; text between or around blocks (`Bag Attributes`, `subject=`/`issuer=` lines
 *   from `openssl pkcs12`/`x509 -text`) is ignored, and CRLF, indentation and blank lines are
 *   tolerated inside a block;
 * - text with no block at all but that is bare base64 (ThingsBoard's own `credentialsValue`
 *   format) is read as the DER of one certificate;
 * - anything else, or a block that does not decode to a certificate, is a CodedError.
 */
import { createHash, X509Certificate } from 'crypto';
import * as forge from 'node-forge';
import { reasonOf } from '../errors';
import { fail } from './messages';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const BARE_BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** Default wording for where a certificate came from, when the caller does not say. */
const DEFAULT_SOURCE = 'the certificate text';

/** The DER bytes of each certificate block, in order. */
function certificateDers(pemText: string, source = DEFAULT_SOURCE): Buffer[] {
    const text = String(pemText ?? '');
    const bodies = [...text.matchAll(CERT_BLOCK)].map((match) => match[1]);
    if (bodies.length === 0) {
        const bare = text.trim();
        if (bare.length >= 64 && BARE_BASE64.test(bare)) bodies.push(bare);
        else throw fail('CERT_NOT_PEM', { source });
    }
    return bodies.map((body) => Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}

/** All certificates in `pemText`, leaf first. Throws a CodedError naming `source` on garbage. */
export function parseCertificates(pemText: string, source = DEFAULT_SOURCE): X509Certificate[] {
    return certificateDers(pemText, source).map((der, i) => {
        try {
            return new X509Certificate(der);
        } catch (err) {
            throw fail('CERT_UNREADABLE', { index: i + 1, source, reason: reasonOf(err) });
        }
    });
}

/** PEM of one certificate: 64-character lines, LF, trailing newline. */
export function certificateToPem(cert: X509Certificate): string {
    const lines = cert.raw.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Every certificate of `pemText` re-encoded as canonical PEM, leaf first (for TLS). */
export function canonicalChainPem(pemText: string, source?: string): string {
    return parseCertificates(pemText, source).map(certificateToPem).join('');
}

/** ThingsBoard's hash: lower-case hex SHA3-256 of a string (reference §2.4). */
function sha3Hex(text: string): string {
    return createHash('sha3-256').update(text, 'utf8').digest('hex');
}

/** ThingsBoard's credentialsId: sha3-256 hex of base64(DER), standard alphabet with padding, no line breaks. */
function credentialsIdOf(cert: X509Certificate): string {
    return sha3Hex(cert.raw.toString('base64'));
}

export interface CertificateDescription {
    /** the subject's CN, decoded (empty when the subject has none) */
    commonName: string;
    /** SHA-256, upper-case hex pairs joined by ':' as openssl prints it */
    fingerprint: string;
    notBefore: Date;
    notAfter: Date;
    /** ThingsBoard's credentialsId */
    credentialsId: string;
    /** public key algorithm: 'rsa', 'ec', … (Node's asymmetricKeyType) */
    keyType: string;
}

const OID_COMMON_NAME = '2.5.4.3';
/** ASN.1 UniversalString (UCS-4 BE), a tag node-forge's Type enum does not name. */
const UNIVERSAL_STRING = 28 as forge.asn1.Type;

function decodeAsn1String(value: forge.asn1.Asn1): string {
    const raw = Buffer.from(value.value as string, 'binary');
    switch (value.type) {
        case forge.asn1.Type.BMPSTRING:
            return raw.swap16().toString('utf16le');
        case UNIVERSAL_STRING:
            return Array.from({ length: raw.length / 4 }, (_, i) => String.fromCodePoint(raw.readUInt32BE(i * 4))).join('');
        case forge.asn1.Type.UTF8:
            return raw.toString('utf8');
        default:
            return raw.toString('latin1');
    }
}

/**
 * The subject CN, read from the DER itself: Node's `subject` string escapes and quotes
 * special characters, but a device name must round-trip exactly.
 */
export function commonNameOf(cert: X509Certificate): string {
    try {
        const root = forge.asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary')));
        const tbs = (root.value as forge.asn1.Asn1[])[0];
        const fields = tbs.value as forge.asn1.Asn1[];
        // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject
        const offset = fields[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
        const subject = fields[offset + 4].value as forge.asn1.Asn1[];
        for (const rdn of subject) {
            for (const attribute of rdn.value as forge.asn1.Asn1[]) {
                const [oid, value] = attribute.value as forge.asn1.Asn1[];
                if (forge.asn1.derToOid(oid.value as string) === OID_COMMON_NAME) return decodeAsn1String(value);
            }
        }
        return '';
    } catch {
        const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
        return line ? line.slice(3) : '';
    }
}

export function describeCertificate(cert: X509Certificate): CertificateDescription {
    return {
        commonName: commonNameOf(cert),
        fingerprint: cert.fingerprint256,
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        credentialsId: credentialsIdOf(cert),
        keyType: cert.publicKey.asymmetricKeyType ?? 'unknown',
    };
}
