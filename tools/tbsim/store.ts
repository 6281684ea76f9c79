import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import { badRequest, notFound } from './errors';
import { Release } from './release';
import { CredentialsTable } from './store-credentials';
import { formatCredentials, type FormattedCredentials } from './store-credentials-format';
import { TenantLimits } from './store-limits';
import { readState, writeState } from './store-persistence';
import { ProfileTable } from './store-profiles';
import { DeviceDataTable } from './store-timeseries';
import {
    optionalString,
    randomAlphanumeric,
    type AttributeScope,
    type AttributeValue,
    type CredentialsInput,
    type CredentialsRecord,
    type DeviceInput,
    type DeviceRecord,
    type NameConflict,
    type ProfileInput,
    type ProfileRecord,
    type SimDevice,
    type TelemetryEntry,
} from './store-types';

// The tenant's data: devices, their single credentials row, device profiles, telemetry and attributes.
// Validation messages are ThingsBoard's own (DeviceServiceImpl, DeviceCredentialsDataValidator, DeviceCredentialsServiceImpl).
// Profiles, credentials formatting, timeseries and the state file live in the store-*.ts files.

export * from './store-types';

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
    private readonly credentials = new CredentialsTable();
    private readonly profileTable = new ProfileTable();
    private readonly deviceData = new DeviceDataTable();
    /** tenant profile and subscription limits on new devices */
    readonly limits: TenantLimits;

    /** `release`: the ThingsBoard release whose validation and update rules apply (default the newest). */
    constructor(readonly release: Release = new Release()) {
        super();
        this.setMaxListeners(0);
        this.limits = new TenantLimits(release);
    }

    // ---------------------------------------------------------------- persistence
    load(file: string): boolean {
        const state = readState(file);
        if (!state) return false;
        this.tenantId = state.tenantId;
        this.userId = state.userId;
        this.tenantProfileId = state.tenantProfileId ?? this.tenantProfileId;
        this.jwtKey = state.jwtKey;
        this.apiKey = state.apiKey;
        for (const d of state.devices) this.devices.set(d.id, d);
        this.credentials.load(state.credentials);
        this.profileTable.load(state.profiles);
        this.deviceData.load(state.telemetry, state.attributes);
        return true;
    }

    save(file: string): void {
        writeState(file, {
            tenantId: this.tenantId,
            userId: this.userId,
            tenantProfileId: this.tenantProfileId,
            jwtKey: this.jwtKey,
            apiKey: this.apiKey,
            devices: [...this.devices.values()],
            credentials: this.credentials.list(),
            profiles: this.profileTable.list(),
            ...this.deviceData.snapshot(),
        });
    }

    private changed(): void {
        this.emit('changed');
    }

    // ---------------------------------------------------------------- profiles
    ensureDefaultProfile(): ProfileRecord {
        const before = this.profileTable.list().length;
        const profile = this.profileTable.ensureDefault();
        if (this.profileTable.list().length !== before) this.changed();
        return profile;
    }

    listProfiles(): ProfileRecord[] {
        return this.profileTable.list();
    }

    getProfile(id: string): ProfileRecord | undefined {
        return this.profileTable.get(id);
    }

    findProfileByName(name: string): ProfileRecord | undefined {
        return this.profileTable.findByName(name);
    }

    findProfileByProvisionKey(key: string): ProfileRecord | undefined {
        return this.profileTable.findByProvisionKey(key);
    }

    /** DeviceServiceImpl: a device `type` selects the profile by name and silently creates it when missing. */
    findOrCreateProfileByName(name: string): ProfileRecord {
        return this.findProfileByName(name) ?? this.createProfile({ name });
    }

    createProfile(input: ProfileInput): ProfileRecord {
        const record = this.profileTable.create(input);
        this.changed();
        return record;
    }

    deleteProfile(id: string): void {
        this.profileTable.delete(id, [...this.devices.values()].some((d) => d.deviceProfileId === id));
        this.changed();
    }

    provisionSecretOf(profile: ProfileRecord): string | null {
        return ProfileTable.provisionSecretOf(profile);
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
        const nameTaken = clash !== undefined && clash.id !== existing?.id;
        if (nameTaken && opts.nameConflict?.policy === 'UNIQUIFY') name = this.uniquify(name, opts.nameConflict);
        if (!existing) this.limits.checkDeviceCreation(this.devices.size);
        let profile: ProfileRecord;
        if (input.deviceProfileId) {
            const found = this.profileTable.get(input.deviceProfileId);
            if (!found) throw badRequest('Device is referencing non existing device profile!');
            profile = found;
        } else if (typeof input.type === 'string' && input.type !== '') {
            profile = this.findOrCreateProfileByName(input.type);
        } else if (existing) {
            profile = this.profileTable.get(existing.deviceProfileId) ?? this.profileTable.ensureDefault();
        } else {
            profile = this.profileTable.ensureDefault();
        }
        // The unique name constraint answers at the insert, after the profile was resolved.
        if (nameTaken && opts.nameConflict?.policy !== 'UNIQUIFY') throw badRequest('Device with such name already exists!');
        if (opts.accessToken !== undefined && !existing && !opts.withoutCredentials) {
            this.credentials.checkIdFree(opts.accessToken, undefined);
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
            this.credentials.insert(record.id, { credentialsType: 'ACCESS_TOKEN', credentialsId: token, credentialsValue: null });
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
        this.credentials.checkIdFree(prepared.credentialsId, undefined);
        const device = this.saveDevice(deviceInput, { nameConflict: opts.nameConflict, withoutCredentials: true });
        this.credentials.insert(device.id, prepared);
        this.changed();
        return device;
    }

    deleteDevice(id: string): void {
        if (!this.devices.delete(id)) throw notFound();
        this.credentials.delete(id);
        this.deviceData.deleteDevice(id);
        this.emit('deviceDeleted', id);
        this.changed();
    }

    // ---------------------------------------------------------------- credentials
    getCredentials(deviceId: string): CredentialsRecord | undefined {
        return this.credentials.get(deviceId);
    }

    findCredentialsById(credentialsId: string): CredentialsRecord | undefined {
        return this.credentials.findByCredentialsId(credentialsId);
    }

    /** Formats and validates a credentials body the way DCS formatCredentials + DCV validateDataImpl do. */
    prepareCredentials(input: CredentialsInput): FormattedCredentials {
        return formatCredentials(input, { rejectControlChars: this.release.has('credentialsControlCharCheck') });
    }

    /**
     * POST /api/device/credentials. The controller checks the device first (404), then the service validates.
     * Returns whether type, id or value changed; 'credentialsChanged' tells the MQTT side to close the sessions.
     */
    updateCredentials(deviceId: string, input: CredentialsInput): { record: CredentialsRecord; changed: boolean } {
        if (!this.devices.has(deviceId)) throw notFound();
        const hadCredentials = this.credentials.get(deviceId) !== undefined;
        const result = this.credentials.update(deviceId, input, this.prepareCredentials(input), this.release.has('entityVersions'));
        // Before isCredentialsChanged every successful update of an existing row notifies the device actor,
        // which closes the device's sessions; identical credentials included.
        if (hadCredentials && (result.changed || !this.release.has('credentialsKickOnlyWhenChanged'))) {
            this.emit('credentialsChanged', deviceId);
        }
        this.changed();
        return result;
    }

    simDevice(device: DeviceRecord): SimDevice {
        const c = this.credentials.get(device.id);
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
        this.deviceData.addTelemetry(deviceId, entries);
        this.changed();
    }

    telemetry(deviceId: string): TelemetryEntry[] {
        return this.deviceData.telemetry(deviceId);
    }

    setAttributes(deviceId: string, scope: AttributeScope, values: Record<string, unknown>): void {
        this.deviceData.setAttributes(deviceId, scope, values);
        this.changed();
    }

    attributes(deviceId: string, scope: AttributeScope): Record<string, AttributeValue> {
        return this.deviceData.attributes(deviceId, scope);
    }

    /** Removes the keys of one scope; keys that do not exist are ignored. */
    deleteAttributes(deviceId: string, scope: AttributeScope, keys: string[]): void {
        this.deviceData.deleteAttributes(deviceId, scope, keys);
        this.changed();
    }
}
