// STUB — owned by the provisioning work (issue 4). Keep the exported shape; fill in the behaviour.
import type { ConfigCredentials, ConfigSettings } from '../config-settings';
import type { IdentityProvider } from '../pki/identity-provider';

/** One ThingsBoard REST client per config node: one login, reused and refreshed. */
export class ThingsBoardRestClient {
    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly credentials: ConfigCredentials,
        protected readonly identity: IdentityProvider,
    ) {}

    close(): void {}
}
