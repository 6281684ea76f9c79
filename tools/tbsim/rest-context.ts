import type { AuthService, AuthUser } from './auth';
import { entityNotFound, permissionDenied } from './errors';
import type { Release } from './release';
import { uuidParam } from './rest-params';
import type { RestJson } from './rest-json';
import type { DeviceRecord, TenantStore } from './store';

// What every area's routes share: the tenant's data, authentication, the release and the serialisers.

export interface RestContext {
    store: TenantStore;
    auth: AuthService;
    release: Release;
    caPem: string;
    json: RestJson;
}

/** Route authorities for endpoints a customer user may call (its entity checks follow). */
export const TENANT_OR_CUSTOMER = ['TENANT_ADMIN', 'CUSTOMER_USER'];

/**
 * The device of a path variable: 404 when missing, then the entity permission check (checkEntityId):
 * tbsim assigns no device to a customer, so a customer user gets 403 errorCode 20.
 */
export function deviceOr404(ctx: RestContext, id: string, user: AuthUser | null): DeviceRecord {
    const uuid = uuidParam(id);
    const device = ctx.store.getDevice(uuid);
    if (!device) throw entityNotFound('Device', uuid);
    if (user && user.authority !== 'TENANT_ADMIN') throw permissionDenied();
    return device;
}

/** checkEntity(null, entity, resource): creating needs Operation.CREATE, which a customer user lacks for devices. */
export function checkCreate(user: AuthUser | null): void {
    if (user && user.authority !== 'TENANT_ADMIN') throw permissionDenied();
}
