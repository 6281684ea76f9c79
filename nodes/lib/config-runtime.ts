import { EventEmitter } from 'events';
import { SharedConnection } from './mqtt/shared-connection';
import { IdentityProvider } from './pki/identity-provider';
import { ThingsBoardRestClient } from './thingsboard/rest-client';
import type { ConfigCredentials, ConfigSettings } from './config-settings';

/**
 * Everything one tb-x509-config owns: its identity, its MQTT connection and its REST
 * client. Plain library code; the Node-RED node only builds it and closes it.
 *
 * Events: 'provisioned' (credentialsId) when tb-provision registered a certificate.
 */
export class ConfigRuntime extends EventEmitter {
    readonly identity: IdentityProvider;
    private connectionInstance?: SharedConnection;
    private restInstance?: ThingsBoardRestClient;

    constructor(
        readonly id: string,
        readonly settings: ConfigSettings,
        private readonly credentials: ConfigCredentials,
    ) {
        super();
        this.identity = new IdentityProvider(settings, credentials);
        this.identity.on('changed', () => this.connectionInstance?.retryNow());
    }

    /** The shared MQTT connection, created on first use. */
    connection(): SharedConnection {
        this.connectionInstance ??= new SharedConnection(this.settings, this.identity, { configId: this.id });
        return this.connectionInstance;
    }

    /** The REST client, created on first use. */
    rest(): ThingsBoardRestClient {
        this.restInstance ??= new ThingsBoardRestClient(this.settings, this.credentials, this.identity);
        return this.restInstance;
    }

    /** tb-provision registered `credentialsId`: a refused connection with that identity retries now. */
    notifyProvisioned(credentialsId: string): void {
        this.emit('provisioned', credentialsId);
        this.connectionInstance?.retryNow();
    }

    async close(): Promise<void> {
        this.restInstance?.close();
        await this.connectionInstance?.close();
    }
}
