/**
 * One connection's hold on its certificate in the process-wide IdentityRegistry
 * (ThingsBoard allows one session per device).
 */
import type { CodedError } from '../errors';
import { sessionKey, type IdentityHolder, type IdentityRegistry } from './identity-registry';
import { fail } from './messages';

/** Another config holds the certificate: what to tell both sides. */
export interface ClaimRefused {
    other: IdentityHolder;
    /** warning for both configs' users */
    warning: CodedError;
    /** what this config's messages fail with while it lasts */
    blocking: CodedError;
}

export class IdentityClaim {
    /** the credentialsId this connection holds on its server */
    private held?: string;
    /** the registry key another config holds and this one waits for */
    private blockedOn?: string;
    private readonly onReleased = (key: string): void => {
        if (key === this.blockedOn) this.onFree();
    };

    constructor(
        private readonly registry: IdentityRegistry,
        private readonly server: { host: string; port: number },
        private readonly holder: IdentityHolder,
        /** called when the certificate this connection waits for was let go */
        private readonly onFree: () => void,
    ) {
        registry.on('released', this.onReleased);
    }

    get heldCredentialsId(): string | undefined {
        return this.held;
    }

    /** Takes the identity's certificate; says who holds it when it is taken (and waits for its release). */
    claim(identity: { credentialsId: string; commonName: string }): ClaimRefused | undefined {
        const { credentialsId, commonName } = identity;
        if (this.held !== undefined && this.held !== credentialsId) this.release();
        const key = sessionKey(this.server, credentialsId);
        const other = this.registry.claim(key, this.holder);
        if (!other) {
            this.held = credentialsId;
            this.blockedOn = undefined;
            return undefined;
        }
        this.blockedOn = key;
        const config = this.holder.ownerLabel;
        return {
            other,
            warning: fail('MQTT_IDENTITY_SHARED', { config: other.ownerLabel, other: config, commonName }),
            blocking: fail('MQTT_IDENTITY_IN_USE', { config, other: other.ownerLabel, commonName }),
        };
    }

    release(): void {
        if (this.held === undefined) return;
        this.held = undefined;
        this.registry.release(this.holder.ownerId);
    }

    /** Stops waiting for releases (the connection closed for good). */
    dispose(): void {
        this.blockedOn = undefined;
        this.registry.removeListener('released', this.onReleased);
    }
}
