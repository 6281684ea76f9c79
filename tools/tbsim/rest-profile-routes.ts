import { notFound } from './errors';
import { TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { objectBody, page, refId, uuidParam } from './rest-params';
import { emptyOk, type Route } from './rest-router';
import type { ProfileRecord } from './store';

// DeviceProfileController: create/update, read, list, default profile info, delete.

export function profileRoutes(ctx: RestContext): Route[] {
    const { store, json } = ctx;

    const profileOr404 = (id: string): ProfileRecord => {
        const profile = store.getProfile(uuidParam(id));
        if (!profile) throw notFound();
        return profile;
    };

    return [
        {
            method: 'POST',
            pattern: /^\/api\/deviceProfile$/,
            handler: (req) => {
                const b = objectBody(req.body);
                const profileData = b.profileData as Record<string, unknown> | undefined;
                const provisionConfiguration = profileData?.provisionConfiguration as Record<string, unknown> | undefined;
                return json.profile(
                    store.createProfile({
                        id: refId(b.id),
                        name: b.name,
                        description: b.description,
                        isDefault: typeof b.default === 'boolean' ? b.default : undefined,
                        provisionType: b.provisionType ?? provisionConfiguration?.type,
                        provisionDeviceKey: b.provisionDeviceKey,
                        provisionDeviceSecret: provisionConfiguration?.provisionDeviceSecret,
                        profileData,
                    }),
                );
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfiles$/,
            handler: (req) => page(store.listProfiles().map((p) => json.profile(p)), req.query, (p) => String(p.name)),
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfileInfos$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => page(store.listProfiles().map((p) => json.profileInfo(p)), req.query, (p) => String(p.name)),
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfileInfo\/default$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: () => json.profileInfo(store.ensureDefaultProfile()),
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfileInfo\/([^/]+)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => json.profileInfo(profileOr404(req.params[0])),
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfile\/([^/]+)$/,
            handler: (req) => json.profile(profileOr404(req.params[0])),
        },
        {
            method: 'DELETE',
            pattern: /^\/api\/deviceProfile\/([^/]+)$/,
            handler: (req) => {
                store.deleteProfile(uuidParam(req.params[0]));
                return emptyOk();
            },
        },
    ];
}
