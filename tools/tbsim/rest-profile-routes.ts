import { badRequest, entityNotFound } from './errors';
import { TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { objectBody, page, refId, uuidParam } from './rest-params';
import { emptyOk, type Route } from './rest-router';
import type { ProfileRecord } from './store';

// DeviceProfileController: create/update, read, list, default profile info, delete.

export function profileRoutes(ctx: RestContext): Route[] {
    const { store, json } = ctx;

    /** checkDeviceProfileId */
    const profileOr404 = (id: string): ProfileRecord => {
        const uuid = uuidParam(id);
        const profile = store.getProfile(uuid);
        if (!profile) throw entityNotFound('Device profile', uuid);
        return profile;
    };

    return [
        {
            method: 'POST',
            pattern: /^\/api\/deviceProfile$/,
            handler: (req) => {
                const b = objectBody(req.body);
                const id = refId(b.id);
                if (id) profileOr404(id);
                // DeviceProfileDataValidator.validateDataImpl, in its order: name, then type and transport type
                // (nulls in the JSON; the store checks the name).
                if (typeof b.name === 'string' && b.name.trim() !== '') {
                    if (b.type === undefined || b.type === null) throw badRequest('Device profile type should be specified!');
                    if (b.transportType === undefined || b.transportType === null) throw badRequest('Device profile transport type should be specified!');
                }
                const profileData = b.profileData as Record<string, unknown> | undefined;
                const provisionConfiguration = profileData?.provisionConfiguration as Record<string, unknown> | undefined;
                return json.profile(
                    store.createProfile({
                        id,
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
                store.deleteProfile(profileOr404(req.params[0]).id);
                return emptyOk();
            },
        },
    ];
}
