import { createHash } from 'crypto';

// ThingsBoard's EncryptionUtil, written independently of the nodes' code so tests stay honest:
// certTrimNewLines removes the PEM markers, \r and \n and nothing else; the id is SHA3-256 hex of what remains.
export function certTrimNewLines(value: string): string {
    return value
        .replace(/-----BEGIN CERTIFICATE-----/g, '')
        .replace(/-----END CERTIFICATE-----/g, '')
        .replace(/[\r\n]/g, '');
}

export function sha3Hex(value: string): string {
    return createHash('sha3-256').update(value, 'utf8').digest('hex');
}

/** getSha3Hash(delimiter, ...values): values joined with the delimiter, null values skipped. */
export function sha3OfParts(parts: Array<string | undefined | null>): string {
    return sha3Hex(parts.filter((p): p is string => p !== undefined && p !== null).join('|'));
}

/** credentialsId for a certificate string as the REST path computes it (DCS formatCertData). */
export function x509CredentialsId(value: string): { credentialsId: string; credentialsValue: string } {
    const trimmed = certTrimNewLines(value);
    return { credentialsId: sha3Hex(trimmed), credentialsValue: trimmed };
}

/** credentialsId for a TLS leaf as the transport computes it (SslUtil.getCertificateString: base64 of the DER). */
export function leafCredentialsId(der: Buffer): string {
    return sha3Hex(der.toString('base64'));
}
