/**
 * What x509-generate does with one request: validate, then (with a config) reuse the key
 * store's identity for this common name or generate and install a new one — one request at
 * a time per config, so two messages for the same device never generate twice.
 */
import { generateIdentity, normaliseGenerateOptions, type RawGenerateOptions } from './generate';
import type { IdentityProvider } from './identity-provider';
import { fail } from './messages';

export interface ObtainedIdentity {
    certPem: string;
    /** unencrypted PKCS#8 PEM */
    keyPem: string;
    commonName: string;
    fingerprint: string;
    credentialsId: string;
    keyType: string;
    notBefore: Date;
    notAfter: Date;
    /** true when the key store's identity was emitted instead of a new one */
    reused: boolean;
}

export interface ObtainOptions extends RawGenerateOptions {
    /** reuse a stored identity for this common name that is valid for more than 30 more days */
    reuse?: boolean;
}

const queues = new WeakMap<IdentityProvider, Promise<unknown>>();

function serialised<T>(provider: IdentityProvider, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(provider) ?? Promise.resolve()).then(task);
    queues.set(provider, run.catch(() => undefined));
    return run;
}

export async function obtainIdentity(raw: ObtainOptions, provider?: IdentityProvider): Promise<ObtainedIdentity> {
    const options = normaliseGenerateOptions(raw);
    if (!provider) return { ...(await generateIdentity(options)), reused: false };

    // Refuse before spending seconds on an RSA key that could not be installed.
    const kind = provider.ownIdentityKind();
    if (kind) throw fail('INSTALL_REFUSED', { config: provider.configLabel, kind });

    return serialised(provider, async () => {
        if (raw.reuse !== false) {
            const stored = await provider.reusable(options.commonName);
            if (stored) return { ...stored, certPem: stored.leafPem, reused: true };
        }
        const generated = await generateIdentity(options);
        const installed = await provider.install(generated);
        return { ...installed, certPem: installed.leafPem, reused: false };
    });
}
