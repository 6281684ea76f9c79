import { ErrorCode, TbError } from './errors';
import { TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { uuidParam } from './rest-params';
import type { Route } from './rest-router';

// AuthController, the login and refresh filters, and TenantController's getTenantById.

export function authRoutes(ctx: RestContext): Route[] {
    const { auth, json, store } = ctx;
    return [
        {
            method: 'POST',
            pattern: /^\/api\/auth\/login$/,
            public: true,
            handler: (req) => auth.login(req.body),
        },
        {
            method: 'POST',
            pattern: /^\/api\/auth\/token$/,
            public: true,
            handler: (req) => auth.refresh(req.body),
        },
        { method: 'GET', pattern: /^\/api\/auth\/user$/, authorities: TENANT_OR_CUSTOMER, handler: (req) => json.user(req.user) },
        {
            // Also where /api/tenant/device and parameterless /api/tenant/devices land on releases without
            // those mappings ("Invalid UUID string: device").
            method: 'GET',
            pattern: /^\/api\/tenant\/([^/]+)$/,
            handler: (req) => {
                const id = uuidParam(req.params[0]);
                if (id !== store.tenantId) throw new TbError(404, `Tenant with id [${id}] is not found`, ErrorCode.ITEM_NOT_FOUND);
                return json.tenant();
            },
        },
    ];
}
