/**
 * One fleet device's identity as its connection reads it: from the fleet key store, kept in
 * memory once found (a connect per device must not re-read and re-parse files), replaced when
 * the store installs a renewed one.
 */
import type { FleetKeyStore } from '../pki/fleet-keystore';
import type { LoadedIdentity } from '../pki/loaded-identity';
import type { IdentityLookup } from './connection-types';

export class DeviceIdentity implements IdentityLookup {
    private loaded?: Promise<LoadedIdentity | undefined>;
    private known?: LoadedIdentity;

    constructor(
        private readonly store: Pick<FleetKeyStore, 'load'>,
        readonly deviceName: string,
        /** the server's CA chain: the config's, shared by all its devices */
        private readonly serverCa: () => Promise<string | undefined>,
    ) {}

    /** The credentialsId of the identity last read, when there is one. */
    get credentialsId(): string | undefined {
        return this.known?.credentialsId;
    }

    current(): Promise<LoadedIdentity | undefined> {
        // Nothing stored, or unreadable: not remembered, so the next attempt reads the store again.
        this.loaded ??= this.store.load(this.deviceName).then(
            (identity) => {
                if (identity) this.known = identity;
                else this.loaded = undefined;
                return identity;
            },
            (err: unknown) => {
                this.loaded = undefined;
                throw err;
            },
        );
        return this.loaded;
    }

    /** The store installed a new identity for this device (renewed, or first generated). */
    replace(identity: LoadedIdentity): void {
        this.known = identity;
        this.loaded = Promise.resolve(identity);
    }

    caChain(): Promise<string | undefined> {
        return this.serverCa();
    }
}
