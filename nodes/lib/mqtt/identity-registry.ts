/**
 * ThingsBoard allows one session per device: a second connection with the same
 * certificate to the same server closes the first, which reconnects and closes the second,
 * forever. This process-wide registry lets one connection hold a certificate on a server
 * (key: sessionKey(server, credentialsId)); another connection that wants the same one is
 * told who holds it and stays off. The same certificate on two servers is two devices.
 */
import { EventEmitter } from 'events';
import type { CodedError } from '../errors';

export interface IdentityHolder {
    /** the config node's id */
    readonly ownerId: string;
    /** the config node's label, for messages */
    readonly ownerLabel: string;
    /** tells the holder's users that someone else wants its certificate */
    readonly warn?: (warning: CodedError) => void;
}

export class IdentityRegistry extends EventEmitter {
    private readonly holders = new Map<string, IdentityHolder>();

    /** Takes `key` (see sessionKey) for `holder`; returns the other holder when it is taken. */
    claim(key: string, holder: IdentityHolder): IdentityHolder | undefined {
        const current = this.holders.get(key);
        if (current && current.ownerId !== holder.ownerId) return current;
        this.holders.set(key, holder);
        return undefined;
    }

    /** Gives up whatever `ownerId` holds; emits 'released' (key) so waiting connections retry. */
    release(ownerId: string): void {
        for (const [key, holder] of this.holders) {
            if (holder.ownerId !== ownerId) continue;
            this.holders.delete(key);
            this.emit('released', key);
        }
    }
}

/** One device session: a certificate on a server (host names compare case-insensitively). */
export function sessionKey(server: { host: string; port: number }, credentialsId: string): string {
    return `${server.host.trim().toLowerCase()}:${server.port} ${credentialsId}`;
}

/** The one registry of this Node-RED process. */
export const identityRegistry = new IdentityRegistry();
identityRegistry.setMaxListeners(0);
