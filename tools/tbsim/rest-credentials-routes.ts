import { badRequest, notFound } from './errors';
import { deviceOr404, TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { objectBody, refId, uuidParam } from './rest-params';
import type { Route } from './rest-router';

// DeviceController's credentials endpoints: read a device's single credentials row, update it.

function optionalText(value: unknown): string | null {
    return typeof value === 'string' ? value : null;
}

export function credentialsRoutes(ctx: RestContext): Route[] {
    const { store, json } = ctx;
    return [
        {
            method: 'GET',
            pattern: /^\/api\/device\/([^/]+)\/credentials$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0], req.user);
                const credentials = store.getCredentials(device.id);
                if (!credentials) throw notFound();
                return json.credentials(credentials);
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/device\/credentials$/,
            handler: (req) => {
                const b = objectBody(req.body);
                const deviceId = (b.deviceId as { id?: unknown } | undefined)?.id;
                if (typeof deviceId !== 'string') throw badRequest('Incorrect deviceId null');
                const { record } = store.updateCredentials(uuidParam(deviceId), {
                    id: refId(b.id),
                    credentialsType: typeof b.credentialsType === 'string' ? b.credentialsType : undefined,
                    credentialsId: optionalText(b.credentialsId),
                    credentialsValue: optionalText(b.credentialsValue),
                    version: typeof b.version === 'number' ? b.version : null,
                });
                return json.credentials(record);
            },
        },
    ];
}
