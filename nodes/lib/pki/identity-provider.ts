// STUB — owned by the pki work (issue 2). Keep the exported shape; fill in the behaviour.
import { EventEmitter } from 'events';
import type { ConfigCredentials, ConfigSettings } from '../config-settings';

/** What a key, certificate and CA chain resolve to once read and checked. */
export interface LoadedIdentity {
    /** where it came from, in precedence order */
    source: 'inline' | 'pkcs12' | 'file' | 'keystore';
    /** leaf first, then any chain, exactly as presented in the TLS handshake */
    certPem: string;
    /** decrypted private key (PEM), kept in memory only */
    keyPem: string;
    commonName: string;
    /** SHA-256, upper-case hex pairs joined by ':' (openssl's format) */
    fingerprint: string;
    /** ThingsBoard's credentialsId: sha3-256 hex of base64(DER(leaf)) */
    credentialsId: string;
    notBefore: Date;
    notAfter: Date;
}

export interface GeneratedIdentity {
    keyPem: string;
    certPem: string;
}

/**
 * Resolves the config's identity (inline credential → file path → key store) and its
 * CA chain, caches them, and takes generated identities. Emits 'changed' when the
 * identity in use changes.
 */
export class IdentityProvider extends EventEmitter {
    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly credentials: ConfigCredentials,
    ) {
        super();
    }

    /** undefined when nothing is configured anywhere; throws a CodedError when material is unusable */
    async current(): Promise<LoadedIdentity | undefined> {
        throw new Error('not implemented');
    }

    /** PEM of the CA chain to verify the server with, or undefined for the system trust store */
    async caChain(): Promise<string | undefined> {
        throw new Error('not implemented');
    }

    /** Installs a generated identity; throws when the config holds an inline or file identity. */
    async install(_identity: GeneratedIdentity): Promise<LoadedIdentity> {
        throw new Error('not implemented');
    }
}
