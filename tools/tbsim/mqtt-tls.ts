import { X509Certificate } from 'crypto';
import type * as tls from 'tls';
import { provisionByChain } from './chain-provision';
import type { TenantStore } from './store';

// The TLS side of a session (reference §2.2, SSLP checkClientTrusted): the chain the client presented, its
// link-by-link check, and X.509 chain auto-provisioning, which ThingsBoard runs during the handshake.

/**
 * The chain Node rebuilt from what the client sent, leaf first (Node links certificates by issuer name, so it
 * shows neither the sending order nor certificates that link to nothing; chain-order-relay.ts sees the order).
 */
export function presentedChain(socket: tls.TLSSocket): X509Certificate[] {
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) return [];
    const chain: X509Certificate[] = [];
    const seen = new Set<tls.DetailedPeerCertificate>();
    let cert: tls.DetailedPeerCertificate | undefined = peer;
    while (cert && !seen.has(cert)) {
        seen.add(cert);
        chain.push(new X509Certificate(cert.raw));
        cert = cert.issuerCertificate && cert.issuerCertificate !== cert ? cert.issuerCertificate : undefined;
    }
    return chain;
}

/** Each certificate must be signed by the next one (MqttSslHandlerProvider.validateCertificateChain). */
export function linksVerify(chain: X509Certificate[]): boolean {
    for (let i = 0; i + 1 < chain.length; i++) {
        try {
            if (!chain[i].verify(chain[i + 1].publicKey)) return false;
        } catch {
            return false;
        }
    }
    return true;
}

/**
 * What the trust manager does once the handshake saw the chain: false when the session must be dropped.
 * Chain provisioning failures are only logged (ThingsBoard lets the handshake succeed; CONNECT then decides).
 */
export function acceptPresentedChain(socket: tls.TLSSocket, store: TenantStore, log: (line: string) => void): boolean {
    const chain = presentedChain(socket);
    if (!linksVerify(chain)) {
        // ThingsBoard's trust manager fails the handshake here; the nearest a Node server can do is drop it now.
        log('client certificate chain does not verify link by link: closing');
        return false;
    }
    if (chain.length > 0) {
        try {
            const outcome = provisionByChain(store, chain);
            if (outcome !== 'none' && outcome !== 'known') log(`X.509 chain provisioning: ${outcome}`);
        } catch (err) {
            log(`X.509 chain provisioning failed: ${(err as Error).message}`);
        }
    }
    return true;
}
