/**
 * A fleet config's key store: one identity per device name, in
 * `<keyStore>/<device dir>/key.pem` (0600) and `cert.pem` (leaf first, then the issuing
 * chain: the order ThingsBoard requires in the TLS handshake), with the replaced identity kept
 * as `.prev` as in single mode (keystore.ts does the writing).
 *
 * A device name is any text ThingsBoard accepts, so it is not used as a path verbatim: the
 * device directory is the name with every character outside `[A-Za-z0-9_@+=,.-]` (and a
 * leading dot) percent-encoded as UTF-8, so `a/b`, `..` or `C:` stay inside the key store and
 * two names never share a directory. Common names are at most 64 characters, so the encoded
 * name stays within file-name limits.
 */
import { EventEmitter } from 'events';
import * as path from 'path';
import { parseCertificates } from './certificate';
import { assembleIdentity, type GeneratedIdentity } from './identity-provider';
import type { LoadedIdentity } from './loaded-identity';
import { loadPrivateKey } from './keys';
import { keyStorePaths, readKeyStore, writeKeyStore } from './keystore';
import { fail } from './messages';

const DAY_MS = 86_400_000;
const PLAIN_CHARACTER = /[A-Za-z0-9_@+=,.-]/;

function encodeCharacter(character: string): string {
    return [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** The directory of a device's identity inside a fleet key store. */
export function fleetDeviceDir(keyStoreDir: string, deviceName: string): string {
    const name = String(deviceName ?? '');
    if (name.trim() === '') throw fail('FLEET_DEVICE_NAME_EMPTY');
    const encoded = [...name].map((c, i) => (PLAIN_CHARACTER.test(c) && !(i === 0 && c === '.') ? c : encodeCharacter(c))).join('');
    return path.join(keyStoreDir, encoded);
}

/**
 * The identity stored for `deviceName`, read and checked (key matches the leaf); undefined when
 * nothing is stored for it. Throws a CodedError when the stored files are incomplete or unusable.
 * `config` names the config in error texts.
 */
export async function loadFleetIdentity(keyStoreDir: string, deviceName: string, config = 'tb-x509-config'): Promise<LoadedIdentity | undefined> {
    const dir = fleetDeviceDir(keyStoreDir, deviceName);
    const stored = await readKeyStore(dir, config);
    if (!stored) return undefined;
    const paths = keyStorePaths(dir);
    const where = { certSource: `file ${paths.cert}`, keySource: `file ${paths.key}` };
    return assembleIdentity(
        'keystore',
        parseCertificates(stored.certPem, where.certSource),
        loadPrivateKey(stored.keyPem, undefined, { source: where.keySource, config }),
        where,
    );
}

/**
 * A fleet config's identities by device name. Emits 'changed' (deviceName, LoadedIdentity) when
 * an identity is installed (a new device, or a renewed certificate), so the device's open
 * connection can switch to it.
 */
export class FleetKeyStore extends EventEmitter {
    private installQueues = new Map<string, Promise<unknown>>();

    constructor(
        readonly keyStoreDir: string,
        private readonly configLabel: string,
    ) {
        super();
    }

    load(deviceName: string): Promise<LoadedIdentity | undefined> {
        return loadFleetIdentity(this.keyStoreDir, deviceName, this.configLabel);
    }

    /**
     * The stored identity of `deviceName` when it is for that common name and stays valid for
     * more than `minDaysLeft` days; undefined otherwise (a damaged entry is replaced).
     */
    async reusable(deviceName: string, minDaysLeft: number, now = new Date()): Promise<LoadedIdentity | undefined> {
        let stored: LoadedIdentity | undefined;
        try {
            stored = await this.load(deviceName);
        } catch {
            return undefined;
        }
        if (!stored || stored.commonName !== deviceName) return undefined;
        if (stored.notBefore.getTime() > now.getTime()) return undefined;
        if (stored.notAfter.getTime() - now.getTime() <= minDaysLeft * DAY_MS) return undefined;
        return stored;
    }

    /** Writes `generated` (key + leaf-first chain) for `deviceName`; one install per device at a time. */
    install(deviceName: string, generated: GeneratedIdentity): Promise<LoadedIdentity> {
        const previous = this.installQueues.get(deviceName) ?? Promise.resolve();
        const run = previous.then(() => this.installNow(deviceName, generated));
        const settled = run.catch(() => undefined);
        this.installQueues.set(deviceName, settled);
        void settled.then(() => {
            if (this.installQueues.get(deviceName) === settled) this.installQueues.delete(deviceName);
        });
        return run;
    }

    private async installNow(deviceName: string, generated: GeneratedIdentity): Promise<LoadedIdentity> {
        const source = 'the identity to install';
        const loaded = assembleIdentity(
            'keystore',
            parseCertificates(generated.certPem, source),
            loadPrivateKey(generated.keyPem, undefined, { source, config: this.configLabel }),
            { certSource: source, keySource: source },
        );
        await writeKeyStore(fleetDeviceDir(this.keyStoreDir, deviceName), { keyPem: loaded.keyPem, certPem: loaded.certPem }, this.configLabel);
        this.emit('changed', deviceName, loaded);
        return loaded;
    }
}
