import { rootCertificates } from 'tls';
import { certTrimNewLines, sha3Hex } from './hash';

// DeviceProfileServiceImpl.formatDeviceProfileCertificate (3.5 … 4.3.1.3, unchanged) and
// DeviceProfileDataValidator.isDeviceProfileCertificateInJavaCacerts, modelled:
// - one certificate: the secret is stored as certTrimNewLines(PEM) (bare base64) and
//   provisionDeviceKey = sha3 of it, the hash the transport computes for that certificate;
// - more than one: the secret is stored as a re-lined PEM chain, and the key is the sha3 of the
//   first PEM block *with* its markers, a hash no presented certificate ever has, so such a
//   profile never provisions anything (the ugly truth: upload the CA certificate alone);
// - the formatted secret equal to a JDK cacerts root (here: Node's bundled Mozilla roots) is refused.

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const FIRST_BLOCK_ON_ONE_LINE = /-----BEGIN CERTIFICATE-----\s*.*?\s*-----END CERTIFICATE-----/;

/** EncryptionUtil.certTrimNewLinesForChainInDeviceProfile */
function chainTrimNewLines(value: string): string {
    return value
        .replace(/[\r\n]/g, '')
        .replace(/-----BEGIN CERTIFICATE-----/g, '-----BEGIN CERTIFICATE-----\n')
        .replace(/-----END CERTIFICATE-----/g, '\n-----END CERTIFICATE-----\n')
        .trim();
}

export interface FormattedProfileCertificate {
    /** what the profile stores as provisionDeviceSecret */
    secret: string;
    /** what the profile stores as provisionDeviceKey */
    provisionDeviceKey: string;
}

export function formatProfileCertificate(secret: string): FormattedProfileCertificate {
    // CertificateFactory.generateCertificates counts the certificates; two or more is a chain.
    const blocks = secret.match(PEM_BLOCK) ?? [];
    const formatted = blocks.length > 1 ? chainTrimNewLines(secret) : certTrimNewLines(secret);
    const first = FIRST_BLOCK_ON_ONE_LINE.exec(formatted)?.[0] ?? formatted;
    return { secret: formatted, provisionDeviceKey: sha3Hex(first) };
}

let wellKnownRoots: Set<string> | undefined;

/** The formatted secret is one of the trust store's roots (compared as bare base64, as the validator does). */
export function isWellKnownRoot(formattedSecret: string): boolean {
    wellKnownRoots ??= new Set(rootCertificates.map(certTrimNewLines));
    return wellKnownRoots.has(formattedSecret);
}
