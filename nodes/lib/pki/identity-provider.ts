import { EventEmitter } from 'events';
import { promises as fs } from 'fs';
import type { X509Certificate } from 'crypto';
import type { ConfigCredentials, ConfigSettings } from '../config-settings';
import { CodedError } from '../errors';
import { canonicalChainPem, certificateToPem, describeCertificate, parseCertificates } from './certificate';
import { orderChain } from './chain-order';
import { keyToPkcs8Pem, loadPrivateKey } from './keys';
import { keyStorePaths, readKeyStore, writeKeyStore } from './keystore';
import { fail } from './messages';
import { readPemFile } from './pem-file';
import type { IdentitySource, LoadedIdentity } from './loaded-identity';
import { readPkcs12 } from './pkcs12';

export interface GeneratedIdentity {
    keyPem: string;
    certPem: string;
}

const DAY_MS = 86_400_000;
/** x509-generate reuses a stored identity only when it stays valid this much longer. */
export const DEFAULT_REUSE_MIN_DAYS = 30;

function present(value: string | undefined): value is string {
    return typeof value === 'string' && value.trim() !== '';
}

/** Plain-text description of where material came from, for error texts. */
const describeSource = {
    credential: (name: string, config: string) => `the "${name}" credential of config "${config}"`,
    file: (file: string) => `file ${file}`,
    pkcs12: (config: string) => `the PKCS#12 bundle of config "${config}"`,
};

/**
 * A certificate (with chain) and key, read and checked: the certificate of the key comes
 * first, then its issuers in order (chain-order.ts); certificates off that path are left out
 * and named in `droppedCertificates`. Validity dates are not checked here (see validity.ts):
 * an expired identity still loads.
 */
export function assembleIdentity(
    source: IdentitySource,
    certificates: X509Certificate[],
    key: ReturnType<typeof loadPrivateKey>,
    where: { certSource: string; keySource: string },
): LoadedIdentity {
    const ordered = orderChain(certificates, key);
    if (!ordered) throw fail('KEY_CERT_MISMATCH', { ...where, commonName: describeCertificate(certificates[0]).commonName });
    const leaf = ordered.chain[0];
    const description = describeCertificate(leaf);
    return {
        source,
        certPem: ordered.chain.map(certificateToPem).join(''),
        droppedCertificates: ordered.dropped,
        leafPem: certificateToPem(leaf),
        keyPem: keyToPkcs8Pem(key),
        ...description,
    };
}

/** Stat signature of files, to notice that a file identity changed on disk. */
async function fileStamp(files: string[]): Promise<string> {
    const stamps = await Promise.all(
        files.map((file) =>
            fs.stat(file).then(
                (s) => `${s.mtimeMs}:${s.size}`,
                () => 'missing',
            ),
        ),
    );
    return stamps.join('|');
}

interface Cached<T> {
    value: T;
    /** files the value was read from, and their stamp then (none for inline material) */
    files: string[];
    stamp: string;
}

/**
 * Resolves the config's identity (inline cert/key → inline PKCS#12 → certFile/keyFile →
 * key store) and its CA chain, caches them, and takes generated identities. File-based
 * material is re-read when the files change on disk. Emits 'changed' (LoadedIdentity) when
 * a generated identity is installed.
 */
