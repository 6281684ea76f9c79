// The identity a config resolves to (key, certificate chain, what ThingsBoard sees of it): the one type the
// TLS options, the MQTT connection and provisioning share, so none of them depends on how it was read.

export type IdentitySource = 'inline' | 'pkcs12' | 'file' | 'keystore';

/** What a key, certificate and CA chain resolve to once read and checked. */
export interface LoadedIdentity {
    /** where it came from, in precedence order */
    source: IdentitySource;
    /** leaf first, then its issuers in order, exactly as presented in the TLS handshake (canonical PEM) */
    certPem: string;
    /** names (CN, else subject) of certificates given with it that are not on the leaf's issuer path */
    droppedCertificates: string[];
    /** the leaf alone, canonical PEM (what ThingsBoard registers) */
    leafPem: string;
    /** decrypted private key (PKCS#8 PEM), kept in memory only */
    keyPem: string;
    commonName: string;
    /** SHA-256, upper-case hex pairs joined by ':' (openssl's format) */
    fingerprint: string;
    /** ThingsBoard's credentialsId: sha3-256 hex of base64(DER(leaf)) */
    credentialsId: string;
    notBefore: Date;
    notAfter: Date;
    /** public key algorithm of the leaf: 'ec', 'rsa', … */
    keyType: string;
}
