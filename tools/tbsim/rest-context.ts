import type { AuthService } from './auth';
import { notFound } from './errors';
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

/** The device of a path variable, or 404. */
export function deviceOr404(ctx: RestContext, id: string): DeviceRecord {
    const device = ctx.store.getDevice(uuidParam(id));
    if (!device) throw notFound();
    return device;
}
