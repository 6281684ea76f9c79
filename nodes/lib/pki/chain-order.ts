/**
 * A client certificate chain in the order TLS and ThingsBoard need: the certificate of the
 * private key first, then its issuer, then that one's issuer… Pasted chains, files and
 * PKCS#12 bundles come in any order and sometimes with certificates that belong to nothing
 * (an old intermediate, another device's certificate): those are dropped and named.
 */
import type { KeyObject, X509Certificate } from 'crypto';
import { commonNameOf } from './certificate';
import { keyMatchesCertificate } from './keys';

export interface OrderedChain {
    /** leaf → issuer order, starting with the key's certificate */
    chain: X509Certificate[];
    /** certificates that are not on the leaf's issuer path, by CN (or subject) */
    dropped: string[];
}

/** How a certificate is named in a warning: its CN, else its whole subject. */
export function certificateName(cert: X509Certificate): string {
    return commonNameOf(cert) || cert.subject.replace(/\n/g, ', ');
}

function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
    try {
        return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
        return false;
    }
}

/** Orders `certificates` from the key's certificate up its issuers; undefined when none fits the key. */
export function orderChain(certificates: X509Certificate[], key: KeyObject): OrderedChain | undefined {
    const leafIndex = certificates.findIndex((cert) => keyMatchesCertificate(key, cert));
    if (leafIndex === -1) return undefined;
    const rest = certificates.filter((_, i) => i !== leafIndex);
    const chain = [certificates[leafIndex]];
    for (;;) {
        const current = chain[chain.length - 1];
        if (issued(current, current)) break; // self-signed: the top
        const next = rest.findIndex((candidate) => issued(candidate, current));
        if (next === -1) break;
        chain.push(rest.splice(next, 1)[0]);
    }
    return { chain, dropped: rest.map(certificateName) };
}
