/**
 * PKCS#12 (.p12/.pfx) bundles. Node's crypto cannot open them, so node-forge decodes the
 * container (PBES2/AES as written by OpenSSL 3, and the RC2/3DES `-legacy` variant); the
 * key and certificates it finds are handed back to Node's crypto as DER, because node-forge
 * cannot read EC keys or EC certificates itself.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'crypto';
import * as forge from 'node-forge';
import { reasonOf } from '../errors';
import { fail } from './messages';

export interface Pkcs12Contents {
    key: KeyObject;
    /** leaf first (the certificate the key belongs to), then the rest of the chain */
    certificates: X509Certificate[];
}

function bagDer(bag: forge.pkcs12.Bag, kind: 'key' | 'cert'): Buffer {
    const withAsn1 = bag as forge.pkcs12.Bag & { asn1?: forge.asn1.Asn1 };
    let asn1: forge.asn1.Asn1 | undefined = withAsn1.asn1;
    if (!asn1 && kind === 'key' && bag.key) asn1 = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key));
    if (!asn1 && kind === 'cert' && bag.cert) asn1 = forge.pki.certificateToAsn1(bag.cert);
    if (!asn1) throw new Error(`empty ${kind} bag`);
    return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function decodeBase64(text: string): Buffer {
    const compact = String(text ?? '').replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('not base64');
    return Buffer.from(compact, 'base64');
}

/** Opens a base64 PKCS#12 bundle. `config` is the config's label, for error texts. */
export function readPkcs12(base64: string, password: string | undefined, config: string): Pkcs12Contents {
    let pfx: forge.pkcs12.Pkcs12Pfx;
    try {
        const der = decodeBase64(base64);
        const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
        pfx = forge.pkcs12.pkcs12FromAsn1(asn1, false, password ?? '');
    } catch (err) {
        const reason = reasonOf(err);
        if (/invalid password|mac could not be verified|decrypt/i.test(reason)) throw fail('PKCS12_WRONG_PASSWORD', { config });
        throw fail('PKCS12_UNREADABLE', { config, reason });
    }
    try {
        const keyBags = [
            ...(pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
            ...(pfx.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
        ];
        const certBags = pfx.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
        if (keyBags.length === 0) throw fail('PKCS12_INCOMPLETE', { config, missing: 'private key' });
        if (certBags.length === 0) throw fail('PKCS12_INCOMPLETE', { config, missing: 'certificate' });
        const key = createPrivateKey({ key: bagDer(keyBags[0], 'key'), format: 'der', type: 'pkcs8' });
        const certificates = certBags.map((bag) => new X509Certificate(bagDer(bag, 'cert')));
        // The bag order is the exporter's choice: put the certificate of this key first.
        const leafIndex = certificates.findIndex((cert) => {
            try {
                return cert.checkPrivateKey(key);
            } catch {
                return false;
            }
        });
        if (leafIndex > 0) certificates.unshift(...certificates.splice(leafIndex, 1));
        return { key, certificates };
    } catch (err) {
        if (err instanceof Error && err.name === 'CodedError') throw err;
        throw fail('PKCS12_UNREADABLE', { config, reason: reasonOf(err) });
    }
}
