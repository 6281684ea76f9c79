import { badRequest, ErrorCode, notFound, TbError } from './errors';
import { provisionDevice } from './provision';
import { checkCreate, deviceOr404, TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { objectBody, page, refId, requiredParam } from './rest-params';
import { emptyOk, RawResponse, type RestRequest, type Route } from './rest-router';
import type { DeviceInput, NameConflict } from './store';

// DeviceController (create, look up, list, delete), the device HTTP provisioning API and the
// public MQTTS CA download.

function nameConflict(query: URLSearchParams): NameConflict {
    return {
        policy: query.get('nameConflictPolicy') === 'UNIQUIFY' ? 'UNIQUIFY' : 'FAIL',
        separator: query.get('uniquifySeparator') ?? '_',
        strategy: query.get('uniquifyStrategy') === 'INCREMENTAL' ? 'INCREMENTAL' : 'RANDOM',
    };
}

function deviceInput(body: unknown): DeviceInput {
    const b = objectBody(body);
    return {
        id: refId(b.id),
        name: b.name,
        type: b.type,
        label: b.label,
        deviceProfileId: refId(b.deviceProfileId),
        additionalInfo: b.additionalInfo,
    };
}

export function deviceRoutes(ctx: RestContext): Route[] {
    const { store, json, release } = ctx;

    const findByName = (req: RestRequest): unknown => {
        const name = requiredParam(req.query, 'deviceName', 'String');
        const device = store.findDeviceByName(name);
        if (!device) throw notFound();
        return json.device(device);
    };

    // "Port API improvements from 4.4 to 4.3" (4.3.1.2) dropped the params condition of the page mappings.
    const pageParamsRequired = !release.has('tenantDeviceByNamePath');
    const pageParamsPresent = (q: URLSearchParams): boolean => q.has('pageSize') && q.has('page');

    return [
        {
            method: 'GET',
            pattern: /^\/api\/device-connectivity\/mqtts\/certificate\/download$/,
            public: true,
            handler: () =>
                new RawResponse(ctx.caPem, 'application/x-pem-file', { 'Content-Disposition': 'attachment; filename=ca-root.pem' }),
        },
        {
            // Device HTTP API equivalent of the MQTT provisioning request.
            method: 'POST',
            pattern: /^\/api\/v1\/provision$/,
            public: true,
            handler: (req) => {
                const outcome = provisionDevice(store, req.body);
                if (outcome.kind === 'error') throw new TbError(500, 'Failed to process provision request', ErrorCode.GENERAL);
                return outcome.body;
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/device$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                checkCreate(req.user);
                const input = deviceInput(req.body);
                const accessToken = req.query.get('accessToken') ?? undefined;
                return json.device(store.saveDevice(input, { accessToken, nameConflict: nameConflict(req.query) }));
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/device-with-credentials$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                checkCreate(req.user);
                const body = (req.body ?? {}) as { device?: unknown; credentials?: unknown };
                if (!body.device || typeof body.credentials !== 'object' || body.credentials === null) {
                    throw badRequest('Invalid request body');
                }
                const c = body.credentials as Record<string, unknown>;
                const device = store.saveDeviceWithCredentials(
                    deviceInput(body.device),
                    {
                        credentialsType: typeof c.credentialsType === 'string' ? c.credentialsType : undefined,
                        credentialsId: typeof c.credentialsId === 'string' ? c.credentialsId : null,
                        credentialsValue: typeof c.credentialsValue === 'string' ? c.credentialsValue : null,
                    },
                    { nameConflict: nameConflict(req.query) },
                );
                return json.device(device);
            },
        },
        { method: 'GET', pattern: /^\/api\/tenant\/device$/, since: 'tenantDeviceByNamePath', handler: findByName },
        {
            // Spring prefers the mapping with more params conditions: before 4.3.1.2 the page mapping has
            // {"pageSize","page"} and wins over {"deviceName"}; from 4.3.1.2 it has none and loses.
            method: 'GET',
            pattern: /^\/api\/tenant\/devices$/,
            when: (q) => q.has('deviceName') && !(pageParamsRequired && pageParamsPresent(q)),
            handler: findByName,
        },
        {
            method: 'GET',
            pattern: /^\/api\/tenant\/devices$/,
            when: (q) => !pageParamsRequired || pageParamsPresent(q),
            handler: (req) => {
                const type = req.query.get('type');
                const devices = store.listDevices().filter((d) => !type || d.type === type);
                return page(devices.map((d) => json.device(d)), req.query, (d) => String(d.name));
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/tenant\/deviceInfos$/,
            when: (q) => !pageParamsRequired || pageParamsPresent(q),
            handler: (req) => page(store.listDevices().map((d) => json.deviceInfo(d)), req.query, (d) => String(d.name)),
        },
        {
            method: 'GET',
            pattern: /^\/api\/device\/info\/([^/]+)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => json.deviceInfo(deviceOr404(ctx, req.params[0], req.user)),
        },
        {
            method: 'GET',
            pattern: /^\/api\/device\/([^/]+)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => json.device(deviceOr404(ctx, req.params[0], req.user)),
        },
        {
            method: 'DELETE',
            pattern: /^\/api\/device\/([^/]+)$/,
            handler: (req) => {
                store.deleteDevice(deviceOr404(ctx, req.params[0], req.user).id);
                return emptyOk();
            },
        },
    ];
}
