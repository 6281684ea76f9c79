import * as crypto from 'crypto';
import * as fs from 'fs';

/**
 * Node-RED's credentials file format (runtime/lib/nodes/credentials.js): one JSON object keyed
 * by node id, stored as {"$": <iv hex><aes-256-ctr base64>} with key sha256(credentialSecret).
 */
export type NodeCredentials = Record<string, Record<string, string>>;

const ALGORITHM = 'aes-256-ctr';

function keyFor(secret: string): Buffer {
    return crypto.createHash('sha256').update(secret).digest();
}

function encryptCredentials(secret: string, credentials: NodeCredentials): { $: string } {
    const iv = crypto.randomBytes(16);
    const cipher = crypto.createCipheriv(ALGORITHM, keyFor(secret), iv);
    const body = cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64');
    return { $: iv.toString('hex') + body };
}

function decryptCredentials(secret: string, stored: { $: string }): NodeCredentials {
    const iv = Buffer.from(stored.$.substring(0, 32), 'hex');
    const decipher = crypto.createDecipheriv(ALGORITHM, keyFor(secret), iv);
    const text = decipher.update(stored.$.substring(32), 'base64', 'utf8') + decipher.final('utf8');
    return JSON.parse(text) as NodeCredentials;
}

/** Reads a credentials file written with `secret`; a missing or unreadable file counts as empty. */
export function readCredentialsFile(file: string, secret: string): NodeCredentials {
    try {
        const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { $?: string } & NodeCredentials;
        return typeof stored.$ === 'string' ? decryptCredentials(secret, { $: stored.$ }) : stored;
    } catch {
        return {};
    }
}

export function writeCredentialsFile(file: string, secret: string, credentials: NodeCredentials): void {
    fs.writeFileSync(file, JSON.stringify(encryptCredentials(secret, credentials), null, 4), { mode: 0o600 });
}
