import { randomUUID } from 'crypto';
import { badRequest, ErrorCode, TbError } from './errors';
import type { FormattedCredentials } from './store-credentials-format';
import type { CredentialsInput, CredentialsRecord } from './store-types';

// Every device's single credentials row, and the update rules of DeviceCredentialsServiceImpl /
// DeviceCredentialsDataValidator (which row an update may touch, uniqueness of the credentials id).

export class CredentialsTable {
    private readonly byDevice = new Map<string, CredentialsRecord>();

    load(records: CredentialsRecord[]): void {
        for (const c of records) this.byDevice.set(c.deviceId, c);
    }

    list(): CredentialsRecord[] {
        return [...this.byDevice.values()];
    }

    get(deviceId: string): CredentialsRecord | undefined {
        return this.byDevice.get(deviceId);
    }

    findByCredentialsId(credentialsId: string): CredentialsRecord | undefined {
        for (const c of this.byDevice.values()) if (c.credentialsId === credentialsId) return c;
        return undefined;
    }

    /** 400 when another row (not `ownRowId`) holds this credentials id. */
    checkIdFree(credentialsId: string, ownRowId: string | undefined): void {
        const holder = this.findByCredentialsId(credentialsId);
        if (holder && holder.id !== ownRowId) throw badRequest('Device credentials are already assigned to another device!');
    }

    /** The first row of a new device. */
    insert(deviceId: string, formatted: FormattedCredentials): CredentialsRecord {
        const record: CredentialsRecord = { id: randomUUID(), createdTime: Date.now(), deviceId, ...formatted, version: 1 };
        this.byDevice.set(deviceId, record);
        return record;
    }

    /**
     * POST /api/device/credentials after the controller found the device. `checkVersion`: the release has
     * entity versions (optimistic locking, 409). Returns whether type, id or value changed.
     */
    update(
        deviceId: string,
        input: CredentialsInput,
        formatted: FormattedCredentials,
        checkVersion: boolean,
    ): { record: CredentialsRecord; changed: boolean } {
        const current = this.byDevice.get(deviceId);
        if (!input.id) {
            if (current) throw badRequest('Credentials for this device are already specified!');
        } else if (!current || current.id !== input.id) {
            const owner = this.list().find((c) => c.id === input.id);
            if (!owner) throw badRequest('Unable to update non-existent device credentials!');
            // A credentials row of another device: ThingsBoard's unique key on device_id rejects it.
            throw badRequest('Specified credentials are already registered!');
        }
        if (checkVersion && current && input.version !== undefined && input.version !== null && input.version !== current.version) {
            // JpaAbstractDao: OptimisticLockException → EntityVersionMismatchException; the credentials DAO names no entity type.
            throw new TbError(409, 'Entity was already changed by someone else', ErrorCode.VERSION_CONFLICT);
        }
        this.checkIdFree(formatted.credentialsId, current?.id);
        const changed =
            !current ||
            current.credentialsType !== formatted.credentialsType ||
            current.credentialsId !== formatted.credentialsId ||
            current.credentialsValue !== formatted.credentialsValue;
        const record: CredentialsRecord = {
            id: current?.id ?? randomUUID(),
            createdTime: current?.createdTime ?? Date.now(),
            deviceId,
            ...formatted,
            // Hibernate bumps @Version only for a dirty entity.
            version: current && !changed ? current.version : (current?.version ?? 0) + 1,
        };
        this.byDevice.set(deviceId, record);
        return { record, changed };
    }

    delete(deviceId: string): void {
        this.byDevice.delete(deviceId);
    }
}
