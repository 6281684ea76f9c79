import type { AuthUser } from './auth';
import type { Release } from './release';
import { NULL_UUID, type CredentialsRecord, type DeviceRecord, type ProfileRecord, type TenantStore } from './store';

// The JSON shapes ThingsBoard's controllers answer with (Device, DeviceInfo, DeviceCredentials,
// DeviceProfile, DeviceProfileInfo, User, Tenant), field order as Jackson writes them. Before 3.8 the
// entities have no `version` (HasVersion).

function ref(entityType: string, id: string): { entityType: string; id: string } {
    return { entityType, id };
}

export class RestJson {
    constructor(
        private readonly store: TenantStore,
        private readonly release: Release,
    ) {}

    /** `record` without its `version` field on releases before entity versions. */
    private versioned(record: Record<string, unknown>): Record<string, unknown> {
        if (this.release.has('entityVersions')) return record;
        const { version: _version, ...rest } = record;
        return rest;
    }

    device(d: DeviceRecord): Record<string, unknown> {
        return this.versioned({
            id: ref('DEVICE', d.id),
            createdTime: d.createdTime,
            tenantId: ref('TENANT', this.store.tenantId),
            customerId: ref('CUSTOMER', NULL_UUID),
            name: d.name,
            type: d.type,
            label: d.label,
            deviceProfileId: ref('DEVICE_PROFILE', d.deviceProfileId),
            deviceData: { configuration: { type: 'DEFAULT' }, transportConfiguration: { type: 'DEFAULT' } },
            firmwareId: null,
            softwareId: null,
            externalId: null,
            version: d.version,
            additionalInfo: d.additionalInfo,
        });
    }

    deviceInfo(d: DeviceRecord): Record<string, unknown> {
        return {
            ...this.device(d),
            customerTitle: null,
            customerIsPublic: false,
            deviceProfileName: this.store.getProfile(d.deviceProfileId)?.name ?? d.type,
            active: false,
        };
    }

    credentials(c: CredentialsRecord): Record<string, unknown> {
        return this.versioned({
            id: { id: c.id },
            createdTime: c.createdTime,
            deviceId: ref('DEVICE', c.deviceId),
            credentialsType: c.credentialsType,
            credentialsId: c.credentialsId,
            credentialsValue: c.credentialsValue,
            version: c.version,
        });
    }

    profile(p: ProfileRecord): Record<string, unknown> {
        return this.versioned({
            id: ref('DEVICE_PROFILE', p.id),
            createdTime: p.createdTime,
            tenantId: ref('TENANT', this.store.tenantId),
            name: p.name,
            description: p.description,
            image: null,
            type: 'DEFAULT',
            transportType: 'DEFAULT',
            provisionType: p.provisionType,
            profileData: p.profileData,
            defaultRuleChainId: null,
            defaultDashboardId: null,
            defaultQueueName: null,
            provisionDeviceKey: p.provisionDeviceKey,
            firmwareId: null,
            softwareId: null,
            defaultEdgeRuleChainId: null,
            externalId: null,
            version: p.version,
            default: p.isDefault,
        });
    }

    profileInfo(p: ProfileRecord): Record<string, unknown> {
        return {
            id: ref('DEVICE_PROFILE', p.id),
            tenantId: ref('TENANT', this.store.tenantId),
            name: p.name,
            image: null,
            defaultDashboardId: null,
            type: 'DEFAULT',
            transportType: 'DEFAULT',
        };
    }

    user(user: AuthUser | null): Record<string, unknown> {
        return {
            id: ref('USER', user?.userId ?? this.store.userId),
            createdTime: 0,
            tenantId: ref('TENANT', this.store.tenantId),
            customerId: ref('CUSTOMER', user?.customerId ?? NULL_UUID),
            email: user?.email ?? null,
            authority: user?.authority ?? 'TENANT_ADMIN',
            firstName: null,
            lastName: null,
            phone: null,
            name: user?.email ?? null,
            additionalInfo: {},
        };
    }

    tenant(): Record<string, unknown> {
        return this.versioned({
            id: ref('TENANT', this.store.tenantId),
            createdTime: 0,
            title: 'Tenant',
            name: 'Tenant',
            region: 'Global',
            tenantProfileId: ref('TENANT_PROFILE', this.store.tenantProfileId),
            country: null,
            state: null,
            city: null,
            address: null,
            address2: null,
            zip: null,
            phone: null,
            email: null,
            additionalInfo: null,
            version: 1,
        });
    }
}
