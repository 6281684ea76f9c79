import { promises as fs } from 'fs';
import { fail } from './messages';

/** A PEM file a config or CA node names (certFile, keyFile, caFile); unreadable → FILE_UNREADABLE naming it. */
export async function readPemFile(file: string, what: string, config: string): Promise<string> {
    try {
        return await fs.readFile(file, 'utf8');
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw fail('FILE_UNREADABLE', { what, path: file, config, reason: e.code ?? e.message });
    }
}
