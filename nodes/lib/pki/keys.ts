/**
 * Private keys: PEM extraction, decryption and the key ↔ certificate check, all with Node's
 * crypto (OpenSSL reads PKCS#1, SEC1, PKCS#8, encrypted PKCS#8 and legacy
 * `Proc-Type: 4,ENCRYPTED` PEM). Error texts never carry key material or passphrases.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'crypto';
import { reasonOf } from '../errors';
import { fail } from './messages';

/** Where a key came from, for error texts. */
export interface KeyOrigin {
    /** e.g. `the "key" credential of config "Plant A"` or `file /data/device.key` */
    source: string;
    /** the config's label */
    config: string;
}

const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----([\s\S]*?)-----END \1-----/;

interface KeyBlock {
    pem: string;
    encrypted: boolean;
}

/**
 * The first private-key block of `text`, re-assembled with trimmed lines so CRLF,
 * indentation and text around it (`Bag Attributes`, an `EC PARAMETERS` block) do not matter.
 */
function extractKeyBlock(text: string): KeyBlock | undefined {
    const match = KEY_BLOCK.exec(String(text ?? ''));
    if (!match) return undefined;
    const [, label, inner] = match;
    const lines = inner.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    const headers = lines.filter((line) => /^[A-Za-z-]+:/.test(line));
    const body = lines.filter((line) => !/^[A-Za-z-]+:/.test(line));
    const head = headers.length ? `${headers.join('\n')}\n\n` : '';
    return {
        pem: `-----BEGIN ${label}-----\n${head}${body.join('\n')}\n-----END ${label}-----\n`,
        encrypted: label === 'ENCRYPTED PRIVATE KEY' || headers.some((h) => /^Proc-Type:\s*4,\s*ENCRYPTED/i.test(h)),
    };
}

/**
 * Reads (and when needed decrypts) a PEM private key. A passphrase given for an
 * unencrypted key is ignored.
 */
export function loadPrivateKey(pemText: string, passphrase: string | undefined, origin: KeyOrigin): KeyObject {
    const block = extractKeyBlock(pemText);
    if (!block) throw fail('KEY_NOT_PEM', { source: origin.source });
    if (block.encrypted && !passphrase) {
        throw fail('KEY_ENCRYPTED_NO_PASSPHRASE', { source: origin.source, config: origin.config });
    }
    try {
        return block.encrypted
            ? createPrivateKey({ key: block.pem, format: 'pem', passphrase })
            : createPrivateKey({ key: block.pem, format: 'pem' });
    } catch (err) {
        if (block.encrypted) throw fail('KEY_WRONG_PASSPHRASE', { source: origin.source, config: origin.config });
        throw fail('KEY_UNREADABLE', { source: origin.source, reason: reasonOf(err) });
    }
}

/** Unencrypted PKCS#8 PEM of a key (what TLS gets; kept in memory or in the 0600 key store). */
export function keyToPkcs8Pem(key: KeyObject): string {
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
    try {
        return cert.checkPrivateKey(key);
    } catch {
        return false;
    }
}
