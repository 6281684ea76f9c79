import { FleetPool } from '../mqtt/fleet-pool';
import { SharedConnection } from '../mqtt/shared-connection';
import { FleetKeyStore } from '../pki/fleet-keystore';
import { IdentityProvider } from '../pki/identity-provider';
import { ThingsBoardRestClient } from '../thingsboard/rest-client';
import type { ConfigCredentials, ConfigSettings } from '../config-settings';

/**
 * Everything one tb-x509-config owns: its identity, its MQTT connection and its REST
 * client. Plain library code; the Node-RED node only builds it and closes it.
 */
export class ConfigRuntime {
    readonly identity: IdentityProvider;
    private connectionInstance?: SharedConnection;
    private restInstance?: ThingsBoardRestClient;
    private fleetInstance?: FleetKeyStore;
    private poolInstance?: FleetPool;

    constructor(
        readonly id: string,
        readonly settings: ConfigSettings,
        private readonly credentials: ConfigCredentials,
    ) {
        this.identity = new IdentityProvider(settings, credentials);
        this.identity.on('changed', () => this.connectionInstance?.retryNow());
    }

    /** The shared MQTT connection, created on first use. */
    connection(): SharedConnection {
        this.connectionInstance ??= new SharedConnection(this.settings, this.identity, { configId: this.id });
        return this.connectionInstance;
    }

    /** Fleet mode: the identities by device name (`<keyStore>/<deviceName>/`), created on first use. */
    fleetIdentities(): FleetKeyStore {
        this.fleetInstance ??= new FleetKeyStore(this.settings.keyStoreDir, this.identity.configLabel);
        return this.fleetInstance;
    }

    /** Fleet mode: one connection per device name, created on first use. */
    fleetPool(): FleetPool {
        this.poolInstance ??= new FleetPool(this.settings, this.id, this.fleetIdentities(), () => this.identity.caChain());
        return this.poolInstance;
    }

    /** The REST client, created on first use. */
    rest(): ThingsBoardRestClient {
        this.restInstance ??= new ThingsBoardRestClient(this.settings, this.credentials, this.identity);
        return this.restInstance;
    }

    /** tb-provision registered `credentialsId`: a refused connection with that identity retries now. */
    notifyProvisioned(credentialsId: string): void {
        this.connectionInstance?.retryNow();
        this.poolInstance?.retryNow(credentialsId);
    }

    /**
     * tb-provision marked the device of `credentialsId` "Is gateway". ThingsBoard decides at
     * CONNECT whether a session is a gateway session, so an open connection with that identity
     * reconnects (its queued and unacknowledged messages are sent again on the new session).
     */
    notifyGatewayMarked(credentialsId: string): void {
        this.connectionInstance?.reconnectIfConnectedAs(credentialsId);
        this.poolInstance?.reconnectIfConnectedAs(credentialsId);
    }

    async close(): Promise<void> {
        this.restInstance?.close();
        await Promise.all([this.connectionInstance?.close(), this.poolInstance?.close()]);
    }
}
