import type { ConfigCredentials, ConfigSettings } from '../config-settings';
import type { IdentityProvider } from '../pki/identity-provider';
import { ThingsBoardApiError } from './api-error';
import { AuthSession } from './auth-session';
import { fail } from './messages';
import { forbidden } from './rest-refusals';
import {
    DEFAULT_TRANSPORT_OPTIONS,
    RestTransport,
    asErrorBody,
    type HttpMethod,
    type RestTransportOptions,
} from './rest-transport';

/** ThingsBoard entity id JSON: `{entityType, id}` (credentials ids carry no entityType). */
export interface EntityId {
    entityType?: string;
    id: string;
}

export interface Device {
    id: EntityId;
    name: string;
    type?: string;
    label?: string | null;
    deviceProfileId?: EntityId;
    /** `gateway: true` is ThingsBoard's "Is gateway" (reference §4.4) */
    additionalInfo?: Record<string, unknown> | null;
}

export interface DeviceCredentials {
    id: { id: string };
    deviceId: EntityId;
    credentialsType: string;
    credentialsId: string;
    credentialsValue: string | null;
    version?: number | null;
    createdTime?: number;
}

export interface DeviceProfileInfo {
    id: EntityId;
    name: string;
}

interface PageData<T> {
    data: T[];
    hasNext?: boolean;
}

export interface NewDevice {
    name: string;
    label?: string;
    deviceProfileId?: EntityId;
    /** create it marked "Is gateway" */
    gateway?: boolean;
}

/** Pages of profiles read when looking a name up (100 each): a bound, not a expected size. */
const MAX_PROFILE_PAGES = 50;

/**
 * One ThingsBoard REST client per config node (ConfigRuntime.rest()): one keep-alive
 * connection pool, one login shared by every request (or the API key), a token
 * refreshed ahead of expiry, one renewal and retry on 401, bounded 429 backoff. The
 * connection is prepared on first use, so a config without restUrl only fails for the
 * nodes that need REST.
 */
export class ThingsBoardRestClient {
    private transportInstance?: RestTransport;
    private authInstance?: AuthSession;
    private closed = false;

    constructor(
        protected readonly settings: ConfigSettings,
        protected readonly credentials: ConfigCredentials,
        protected readonly identity: IdentityProvider,
        private readonly transportOptions: RestTransportOptions = DEFAULT_TRANSPORT_OPTIONS,
    ) {}

    private transport(): RestTransport {
        if (!this.transportInstance) {
            this.transportInstance = new RestTransport(this.settings, () => this.identity.caChain(), this.transportOptions);
            this.authInstance = new AuthSession(this.transportInstance, this.credentials, this.settings.label);
        }
        return this.transportInstance;
    }

    private auth(): AuthSession {
        this.transport();
        return this.authInstance!;
    }

    /** host:port of the REST endpoint (for messages). */
    get address(): string {
        return this.transport().endpoint.address;
    }

    /** Throws the configuration error a request would hit (no restUrl, no account), without network use. */
    assertUsable(): void {
        this.transport();
        this.auth().assertConfigured();
    }

    /**
     * An authenticated call. A 2xx answer resolves with its body; a refused API key and a 403
     * become the error of their cause; other statuses reject with a ThingsBoardApiError the
     * caller may refine.
     */
    async call<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
        if (this.closed) throw new Error('ThingsBoard REST client is closed');
        const transport = this.transport();
        const auth = this.auth();
        const operation = transport.operation(method, path);
        let header = await auth.authorization();
        let response = await transport.send<unknown>(method, path, body, header);
        if (response.status === 401 && (await auth.rejected(header))) {
            header = await auth.authorization();
            response = await transport.send<unknown>(method, path, body, header);
            if (response.status === 401) {
                throw fail('TB_SESSION_REJECTED', {
                    config: this.settings.label,
                    operation,
                    reason: new ThingsBoardApiError(operation, 401, asErrorBody(response.data)).serverMessage,
                });
            }
        }
        if (response.status >= 200 && response.status < 300) return response.data as T;
        const error = new ThingsBoardApiError(operation, response.status, asErrorBody(response.data));
        if (response.status === 401 && auth.usesApiKey) {
            if (await auth.serverPredatesApiKeys()) {
                throw fail('TB_API_KEY_UNSUPPORTED', { address: transport.endpoint.address, config: this.settings.label });
            }
            throw fail('TB_API_KEY_REJECTED', { config: this.settings.label, reason: error.serverMessage });
        }
        if (response.status === 403) throw forbidden(error, this.settings.label);
        throw error;
    }

    /**
     * The tenant's device of that name, or undefined (404 / errorCode 32). The path every release
     * has: GET /api/tenant/device?deviceName= exists only from 4.3.1.2 (before, it is
     * GET /api/tenant/{tenantId} and answers 400 "Invalid UUID string: device").
     */
    async findDeviceByName(name: string): Promise<Device | undefined> {
        try {
            return await this.call<Device>('GET', `/api/tenant/devices?deviceName=${encodeURIComponent(name)}`);
        } catch (err) {
            if (err instanceof ThingsBoardApiError && err.status === 404) return undefined;
            throw err;
        }
    }

    /** The device profile with exactly this name, or undefined. */
    async findDeviceProfileByName(name: string): Promise<DeviceProfileInfo | undefined> {
        for (let page = 0; page < MAX_PROFILE_PAGES; page++) {
            const result = await this.call<PageData<DeviceProfileInfo>>(
                'GET',
                `/api/deviceProfiles?pageSize=100&page=${page}&textSearch=${encodeURIComponent(name)}`,
            );
            const match = result?.data?.find((profile) => profile.name === name);
            if (match) return match;
            if (!result?.hasNext) return undefined;
        }
        return undefined;
    }

    /** Creates a device and its X.509 credentials in one transaction. */
    createDeviceWithX509(device: NewDevice, credentialsValue: string): Promise<Device> {
        const body = {
            device: {
                name: device.name,
                ...(device.label ? { label: device.label } : {}),
                ...(device.deviceProfileId ? { deviceProfileId: device.deviceProfileId } : {}),
                ...(device.gateway ? { additionalInfo: { gateway: true } } : {}),
            },
            credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue },
        };
        return this.call<Device>('POST', '/api/device-with-credentials', body);
    }

    /**
     * Marks a device "Is gateway". `device` is the device as fetched from ThingsBoard: it is
     * saved back whole (POST /api/device replaces every field, and its version guards
     * against a concurrent edit), with only additionalInfo.gateway set.
     */
    markAsGateway(device: Device): Promise<Device> {
        const additionalInfo = { ...(device.additionalInfo ?? {}), gateway: true };
        return this.call<Device>('POST', '/api/device', { ...device, additionalInfo });
    }

    getDeviceCredentials(deviceId: string): Promise<DeviceCredentials> {
        return this.call<DeviceCredentials>('GET', `/api/device/${encodeURIComponent(deviceId)}/credentials`);
    }

    /**
     * Replaces a device's credentials with an X.509 certificate. `current` is what
     * getDeviceCredentials returned: its `id` (the credentials id, not the device id) is
     * what ThingsBoard updates. The credentialsId is left for the server to compute.
     */
    saveX509Credentials(current: DeviceCredentials, credentialsValue: string): Promise<DeviceCredentials> {
        const body = {
            id: current.id,
            deviceId: current.deviceId,
            credentialsType: 'X509_CERTIFICATE',
            credentialsValue,
        };
        return this.call<DeviceCredentials>('POST', '/api/device/credentials', body);
    }

    close(): void {
        this.closed = true;
        this.transportInstance?.close();
    }
}
