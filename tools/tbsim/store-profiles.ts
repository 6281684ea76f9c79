import { randomUUID } from 'crypto';
import { badRequest, notFound } from './errors';
import { formatProfileCertificate, isWellKnownRoot } from './profile-certificate';
import { optionalString, PROVISION_TYPES, type ProfileInput, type ProfileRecord, type ProvisionType } from './store-types';

// Device profiles with their provisioning settings; validation messages of DeviceProfileDataValidator
// and DeviceProfileServiceImpl.

export class ProfileTable {
    private readonly profiles = new Map<string, ProfileRecord>();

    load(records: ProfileRecord[]): void {
        for (const p of records) this.profiles.set(p.id, p);
    }

    list(): ProfileRecord[] {
        return [...this.profiles.values()];
    }

    get(id: string): ProfileRecord | undefined {
        return this.profiles.get(id);
    }

    findByName(name: string): ProfileRecord | undefined {
        return this.list().find((p) => p.name === name);
    }

    findByProvisionKey(key: string): ProfileRecord | undefined {
        return this.list().find((p) => p.provisionDeviceKey === key);
    }

    ensureDefault(): ProfileRecord {
        return this.list().find((p) => p.isDefault) ?? this.create({ name: 'default', isDefault: true });
    }

    create(input: ProfileInput): ProfileRecord {
        const existing = input.id ? this.profiles.get(input.id) : undefined;
        if (input.id && !existing) throw notFound();
        if (typeof input.name !== 'string' || input.name.trim() === '') throw badRequest('Device profile name should be specified!');
        const name = input.name;
        const clash = this.findByName(name);
        if (clash && clash.id !== existing?.id) throw badRequest('Device profile with such name already exists!');
        const provisionType = (input.provisionType ?? 'DISABLED') as ProvisionType;
        if (!PROVISION_TYPES.includes(provisionType)) throw badRequest(`Invalid provision type: ${String(input.provisionType)}`);
        const profileData: Record<string, unknown> =
            input.profileData && typeof input.profileData === 'object'
                ? { ...(input.profileData as Record<string, unknown>) }
                : { configuration: { type: 'DEFAULT' }, transportConfiguration: { type: 'DEFAULT' }, alarms: null };
        const provisionConfiguration = {
            ...((profileData.provisionConfiguration as Record<string, unknown> | undefined) ?? {}),
        };
        if (input.provisionDeviceSecret !== undefined) provisionConfiguration.provisionDeviceSecret = input.provisionDeviceSecret;
        provisionConfiguration.type = provisionType;
        if (provisionConfiguration.provisionDeviceSecret === undefined) provisionConfiguration.provisionDeviceSecret = null;
        profileData.provisionConfiguration = provisionConfiguration;
        if (!profileData.configuration) profileData.configuration = { type: 'DEFAULT' };
        if (!profileData.transportConfiguration) profileData.transportConfiguration = { type: 'DEFAULT' };

        let provisionDeviceKey = optionalString(input.provisionDeviceKey);
        if (provisionType === 'X509_CERTIFICATE_CHAIN') {
            // Only a given secret is formatted; without one the key stays as sent (and never matches).
            const secret = optionalString(provisionConfiguration.provisionDeviceSecret);
            if (secret) {
                const formatted = formatProfileCertificate(secret);
                provisionDeviceKey = formatted.provisionDeviceKey;
                provisionConfiguration.provisionDeviceSecret = formatted.secret;
                if (isWellKnownRoot(formatted.secret)) throw badRequest('Device profile certificate cannot be well known root CA!');
            }
            // device_provision_key_unq_key, platform-wide; the message names the certificate for this type
            const other = provisionDeviceKey ? this.findByProvisionKey(provisionDeviceKey) : undefined;
            if (other && other.id !== existing?.id) throw badRequest('Device profile with such certificate already exists!');
        } else if (provisionType !== 'DISABLED') {
            if (!provisionDeviceKey) throw badRequest('Provision device key is required!');
            if (!optionalString(provisionConfiguration.provisionDeviceSecret)) throw badRequest('Provision device secret is required!');
            const other = this.findByProvisionKey(provisionDeviceKey);
            if (other && other.id !== existing?.id) throw badRequest('Device profile with such provision device key already exists!');
        } else {
            provisionDeviceKey = null;
        }
        const record: ProfileRecord = {
            id: existing?.id ?? randomUUID(),
            createdTime: existing?.createdTime ?? Date.now(),
            name,
            description: optionalString(input.description),
            isDefault: input.isDefault ?? existing?.isDefault ?? false,
            provisionType,
            provisionDeviceKey,
            profileData,
            version: (existing?.version ?? 0) + 1,
        };
        this.profiles.set(record.id, record);
        return record;
    }

    /** `referenced`: whether devices use the profile (they block the deletion). */
    delete(id: string, referenced: boolean): void {
        const profile = this.profiles.get(id);
        if (!profile) throw notFound();
        if (profile.isDefault) throw badRequest('Deletion of Default Device Profile is prohibited!');
        if (referenced) throw badRequest('The device profile referenced by the devices cannot be deleted!');
        this.profiles.delete(id);
    }

    static provisionSecretOf(profile: ProfileRecord): string | null {
        const conf = profile.profileData.provisionConfiguration as Record<string, unknown> | undefined;
        return optionalString(conf?.provisionDeviceSecret);
    }
}
