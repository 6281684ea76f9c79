import { randomBytes, randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import { badRequest, ErrorCode, notFound, TbError } from './errors';
import { sha3OfParts, x509CredentialsId } from './hash';

// The tenant's data: devices, their single credentials row, device profiles, telemetry and attributes.
// Validation messages are ThingsBoard's own (DeviceServiceImpl, DeviceCredentialsDataValidator, DeviceCredentialsServiceImpl).

export const NULL_UUID = '13814000-1dd2-11b2-8080-808080808080';

export type CredentialsType = 'ACCESS_TOKEN' | 'X509_CERTIFICATE' | 'MQTT_BASIC' | 'LWM2M_CREDENTIALS';
const CREDENTIALS_TYPES: CredentialsType[] = ['ACCESS_TOKEN', 'X509_CERTIFICATE', 'MQTT_BASIC', 'LWM2M_CREDENTIALS'];
export type ProvisionType = 'DISABLED' | 'ALLOW_CREATE_NEW_DEVICES' | 'CHECK_PRE_PROVISIONED_DEVICES' | 'X509_CERTIFICATE_CHAIN';
const PROVISION_TYPES: ProvisionType[] = ['DISABLED', 'ALLOW_CREATE_NEW_DEVICES', 'CHECK_PRE_PROVISIONED_DEVICES', 'X509_CERTIFICATE_CHAIN'];

export interface DeviceRecord {
    id: string;
    createdTime: number;
    name: string;
    type: string;
    label: string | null;
    deviceProfileId: string;
    additionalInfo: Record<string, unknown> | null;
    version: number;
}

export interface CredentialsRecord {
    id: string;
    createdTime: number;
    deviceId: string;
    credentialsType: CredentialsType;
    credentialsId: string;
    credentialsValue: string | null;
    version: number;
}

export interface ProfileRecord {
    id: string;
    createdTime: number;
    name: string;
    description: string | null;
    isDefault: boolean;
    provisionType: ProvisionType;
    provisionDeviceKey: string | null;
    profileData: Record<string, unknown>;
    version: number;
}

export interface TelemetryEntry {
    ts: number;
    values: Record<string, unknown>;
}

export interface AttributeValue {
    value: unknown;
    lastUpdateTs: number;
}

export type AttributeScope = 'CLIENT_SCOPE' | 'SERVER_SCOPE' | 'SHARED_SCOPE';

export interface SimDevice {
    id: string;
    name: string;
    type: string;
    label: string | null;
    deviceProfileId: string;
    additionalInfo: Record<string, unknown> | null;
    credentials: { type: CredentialsType; id: string; value: string | null };
}

export interface CredentialsInput {
    id?: string;
    credentialsType?: string;
    credentialsId?: string | null;
    credentialsValue?: string | null;
    version?: number | null;
}

export interface DeviceInput {
    id?: string;
    name?: unknown;
    type?: unknown;
    label?: unknown;
    deviceProfileId?: string;
    additionalInfo?: unknown;
    version?: number | null;
}

export interface NameConflict {
    policy: 'FAIL' | 'UNIQUIFY';
    separator: string;
    strategy: 'RANDOM' | 'INCREMENTAL';
}

interface PersistedState {
    tenantId: string;
    userId: string;
    tenantProfileId?: string;
    jwtKey?: string;
    apiKey?: string;
    devices: DeviceRecord[];
    credentials: CredentialsRecord[];
    profiles: ProfileRecord[];
    telemetry: Record<string, TelemetryEntry[]>;
    attributes: Record<string, Partial<Record<AttributeScope, Record<string, AttributeValue>>>>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomAlphanumeric(length: number): string {
    const bytes = randomBytes(length);
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length];
    return out;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function optionalString(value: unknown): string | null {
    return typeof value === 'string' ? value : null;
}

/**
 * Events: 'credentialsChanged' (deviceId) and 'deviceDeleted' (deviceId) so the MQTT side can close sessions;
 * 'changed' whenever anything worth persisting changed.
 */
export class TenantStore extends EventEmitter {
    tenantId: string = randomUUID();
    userId: string = randomUUID();
    tenantProfileId: string = randomUUID();
    jwtKey?: string;
    apiKey?: string;
    private devices = new Map<string, DeviceRecord>();
    private credentialsByDevice = new Map<string, CredentialsRecord>();
    private profiles = new Map<string, ProfileRecord>();
    private telemetryByDevice = new Map<string, TelemetryEntry[]>();
    private attributesByDevice = new Map<string, Partial<Record<AttributeScope, Record<string, AttributeValue>>>>();

    constructor() {
        super();
        this.setMaxListeners(0);
    }

    // ---------------------------------------------------------------- persistence
    load(file: string): boolean {
        if (!fs.existsSync(file)) return false;
        const state = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
        this.tenantId = state.tenantId;
        this.userId = state.userId;
        this.tenantProfileId = state.tenantProfileId ?? this.tenantProfileId;
        this.jwtKey = state.jwtKey;
        this.apiKey = state.apiKey;
        for (const d of state.devices) this.devices.set(d.id, d);
        for (const c of state.credentials) this.credentialsByDevice.set(c.deviceId, c);
        for (const p of state.profiles) this.profiles.set(p.id, p);
        for (const [id, entries] of Object.entries(state.telemetry ?? {})) this.telemetryByDevice.set(id, entries);
        for (const [id, attrs] of Object.entries(state.attributes ?? {})) this.attributesByDevice.set(id, attrs);
        return true;
    }

    save(file: string): void {
        const state: PersistedState = {
            tenantId: this.tenantId,
            userId: this.userId,
            tenantProfileId: this.tenantProfileId,
            jwtKey: this.jwtKey,
            apiKey: this.apiKey,
            devices: [...this.devices.values()],
            credentials: [...this.credentialsByDevice.values()],
            profiles: [...this.profiles.values()],
            telemetry: Object.fromEntries(this.telemetryByDevice),
            attributes: Object.fromEntries(this.attributesByDevice),
        };
        const tmp = `${file}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
        fs.renameSync(tmp, file);
    }

    private changed(): void {
        this.emit('changed');
    }

    // ---------------------------------------------------------------- profiles
    ensureDefaultProfile(): ProfileRecord {
        const existing = [...this.profiles.values()].find((p) => p.isDefault);
        if (existing) return existing;
        return this.createProfile({ name: 'default', isDefault: true });
    }

    defaultProfile(): ProfileRecord {
        return this.ensureDefaultProfile();
    }

    listProfiles(): ProfileRecord[] {
        return [...this.profiles.values()];
    }

    getProfile(id: string): ProfileRecord | undefined {
        return this.profiles.get(id);
    }

    findProfileByName(name: string): ProfileRecord | undefined {
        return [...this.profiles.values()].find((p) => p.name === name);
    }

    findProfileByProvisionKey(key: string): ProfileRecord | undefined {
        return [...this.profiles.values()].find((p) => p.provisionDeviceKey === key);
    }

    /** DeviceServiceImpl: a device `type` selects the profile by name and silently creates it when missing. */
    findOrCreateProfileByName(name: string): ProfileRecord {
        return this.findProfileByName(name) ?? this.createProfile({ name });
    }

    createProfile(input: {
        id?: string;
        name?: unknown;
        description?: unknown;
        isDefault?: boolean;
        provisionType?: unknown;
        provisionDeviceKey?: unknown;
        provisionDeviceSecret?: unknown;
        profileData?: unknown;
    }): ProfileRecord {
        const existing = input.id ? this.profiles.get(input.id) : undefined;
        if (input.id && !existing) throw notFound();
        if (typeof input.name !== 'string' || input.name.trim() === '') throw badRequest('Device profile name should be specified!');
        const name = input.name;
        const clash = this.findProfileByName(name);
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
            // DeviceProfileServiceImpl: the key is the hash of the first certificate of the uploaded secret.
            const secret = optionalString(provisionConfiguration.provisionDeviceSecret);
            if (!secret) throw badRequest('Device profile certificate should be specified!');
            const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(secret)?.[0] ?? secret;
            const formatted = x509CredentialsId(first);
            provisionDeviceKey = formatted.credentialsId;
            provisionConfiguration.provisionDeviceSecret = formatted.credentialsValue;
            const other = this.findProfileByProvisionKey(provisionDeviceKey);
            if (other && other.id !== existing?.id) throw badRequest('Device profile with such certificate already exists!');
        } else if (provisionType !== 'DISABLED') {
            if (!provisionDeviceKey) throw badRequest('Provision device key is required!');
            if (!optionalString(provisionConfiguration.provisionDeviceSecret)) throw badRequest('Provision device secret is required!');
            const other = this.findProfileByProvisionKey(provisionDeviceKey);
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
        this.changed();
        return record;
    }

    deleteProfile(id: string): void {
        const profile = this.profiles.get(id);
        if (!profile) throw notFound();
        if (profile.isDefault) throw badRequest('Deletion of Default Device Profile is prohibited!');
        if ([...this.devices.values()].some((d) => d.deviceProfileId === id)) {
            throw badRequest("The device profile referenced by the devices cannot be deleted!");
        }
        this.profiles.delete(id);
        this.changed();
    }

    provisionSecretOf(profile: ProfileRecord): string | null {
        const conf = profile.profileData.provisionConfiguration as Record<string, unknown> | undefined;
        return optionalString(conf?.provisionDeviceSecret);
    }

    // ---------------------------------------------------------------- devices
    listDevices(): DeviceRecord[] {
        return [...this.devices.values()];
    }

    getDevice(id: string): DeviceRecord | undefined {
        return this.devices.get(id);
    }

    findDeviceByName(name: string): DeviceRecord | undefined {
        return [...this.devices.values()].find((d) => d.name === name);
    }

    isGateway(device: DeviceRecord): boolean {
        return device.additionalInfo?.gateway === true;
    }

    /**
     * Create (no id) or update (id) a device. A new device gets ACCESS_TOKEN credentials unless `withoutCredentials`.
     * Returns the saved record; throws TbError on validation errors.
     */
    saveDevice(
        input: DeviceInput,
        opts: { accessToken?: string; nameConflict?: NameConflict; withoutCredentials?: boolean } = {},
    ): DeviceRecord {
        const existing = input.id ? this.devices.get(input.id) : undefined;
        if (input.id && !existing) throw notFound();
        if (typeof input.name !== 'string' || input.name.trim() === '') throw badRequest('Device name should be specified!');
        let name = input.name;
        const clash = this.findDeviceByName(name);
        if (clash && clash.id !== existing?.id) {
            if (opts.nameConflict?.policy === 'UNIQUIFY') name = this.uniquify(name, opts.nameConflict);
            else throw badRequest('Device with such name already exists!');
        }
        let profile: ProfileRecord;
        if (input.deviceProfileId) {
            const found = this.profiles.get(input.deviceProfileId);
            if (!found) throw badRequest('Device is referencing non existing device profile!');
            profile = found;
        } else if (typeof input.type === 'string' && input.type !== '') {
            profile = this.findOrCreateProfileByName(input.type);
        } else if (existing) {
            profile = this.profiles.get(existing.deviceProfileId) ?? this.defaultProfile();
        } else {
            profile = this.defaultProfile();
        }
        if (opts.accessToken !== undefined && !existing && !opts.withoutCredentials) {
            this.checkCredentialsIdFree(opts.accessToken, undefined);
        }
        const record: DeviceRecord = {
            id: existing?.id ?? randomUUID(),
            createdTime: existing?.createdTime ?? Date.now(),
            name,
            type: profile.name,
            label: optionalString(input.label),
            deviceProfileId: profile.id,
            additionalInfo:
                input.additionalInfo && typeof input.additionalInfo === 'object'
                    ? (input.additionalInfo as Record<string, unknown>)
                    : input.additionalInfo === undefined
                      ? (existing?.additionalInfo ?? null)
                      : null,
            version: (existing?.version ?? 0) + 1,
        };
        this.devices.set(record.id, record);
        if (!existing && !opts.withoutCredentials) {
            const token = opts.accessToken ?? randomAlphanumeric(20);
            this.credentialsByDevice.set(record.id, {
                id: randomUUID(),
                createdTime: Date.now(),
                deviceId: record.id,
                credentialsType: 'ACCESS_TOKEN',
                credentialsId: token,
                credentialsValue: null,
                version: 1,
            });
        }
        this.changed();
        return record;
    }

    private uniquify(name: string, conflict: NameConflict): string {
        if (conflict.strategy === 'INCREMENTAL') {
            for (let i = 1; ; i++) {
                const candidate = `${name}${conflict.separator}${i}`;
                if (!this.findDeviceByName(candidate)) return candidate;
            }
        }
        for (;;) {
            const candidate = `${name}${conflict.separator}${randomAlphanumeric(6).toLowerCase()}`;
            if (!this.findDeviceByName(candidate)) return candidate;
        }
    }

    /** POST /api/device-with-credentials: all or nothing (@Transactional in ThingsBoard). */
    saveDeviceWithCredentials(
        deviceInput: DeviceInput,
        credentialsInput: CredentialsInput,
        opts: { nameConflict?: NameConflict } = {},
    ): DeviceRecord {
        const prepared = this.prepareCredentials(credentialsInput);
        if (deviceInput.id) throw badRequest('Device id should be empty when creating a device with credentials!');
        this.checkCredentialsIdFree(prepared.credentialsId, undefined);
        const device = this.saveDevice(deviceInput, { nameConflict: opts.nameConflict, withoutCredentials: true });
        this.credentialsByDevice.set(device.id, {
            id: randomUUID(),
            createdTime: Date.now(),
            deviceId: device.id,
            ...prepared,
            version: 1,
        });
        this.changed();
        return device;
    }

    deleteDevice(id: string): void {
        if (!this.devices.delete(id)) throw notFound();
        this.credentialsByDevice.delete(id);
        this.telemetryByDevice.delete(id);
        this.attributesByDevice.delete(id);
        this.emit('deviceDeleted', id);
        this.changed();
    }

    // ---------------------------------------------------------------- credentials
    getCredentials(deviceId: string): CredentialsRecord | undefined {
        return this.credentialsByDevice.get(deviceId);
    }

    findCredentialsById(credentialsId: string): CredentialsRecord | undefined {
        for (const c of this.credentialsByDevice.values()) if (c.credentialsId === credentialsId) return c;
        return undefined;
    }

    /** Formats and validates a credentials body the way DCS formatCredentials + DCV validateDataImpl do. */
    prepareCredentials(input: CredentialsInput): Pick<CredentialsRecord, 'credentialsType' | 'credentialsId' | 'credentialsValue'> {
        const type = input.credentialsType as CredentialsType | undefined;
        if (!type) throw badRequest('Device credentials type should be specified');
        if (!CREDENTIALS_TYPES.includes(type)) throw badRequest(`Invalid device credentials type: ${String(type)}`);
        let credentialsId = optionalString(input.credentialsId);
        let credentialsValue = optionalString(input.credentialsValue);
        if (type === 'X509_CERTIFICATE') {
            if (credentialsValue === null || credentialsValue === '') throw badRequest('Device credentials value should be specified!');
            ({ credentialsId, credentialsValue } = x509CredentialsId(credentialsValue));
        } else if (type === 'MQTT_BASIC') {
            let basic: { clientId?: string; userName?: string; password?: string };
            try {
                basic = JSON.parse(credentialsValue ?? '') as typeof basic;
            } catch {
                throw badRequest('Invalid credentials body for simple mqtt credentials!');
            }
            for (const field of ['clientId', 'userName', 'password'] as const) {
                if (typeof basic[field] === 'string' && CONTROL_CHARS.test(basic[field] as string)) {
                    throw badRequest(`${field} must not contain control characters!`);
                }
            }
            if (!basic.clientId && !basic.userName) throw badRequest('Both mqtt client id and user name are empty!');
            if (basic.clientId && !basic.userName) credentialsId = sha3OfParts([basic.clientId]);
            else if (!basic.clientId && basic.userName) credentialsId = sha3OfParts([basic.userName]);
            else credentialsId = sha3OfParts([basic.clientId, basic.userName]);
            credentialsValue = JSON.stringify(basic);
        } else if (type === 'ACCESS_TOKEN') {
            credentialsValue = null;
        }
        if (!credentialsId) throw badRequest('Device credentials id should be specified!');
        if (CONTROL_CHARS.test(credentialsId)) throw badRequest('credentialsId must not contain control characters!');
        return { credentialsType: type, credentialsId, credentialsValue };
    }

    private checkCredentialsIdFree(credentialsId: string, ownRowId: string | undefined): void {
        const holder = this.findCredentialsById(credentialsId);
        if (holder && holder.id !== ownRowId) throw badRequest('Device credentials are already assigned to another device!');
    }

    /**
     * POST /api/device/credentials. The controller checks the device first (404), then the service validates.
     * Returns whether anything changed (ThingsBoard ≥4.3 kicks sessions only then).
     */
    updateCredentials(deviceId: string, input: CredentialsInput): { record: CredentialsRecord; changed: boolean } {
        if (!this.devices.has(deviceId)) throw notFound();
        const prepared = this.prepareCredentials(input);
        const current = this.credentialsByDevice.get(deviceId);
        if (!input.id) {
            if (current) throw badRequest('Credentials for this device are already specified!');
        } else if (!current || current.id !== input.id) {
            const owner = [...this.credentialsByDevice.values()].find((c) => c.id === input.id);
            if (!owner) throw badRequest('Unable to update non-existent device credentials!');
            // A credentials row of another device: ThingsBoard's unique key on device_id rejects it.
            throw badRequest('Specified credentials are already registered!');
        }
        if (current && input.version !== undefined && input.version !== null && input.version !== current.version) {
            throw new TbError(409, 'Device credentials were already changed by someone else!', ErrorCode.VERSION_CONFLICT);
        }
        this.checkCredentialsIdFree(prepared.credentialsId, current?.id);
        const changed =
            !current ||
            current.credentialsType !== prepared.credentialsType ||
            current.credentialsId !== prepared.credentialsId ||
            current.credentialsValue !== prepared.credentialsValue;
        const record: CredentialsRecord = {
            id: current?.id ?? randomUUID(),
            createdTime: current?.createdTime ?? Date.now(),
            deviceId,
            ...prepared,
            // Hibernate bumps @Version only for a dirty entity.
            version: current && !changed ? current.version : (current?.version ?? 0) + 1,
        };
        this.credentialsByDevice.set(deviceId, record);
        if (changed) this.emit('credentialsChanged', deviceId);
        this.changed();
        return { record, changed };
    }

    simDevice(device: DeviceRecord): SimDevice {
        const c = this.credentialsByDevice.get(device.id);
        return {
            id: device.id,
            name: device.name,
            type: device.type,
            label: device.label,
            deviceProfileId: device.deviceProfileId,
            additionalInfo: device.additionalInfo,
            credentials: c
                ? { type: c.credentialsType, id: c.credentialsId, value: c.credentialsValue }
                : { type: 'ACCESS_TOKEN', id: '', value: null },
        };
    }

    // ---------------------------------------------------------------- telemetry and attributes
    addTelemetry(deviceId: string, entries: TelemetryEntry[]): void {
        let list = this.telemetryByDevice.get(deviceId);
        if (!list) this.telemetryByDevice.set(deviceId, (list = []));
        list.push(...entries);
        this.changed();
    }

    telemetry(deviceId: string): TelemetryEntry[] {
        return this.telemetryByDevice.get(deviceId) ?? [];
    }

    setAttributes(deviceId: string, scope: AttributeScope, values: Record<string, unknown>): void {
        let byScope = this.attributesByDevice.get(deviceId);
        if (!byScope) this.attributesByDevice.set(deviceId, (byScope = {}));
        const target = (byScope[scope] ??= {});
        const now = Date.now();
        for (const [key, value] of Object.entries(values)) target[key] = { value, lastUpdateTs: now };
        this.changed();
    }

    attributes(deviceId: string, scope: AttributeScope): Record<string, AttributeValue> {
        return this.attributesByDevice.get(deviceId)?.[scope] ?? {};
    }
}
