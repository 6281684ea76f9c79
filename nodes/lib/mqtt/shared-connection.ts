// STUB — owned by the MQTT work (issue 5). Keep the exported shape; fill in the behaviour.
import { EventEmitter } from 'events';
import type { ConfigSettings } from '../config-settings';
import type { IdentityProvider } from '../pki/identity-provider';

/**
 * The one MQTT connection of a tb-x509-config, shared by every tb-x509-mqtt-out that
 * uses it: opened with the first user, closed with the last.
 */
export class SharedConnection extends EventEmitter {
    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly identity: IdentityProvider,
    ) {
        super();
    }

    register(_userId: string): void {
        throw new Error('not implemented');
    }

    async deregister(_userId: string): Promise<void> {
        throw new Error('not implemented');
    }

    /** Retry at once: the identity changed, or it was just provisioned. */
    retryNow(): void {}

    async close(): Promise<void> {}
}
