/**
 * The key store directory of a config: one identity as `key.pem` (0600) + `cert.pem`, the
 * one it replaced as `key.pem.prev` (0600) + `cert.pem.prev`. Directory created 0700.
 * Writes go to temporary files first and are renamed into place, so a crash never leaves a
 * key without its certificate.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { fail } from './messages';

export const KEY_FILE = 'key.pem';
export const CERT_FILE = 'cert.pem';
export const PREVIOUS_SUFFIX = '.prev';
const PRIVATE_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o700;

export interface KeyStorePair {
    keyPem: string;
    certPem: string;
}

export interface KeyStorePaths {
    key: string;
    cert: string;
}

export function keyStorePaths(dir: string): KeyStorePaths {
    return { key: path.join(dir, KEY_FILE), cert: path.join(dir, CERT_FILE) };
}

async function readIfPresent(file: string): Promise<string | undefined> {
    try {
        return await fs.readFile(file, 'utf8');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
    }
}

function reasonOf(err: unknown): string {
    const e = err as NodeJS.ErrnoException;
    return e.code ?? (e.message || String(err));
}

/** The stored pair, undefined when the store is empty; a half-present pair is an error. */
export async function readKeyStore(dir: string, config: string): Promise<KeyStorePair | undefined> {
    const paths = keyStorePaths(dir);
    let keyPem: string | undefined;
    let certPem: string | undefined;
    try {
        [keyPem, certPem] = await Promise.all([readIfPresent(paths.key), readIfPresent(paths.cert)]);
    } catch (err) {
        throw fail('FILE_UNREADABLE', { what: 'key store', path: dir, config, reason: reasonOf(err) });
    }
    if (keyPem === undefined && certPem === undefined) return undefined;
    if (keyPem === undefined) throw fail('KEYSTORE_INCOMPLETE', { path: dir, config, present: CERT_FILE, missing: KEY_FILE });
    if (certPem === undefined) throw fail('KEYSTORE_INCOMPLETE', { path: dir, config, present: KEY_FILE, missing: CERT_FILE });
    return { keyPem, certPem };
}

async function exists(file: string): Promise<boolean> {
    try {
        await fs.access(file);
        return true;
    } catch {
        return false;
    }
}

async function writeFileWithMode(file: string, data: string, mode: number): Promise<void> {
    await fs.writeFile(file, data, { mode });
    await fs.chmod(file, mode); // writeFile's mode applies only when it creates the file
}

/** Writes a new pair, keeping the previous one as `.prev`. */
export async function writeKeyStore(dir: string, pair: KeyStorePair, config: string): Promise<void> {
    const paths = keyStorePaths(dir);
    const tmpSuffix = `.tmp-${process.pid}-${Date.now()}`;
    try {
        await fs.mkdir(dir, { recursive: true, mode: DIRECTORY_MODE });
        await writeFileWithMode(paths.key + tmpSuffix, pair.keyPem, PRIVATE_FILE_MODE);
        await writeFileWithMode(paths.cert + tmpSuffix, pair.certPem, PUBLIC_FILE_MODE);
        if (await exists(paths.key)) {
            await fs.rename(paths.key, paths.key + PREVIOUS_SUFFIX);
            await fs.chmod(paths.key + PREVIOUS_SUFFIX, PRIVATE_FILE_MODE);
        }
        if (await exists(paths.cert)) await fs.rename(paths.cert, paths.cert + PREVIOUS_SUFFIX);
        await fs.rename(paths.key + tmpSuffix, paths.key);
        await fs.rename(paths.cert + tmpSuffix, paths.cert);
    } catch (err) {
        await Promise.all([paths.key + tmpSuffix, paths.cert + tmpSuffix].map((f) => fs.rm(f, { force: true }).catch(() => undefined)));
        throw fail('KEYSTORE_WRITE_FAILED', { path: dir, config, reason: reasonOf(err) });
    }
}
