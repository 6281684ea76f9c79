/**
 * ThingsBoard allows one session per device: a second connection with the same
 * certificate closes the first, which reconnects and closes the second, forever.
 * This process-wide registry lets one connection hold a credentialsId; another
 * connection that wants the same one is told who holds it and stays off.
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

    /** Takes `credentialsId` for `holder`; returns the other holder when it is taken. */
    claim(credentialsId: string, holder: IdentityHolder): IdentityHolder | undefined {
        const current = this.holders.get(credentialsId);
        if (current && current.ownerId !== holder.ownerId) return current;
        this.holders.set(credentialsId, holder);
        return undefined;
    }

    /** Gives up whatever `ownerId` holds; emits 'released' (credentialsId) so waiting connections retry. */
    release(ownerId: string): void {
        for (const [credentialsId, holder] of this.holders) {
            if (holder.ownerId !== ownerId) continue;
            this.holders.delete(credentialsId);
            this.emit('released', credentialsId);
        }
    }

    holderOf(credentialsId: string): IdentityHolder | undefined {
        return this.holders.get(credentialsId);
    }
}

/** The one registry of this Node-RED process. */
export const identityRegistry = new IdentityRegistry();
identityRegistry.setMaxListeners(0);
