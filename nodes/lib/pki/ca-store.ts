/**
 * Where a tb-x509-ca's CA comes from, in precedence order: the pasted `cert`/`key`
 * credentials, the `certFile`/`keyFile` paths, else its key store (`key.pem` 0600 +
 * `cert.pem`), where a root CA (EC P-256, CN = the node's name) is generated on first use and
 * kept, so every later start signs with the same CA.
 */
import { CertificateAuthority } from './ca';
import { keyStorePaths, readKeyStore, writeKeyStore } from './keystore';
import { fail } from './messages';
import { readPemFile } from './pem-file';

export interface CaSettings {
    /** the node's label, also the generated CA's common name */
    name: string;
    keyStoreDir: string;
    /** validity of a generated CA */
    days: number;
    certFile?: string;
    keyFile?: string;
}

export interface CaCredentials {
    cert?: string;
    key?: string;
    passphrase?: string;
}

export const DEFAULT_CA_DAYS = 3650;

function present(value: string | undefined): value is string {
    return typeof value === 'string' && value.trim() !== '';
}

/** Resolves the CA once (a generated one is written before it is used) and keeps it. */
export class CaStore {
    private loading?: Promise<CertificateAuthority>;

    constructor(
        private readonly settings: CaSettings,
        private readonly credentials: CaCredentials,
    ) {}

    get label(): string {
        return this.settings.name || 'tb-x509-ca';
    }

    /** The CA; a failure is not cached, so a corrected file is read on the next call. */
    authority(): Promise<CertificateAuthority> {
        this.loading ??= this.resolve().catch((err: unknown) => {
            this.loading = undefined;
            throw err;
        });
        return this.loading;
    }

    private async resolve(): Promise<CertificateAuthority> {
        const c = this.credentials;
        const s = this.settings;
        const ca = this.label;
        const credential = (name: string) => `the "${name}" credential of tb-x509-ca "${ca}"`;
        const hasCert = present(c.cert) || present(s.certFile);
        const hasKey = present(c.key) || present(s.keyFile);
        const certSource = present(c.cert) ? credential('cert') : `file ${s.certFile ?? ''}`;
        const keySource = present(c.key) ? credential('key') : `file ${s.keyFile ?? ''}`;
        if (hasCert && !hasKey) throw fail('CA_CERT_WITHOUT_KEY', { ca, certSource });
        if (hasKey && !hasCert) throw fail('CA_KEY_WITHOUT_CERT', { ca, keySource });
        if (hasCert && hasKey) {
            const certText = present(c.cert) ? c.cert : await readPemFile(s.certFile ?? '', 'CA certificate', this.label);
            const keyText = present(c.key) ? c.key : await readPemFile(s.keyFile ?? '', 'CA key', this.label);
            return CertificateAuthority.fromPem(certText, keyText, c.passphrase, { certSource, keySource, ca });
        }
        return this.fromKeyStore();
    }

    private async fromKeyStore(): Promise<CertificateAuthority> {
        const dir = this.settings.keyStoreDir;
        const ca = this.label;
        const paths = keyStorePaths(dir);
        const stored = await readKeyStore(dir, ca);
        if (stored) {
            return CertificateAuthority.fromPem(stored.certPem, stored.keyPem, undefined, { certSource: `file ${paths.cert}`, keySource: `file ${paths.key}`, ca });
        }
        const generated = await CertificateAuthority.generateRoot(ca, this.settings.days);
        await writeKeyStore(dir, { keyPem: generated.keyPem, certPem: generated.certPem }, ca);
        return generated.authority;
    }

}
