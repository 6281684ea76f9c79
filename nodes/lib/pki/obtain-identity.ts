/**
 * What x509-generate does with one request: validate, then (with a config) reuse the stored
 * identity for this common name or make and install a new one — one request at a time per
 * config, so two messages for the same device never generate twice.
 *
 * With a CA the new identity is a CA-signed leaf and the stored cert.pem holds leaf + chain
 * (leaf first, as ThingsBoard wants the order in the handshake). A fleet config keeps one
 * identity per device name (fleet-keystore.ts); a single config keeps one in its key store.
 */
import type { CertificateAuthority } from './ca';
import { certificateToPem, parseCertificates } from './certificate';
import type { FleetKeyStore } from './fleet-keystore';
import { generateIdentity, normaliseGenerateOptions, type RawGenerateOptions } from './generate';
import { DEFAULT_REUSE_MIN_DAYS, type IdentityProvider } from './identity-provider';
import type { LoadedIdentity } from './loaded-identity';
import { fail } from './messages';

export interface ObtainedIdentity {
    /** the leaf alone */
    certPem: string;
    /** the certificates that issued the leaf, its issuer first; "" when self-signed */
    chainPem: string;
    /** unencrypted PKCS#8 PEM */
    keyPem: string;
    commonName: string;
    fingerprint: string;
    credentialsId: string;
    keyType: string;
    notBefore: Date;
    notAfter: Date;
    /** true when the stored identity was emitted instead of a new one */
    reused: boolean;
}

export interface ObtainOptions extends RawGenerateOptions {
    /** reuse a stored identity for this common name that is valid for more than `renewBefore` more days */
    reuse?: boolean;
    /** days: a stored identity ending within this many days is renewed instead of reused (default 30) */
    renewBefore?: number | string;
}

/** Where the identity goes and who signs it. */
export interface ObtainTarget {
    /** single mode: the config's own key store */
    provider?: IdentityProvider;
    /** fleet mode: the config's per-device key store (takes precedence over `provider`) */
    fleet?: FleetKeyStore;
    /** signs the new leaf; without it the identity is self-signed */
    ca?: CertificateAuthority;
}

const queues = new WeakMap<object, Promise<unknown>>();

function serialised<T>(owner: object, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(owner) ?? Promise.resolve()).then(task);
    queues.set(owner, run.catch(() => undefined));
    return run;
}

/**
 * Fleet mode: one request at a time per device name, not per config, so a thousand devices
 * onboard in parallel (key generation and file writes run in the thread pool) while two
 * messages for the same device still never generate twice.
 */
const deviceQueues = new WeakMap<object, Map<string, Promise<unknown>>>();

function serialisedPerDevice<T>(owner: object, deviceName: string, task: () => Promise<T>): Promise<T> {
    let byName = deviceQueues.get(owner);
    if (!byName) deviceQueues.set(owner, (byName = new Map<string, Promise<unknown>>()));
    const run = (byName.get(deviceName) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    byName.set(deviceName, settled);
    void settled.then(() => {
        if (byName.get(deviceName) === settled) byName.delete(deviceName);
    });
    return run;
}

function renewBeforeDays(raw: number | string | undefined): number {
    if (raw === undefined || raw === null || String(raw).trim() === '') return DEFAULT_REUSE_MIN_DAYS;
    const days = Number(String(raw).trim());
    if (!Number.isInteger(days) || days < 0 || days > 36500) throw fail('RENEW_BEFORE_INVALID', { days: String(raw) });
    return days;
}

/** The stored identity as x509-generate emits it: leaf and chain apart. */
function fromStored(stored: LoadedIdentity): ObtainedIdentity {
    const chainPem = parseCertificates(stored.certPem).slice(1).map(certificateToPem).join('');
    return { ...stored, certPem: stored.leafPem, chainPem, reused: true };
}

/** A stored identity is reused only when it comes from the signer now configured. */
function sameSigner(stored: LoadedIdentity, ca: CertificateAuthority | undefined): boolean {
    const certificates = parseCertificates(stored.certPem);
    if (!ca) return certificates.length === 1;
    return certificates.length > 1 && certificateToPem(certificates[1]) === ca.certificatePem && ca.signed(stored.leafPem);
}

export async function obtainIdentity(raw: ObtainOptions, target: ObtainTarget | IdentityProvider = {}): Promise<ObtainedIdentity> {
    const { provider, fleet, ca } = 'current' in target ? { provider: target, fleet: undefined, ca: undefined } : target;
    const options = normaliseGenerateOptions(raw);
    const renewBefore = renewBeforeDays(raw.renewBefore);
    const make = async (): Promise<ObtainedIdentity> => {
        if (ca) {
            const issued = await ca.issue(options);
            return { ...issued, reused: false };
        }
        return { ...(await generateIdentity(options)), chainPem: '', reused: false };
    };
    const bundle = (made: ObtainedIdentity) => ({ keyPem: made.keyPem, certPem: made.certPem + made.chainPem });

    if (fleet) {
        return serialisedPerDevice(fleet, options.commonName, async () => {
            if (raw.reuse !== false) {
                const stored = await fleet.reusable(options.commonName, renewBefore);
                if (stored && sameSigner(stored, ca)) return fromStored(stored);
            }
            const made = await make();
            await fleet.install(options.commonName, bundle(made));
            return made;
        });
    }
    if (!provider) return make();

    // Refuse before spending seconds on an RSA key that could not be installed.
    const kind = provider.ownIdentityKind();
    if (kind) throw fail('INSTALL_REFUSED', { config: provider.configLabel, kind });

    return serialised(provider, async () => {
        if (raw.reuse !== false) {
            const stored = await provider.reusable(options.commonName, renewBefore);
            if (stored && sameSigner(stored, ca)) return fromStored(stored);
        }
        const made = await make();
        const installed = await provider.install(bundle(made));
        return { ...made, ...installed, certPem: installed.leafPem, chainPem: made.chainPem, reused: false };
    });
}