export class IdentityProvider extends EventEmitter {
    private identityCache?: Cached<LoadedIdentity | undefined>;
    private identityLoading?: Promise<LoadedIdentity | undefined>;
    private caCache?: Cached<string | undefined>;
    private installQueue: Promise<unknown> = Promise.resolve();

    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly credentials: ConfigCredentials,
    ) {
        super();
    }

    /** The config's label as users see it in messages. */
    get configLabel(): string {
        return this.settings.label || this.settings.host || 'tb-x509-config';
    }

    /**
     * Which identity the config holds by itself (credentials or file paths), which a generated
     * one may not replace; undefined when it relies on its key store.
     */
    ownIdentityKind(): 'inline' | 'PKCS#12' | 'file' | undefined {
        const c = this.credentials;
        if (present(c.cert) || present(c.key)) return 'inline';
        if (present(c.pkcs12)) return 'PKCS#12';
        if (present(this.settings.certFile) || present(this.settings.keyFile)) return 'file';
        return undefined;
    }

    /** undefined when nothing is configured anywhere; throws a CodedError when material is unusable */
    async current(): Promise<LoadedIdentity | undefined> {
        const cached = this.identityCache;
        if (cached && (cached.files.length === 0 || (await fileStamp(cached.files)) === cached.stamp)) {
            return cached.value;
        }
        this.identityLoading ??= this.loadIdentity().finally(() => {
            this.identityLoading = undefined;
        });
        return this.identityLoading;
    }

    /** PEM of the CA chain to verify the server with, or undefined for the system trust store */
    async caChain(): Promise<string | undefined> {
        const cached = this.caCache;
        if (cached && (cached.files.length === 0 || (await fileStamp(cached.files)) === cached.stamp)) {
            return cached.value;
        }
        const config = this.configLabel;
        let text: string | undefined;
        let source: string;
        let files: string[] = [];
        if (present(this.credentials.ca)) {
            text = this.credentials.ca;
            source = describeSource.credential('ca', config);
        } else if (present(this.settings.caFile)) {
            files = [this.settings.caFile];
            text = await readPemFile(this.settings.caFile, 'CA', this.configLabel);
            source = describeSource.file(this.settings.caFile);
        } else {
            source = '';
        }
        let value: string | undefined;
        if (text !== undefined) {
            try {
                value = canonicalChainPem(text, source);
            } catch (err) {
                if (err instanceof CodedError && err.code === 'CERT_NOT_PEM') throw fail('CA_NOT_PEM', { source });
                throw err;
            }
        }
        this.caCache = { value, files, stamp: await fileStamp(files) };
        return value;
    }

    /**
     * The key store's identity when it is for `commonName` and stays valid for more than
     * `minDaysLeft` days; undefined otherwise (also when the store is empty or unreadable,
     * or the config holds its own identity).
     */
    async reusable(commonName: string, minDaysLeft = DEFAULT_REUSE_MIN_DAYS, now = new Date()): Promise<LoadedIdentity | undefined> {
        if (this.ownIdentityKind()) return undefined;
        let stored: LoadedIdentity | undefined;
        try {
            stored = await this.loadKeyStore();
        } catch {
            return undefined; // a damaged store is replaced by a fresh identity (kept as .prev)
        }
        if (!stored || stored.commonName !== commonName) return undefined;
        if (stored.notBefore.getTime() > now.getTime()) return undefined;
        if (stored.notAfter.getTime() - now.getTime() <= minDaysLeft * DAY_MS) return undefined;
        return stored;
    }

    /** Installs a generated identity; throws when the config holds an inline or file identity. */
    async install(identity: GeneratedIdentity): Promise<LoadedIdentity> {
        const run = this.installQueue.then(() => this.installNow(identity));
        this.installQueue = run.catch(() => undefined);
        return run;
    }

    private async installNow(generated: GeneratedIdentity): Promise<LoadedIdentity> {
        const config = this.configLabel;
        const kind = this.ownIdentityKind();
        if (kind) throw fail('INSTALL_REFUSED', { config, kind });
        const dir = this.settings.keyStoreDir;
        const paths = keyStorePaths(dir);
        const source = 'the identity to install';
        const loaded = assembleIdentity(
            'keystore',
            parseCertificates(generated.certPem, source),
            loadPrivateKey(generated.keyPem, undefined, { source, config }),
            { certSource: source, keySource: source },
        );
        await writeKeyStore(dir, { keyPem: loaded.keyPem, certPem: loaded.certPem }, config);
        this.identityCache = { value: loaded, files: [paths.key, paths.cert], stamp: await fileStamp([paths.key, paths.cert]) };
        this.emit('changed', loaded);
        return loaded;
    }

    private async loadIdentity(): Promise<LoadedIdentity | undefined> {
        const { value, files } = await this.resolveIdentity();
        // Stamp after reading: a file replaced while we read is read again next time.
        this.identityCache = { value, files, stamp: await fileStamp(files) };
        return value;
    }

    private async resolveIdentity(): Promise<{ value: LoadedIdentity | undefined; files: string[] }> {
        const c = this.credentials;
        const s = this.settings;
        const config = this.configLabel;

        if (present(c.cert) || present(c.key)) {
            // Inline first; a missing half may come from its file path (design: files are used when the credential is empty).
            const files: string[] = [];
            const certText = present(c.cert) ? c.cert : present(s.certFile) ? (files.push(s.certFile), await readPemFile(s.certFile, 'certificate', this.configLabel)) : undefined;
            const keyText = present(c.key) ? c.key : present(s.keyFile) ? (files.push(s.keyFile), await readPemFile(s.keyFile, 'key', this.configLabel)) : undefined;
            const certSource = present(c.cert) ? describeSource.credential('cert', config) : describeSource.file(s.certFile ?? '');
            const keySource = present(c.key) ? describeSource.credential('key', config) : describeSource.file(s.keyFile ?? '');
            if (certText === undefined) throw fail('KEY_WITHOUT_CERT', { config, keySource });
            if (keyText === undefined) throw fail('CERT_WITHOUT_KEY', { config, certSource });
            return { value: this.fromPem('inline', certText, certSource, keyText, keySource), files };
        }

        if (present(c.pkcs12)) {
            const bundle = readPkcs12(c.pkcs12, c.pkcs12Password, config);
            const source = describeSource.pkcs12(config);
            return { value: assembleIdentity('pkcs12', bundle.certificates, bundle.key, { certSource: source, keySource: source }), files: [] };
        }

        if (present(s.certFile) || present(s.keyFile)) {
            const certSource = describeSource.file(s.certFile ?? '');
            const keySource = describeSource.file(s.keyFile ?? '');
            if (!present(s.keyFile)) throw fail('CERT_WITHOUT_KEY', { config, certSource });
            if (!present(s.certFile)) throw fail('KEY_WITHOUT_CERT', { config, keySource });
            const [certText, keyText] = await Promise.all([readPemFile(s.certFile, 'certificate', this.configLabel), readPemFile(s.keyFile, 'key', this.configLabel)]);
            return { value: this.fromPem('file', certText, certSource, keyText, keySource), files: [s.certFile, s.keyFile] };
        }

        const paths = keyStorePaths(s.keyStoreDir);
        return { value: await this.loadKeyStore(), files: [paths.key, paths.cert] };
    }

    private async loadKeyStore(): Promise<LoadedIdentity | undefined> {
        const config = this.configLabel;
        const stored = await readKeyStore(this.settings.keyStoreDir, config);
        if (!stored) return undefined;
        const paths = keyStorePaths(this.settings.keyStoreDir);
        return this.fromPem('keystore', stored.certPem, describeSource.file(paths.cert), stored.keyPem, describeSource.file(paths.key));
    }

    private fromPem(source: IdentitySource, certText: string, certSource: string, keyText: string, keySource: string): LoadedIdentity {
        const certificates = parseCertificates(certText, certSource);
        const key = loadPrivateKey(keyText, this.credentials.passphrase, { source: keySource, config: this.configLabel });
        return assembleIdentity(source, certificates, key, { certSource, keySource });
    }

}
