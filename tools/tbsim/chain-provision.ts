import type { X509Certificate } from 'crypto';
import { leafCredentialsId } from './hash';
import { TbError } from './errors';
import type { TenantStore } from './store';

// X.509 certificate-chain auto-provisioning (reference §3.4), run when the TLS session starts, before CONNECT,
// as ThingsBoard's trust manager does during the handshake.

export type ChainOutcome = 'known' | 'provisioned' | 'updated' | 'failure' | 'none';

/** First CN of the subject (SslUtil.parseCommonName). */
export function commonName(cert: X509Certificate): string | undefined {
    for (const line of cert.subject.split('\n')) {
        if (line.startsWith('CN=')) return line.slice(3);
    }
    return undefined;
}

/** `chain` is leaf first. */
export function provisionByChain(store: TenantStore, chain: X509Certificate[]): ChainOutcome {
    if (chain.length === 0) return 'none';
    const leaf = chain[0];
    const leafValue = leaf.raw.toString('base64');
    for (const cert of chain) {
        const hash = leafCredentialsId(cert.raw);
        const known = store.findCredentialsById(hash);
        if (known?.credentialsType === 'X509_CERTIFICATE') return 'known';
        const profile = store.findProfileByProvisionKey(hash);
        if (!profile || profile.provisionType !== 'X509_CERTIFICATE_CHAIN') continue;

        const conf = (profile.profileData.provisionConfiguration ?? {}) as Record<string, unknown>;
        const cn = commonName(leaf);
        const pattern = typeof conf.certificateRegExPattern === 'string' ? conf.certificateRegExPattern : '(.*)';
        let name: string | undefined;
        try {
            name = cn === undefined ? undefined : new RegExp(pattern).exec(cn)?.[1];
        } catch {
            name = undefined;
        }
        if (!name) return 'failure';
        const existing = store.findDeviceByName(name);
        try {
            if (existing) {
                if (existing.deviceProfileId !== profile.id) return 'failure';
                const credentials = store.getCredentials(existing.id);
                if (credentials?.credentialsType !== 'X509_CERTIFICATE') return 'none'; // token stays; CONNECT then fails
                store.updateCredentials(existing.id, {
                    id: credentials.id,
                    credentialsType: 'X509_CERTIFICATE',
                    credentialsValue: leafValue,
                });
                return 'updated';
            }
            if (conf.allowCreateNewDevicesByX509Certificate !== true) return 'failure';
            store.saveDeviceWithCredentials(
                { name, deviceProfileId: profile.id },
                { credentialsType: 'X509_CERTIFICATE', credentialsValue: leafValue },
            );
            const created = store.findDeviceByName(name);
            if (created) store.setAttributes(created.id, 'SERVER_SCOPE', { provisionState: 'provisioned' });
            return 'provisioned';
        } catch (err) {
            if (err instanceof TbError) return 'failure';
            throw err;
        }
    }
    return 'none';
}
