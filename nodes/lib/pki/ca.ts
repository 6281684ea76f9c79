/**
 * A certificate authority that signs device certificates: its certificate (optionally followed
 * by its own chain up to the root, when it is an intermediate) and its private key, which stays
 * in this object and its 0600 key store: no method returns it and no error text carries it.
 */
import { X509Certificate, type KeyObject } from 'crypto';
import { certificateToPem, describeCertificate, parseCertificates, type CertificateDescription } from './certificate';
import { buildCertificate, buildX509Certificate, keyIdentifierOf, newKeyPair, subjectKeyIdentifierOf, subjectNameDer } from './certificate-builder';
import { normaliseGenerateOptions, type RawGenerateOptions } from './generate';
import { keyMatchesCertificate, keyToPkcs8Pem, loadPrivateKey } from './keys';
import { fail } from './messages';

/** A device identity the CA issued: the leaf, the issuing chain (CA first) and the new key. */
export interface IssuedIdentity extends CertificateDescription {
    /** the leaf alone */
    certPem: string;
    /** the certificates that issued the leaf, its issuer first (this CA, then the CA's own chain) */
    chainPem: string;
    /** unencrypted PKCS#8 PEM */
    keyPem: string;
}

/** Where the CA's material came from, for error texts (never the material itself). */
export interface CaOrigin {
    certSource: string;
    keySource: string;
    /** the tb-x509-ca node's label */
    ca: string;
}

const DAY_MS = 86_400_000;

export class CertificateAuthority {
    /** the CA certificate alone (what a ThingsBoard device profile takes) */
    readonly certificatePem: string;
    /** the CA certificate followed by its own chain: what follows an issued leaf */
    readonly chainPem: string;
    readonly description: CertificateDescription;
    private readonly certificate: X509Certificate;
    private readonly keyIdentifier: Buffer;

    private constructor(
        certificates: X509Certificate[],
        private readonly privateKey: KeyObject,
    ) {
        this.certificate = certificates[0];
        this.certificatePem = certificateToPem(this.certificate);
        this.chainPem = certificates.map(certificateToPem).join('');
        this.description = describeCertificate(this.certificate);
        // A CA without an SKI extension is identified as openssl would compute it.
        this.keyIdentifier = subjectKeyIdentifierOf(this.certificate) ?? keyIdentifierOf(this.certificate.publicKey);
    }

    /**
     * A CA from PEM text: the certificate (leaf of `certText`; what follows is its chain) must be
     * a CA (basicConstraints CA:TRUE) and the key must be its key.
     */
    static fromPem(certText: string, keyText: string, passphrase: string | undefined, origin: CaOrigin): CertificateAuthority {
        const certificates = parseCertificates(certText, origin.certSource);
        const key = loadPrivateKey(keyText, passphrase, { source: origin.keySource, config: origin.ca });
        const cert = certificates[0];
        const commonName = describeCertificate(cert).commonName;
        if (!cert.ca) throw fail('CA_NOT_A_CA', { ca: origin.ca, source: origin.certSource, commonName });
        if (!keyMatchesCertificate(key, cert)) {
            throw fail('KEY_CERT_MISMATCH', { certSource: origin.certSource, keySource: origin.keySource, commonName });
        }
        return new CertificateAuthority(certificates, key);
    }

    /** A new self-signed root CA (EC P-256), as the key store keeps it. */
    static async generateRoot(commonName: string, days: number): Promise<{ authority: CertificateAuthority; keyPem: string; certPem: string }> {
        const keys = await newKeyPair({ keyType: 'ec', curve: 'P-256', rsaBits: 4096 });
        // X.509 allows 64 characters in a CN; a longer node name is cut rather than refused.
        const name = [...(commonName.trim() || 'tb-x509-ca')].slice(0, 64).join('');
        const certPem = buildCertificate({ publicKey: keys.publicKey, selfKey: keys.privateKey, commonName: name, days, profile: 'ca' });
        const authority = new CertificateAuthority([new X509Certificate(certPem)], keys.privateKey);
        return { authority, keyPem: keyToPkcs8Pem(keys.privateKey), certPem };
    }

    get commonName(): string {
        return this.description.commonName;
    }

    /** true when `leafPem`'s first certificate was signed by this CA's key */
    signed(leafPem: string): boolean {
        try {
            const leaf = parseCertificates(leafPem)[0];
            return leaf.checkIssued(this.certificate) && leaf.verify(this.certificate.publicKey);
        } catch {
            return false;
        }
    }

    /**
     * A new key pair and a leaf certificate for `commonName` signed by this CA. Options as
     * x509-generate takes them (raw strings are fine). The leaf never outlives the CA.
     */
    async issue(raw: RawGenerateOptions, now: Date = new Date()): Promise<IssuedIdentity> {
        const options = normaliseGenerateOptions(raw);
        if (this.description.notAfter.getTime() <= now.getTime() + DAY_MS) {
            throw fail('CA_EXPIRED', { commonName: this.commonName, date: this.description.notAfter.toISOString() });
        }
        let keyPem: string;
        let leaf: X509Certificate;
        try {
            const keys = await newKeyPair(options);
            leaf = buildX509Certificate(
                {
                    publicKey: keys.publicKey,
                    commonName: options.commonName,
                    days: options.days,
                    profile: 'leaf',
                    issuer: {
                        nameDer: subjectNameDer(this.certificate),
                        privateKey: this.privateKey,
                        keyIdentifier: this.keyIdentifier,
                        notAfter: this.description.notAfter,
                    },
                },
                now,
            );
            keyPem = keyToPkcs8Pem(keys.privateKey);
        } catch (err) {
            if (err instanceof Error && 'code' in err) throw err;
            const reason = err instanceof Error ? err.message : String(err);
            throw fail('GENERATE_FAILED', { keyType: options.keyType.toUpperCase(), commonName: options.commonName, reason });
        }
        return { certPem: certificateToPem(leaf), chainPem: this.chainPem, keyPem, ...describeCertificate(leaf) };
    }
}
