import { certificateToPem, describeCertificate, parseCertificates } from '../pki/certificate';
import type { IdentityProvider } from '../pki/identity-provider';
import { fail } from './messages';

/** A certificate ready to register: the leaf alone, in the forms ThingsBoard reads. */
export interface CertificateToProvision {
    /** base64(DER(leaf)), no markers, no line breaks: what the server hashes (reference §2.4) */
    leafDerBase64: string;
    /** the leaf alone as PEM (the device-api `hash` field) */
    leafPem: string;
    /** sha3-256 hex of leafDerBase64: the credentialsId ThingsBoard must end up with */
    credentialsId: string;
    /** the leaf's subject CN ('' when it has none) */
    commonName: string;
}

/** What a msg may carry: `payload.certificate` (x509-generate's output) or `certificate`. */
export interface ProvisionMessage {
    payload?: unknown;
    certificate?: unknown;
}

/**
 * Normalises certificate text by parsing it: a chain is reduced to its leaf, and
 * anything that is not a certificate is refused here, before a request is sent.
 * `source` names where the text came from, for the error message.
 */
export function certificateFromText(text: unknown, source: string): CertificateToProvision {
    const pem = Buffer.isBuffer(text) ? text.toString('utf8') : text;
    if (typeof pem !== 'string') {
        throw fail('TB_CERT_INVALID', { source, reason: `it is ${pem === null ? 'null' : typeof pem}, not PEM text` });
    }
    const leaf = parseCertificates(pem, source)[0];
    const described = describeCertificate(leaf);
    return {
        leafDerBase64: leaf.raw.toString('base64'),
        leafPem: certificateToPem(leaf),
        credentialsId: described.credentialsId,
        commonName: described.commonName,
    };
}

/**
 * The certificate to provision for a msg: msg.payload.certificate, else msg.certificate,
 * else the config's current identity.
 */
export async function certificateForMessage(
    msg: ProvisionMessage,
    identity: IdentityProvider,
    configLabel: string,
): Promise<CertificateToProvision> {
    const payload = msg.payload;
    if (payload && typeof payload === 'object' && !Buffer.isBuffer(payload)) {
        const certificate = (payload as { certificate?: unknown }).certificate;
        if (certificate !== undefined && certificate !== null && certificate !== '') {
            return certificateFromText(certificate, 'msg.payload.certificate');
        }
    }
    if (msg.certificate !== undefined && msg.certificate !== null && msg.certificate !== '') {
        return certificateFromText(msg.certificate, 'msg.certificate');
    }
    const current = await identity.current();
    if (!current) throw fail('TB_NO_CERTIFICATE', { config: configLabel });
    return certificateFromText(current.certPem, `the identity of tb-x509-config "${configLabel}"`);
}

/** The device name to use: the configured/msg name, else the certificate's CN. */
export function deviceNameFor(requested: unknown, certificate: CertificateToProvision): string {
    const name = typeof requested === 'string' || typeof requested === 'number' ? String(requested).trim() : '';
    if (name) return name;
    const cn = certificate.commonName.trim();
    if (cn) return cn;
    throw fail('TB_NO_DEVICE_NAME');
}
