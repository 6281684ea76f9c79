import type { IncomingMessage, ServerResponse } from 'http';
import type { AuthService, AuthUser } from './auth';
import { badRequest, ErrorCode, notFound, TbError } from './errors';
import { provisionDevice } from './provision';
import type { Feature, Release } from './release';
import {
    NULL_UUID,
    type AttributeScope,
    type CredentialsRecord,
    type DeviceRecord,
    type NameConflict,
    type ProfileRecord,
    type TenantStore,
} from './store';

// ThingsBoard's REST subset (reference §1, §3.1, §5): exact paths, JSON shapes, status codes and error bodies.

export interface RestDeps {
    store: TenantStore;
    auth: AuthService;
    release: Release;
    caPem: string;
    rateLimit: { next429: number };
    requestLog: Array<{ method: string; path: string; status: number }>;
    log: (line: string) => void;
}

const MAX_BODY = 16 * 1024 * 1024;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

interface Request {
    method: string;
    path: string;
    query: URLSearchParams;
    body: unknown;
    params: string[];
    user: AuthUser | null;
}

type Handler = (req: Request) => unknown;
interface Route {
    method: string;
    pattern: RegExp;
    handler: Handler;
    /** Public routes skip authentication and the tenant rate limit. */
    public?: boolean;
    /** The route exists from the release that has this feature. */
    since?: Feature;
    /** Spring's `params` condition: the mapping matches only when the query satisfies it. */
    when?: (query: URLSearchParams) => boolean;
}

/** A response with a body other than JSON, or an explicit empty body. */
class RawResponse {
    constructor(
        readonly body: string,
        readonly contentType: string,
        readonly headers: Record<string, string> = {},
    ) {}
}

function ref(entityType: string, id: string): { entityType: string; id: string } {
    return { entityType, id };
}

function uuidParam(value: string): string {
    if (!UUID_RE.test(value)) throw new TbError(400, `Invalid UUID string: ${value}`, ErrorCode.BAD_REQUEST_PARAMS);
    return value.toLowerCase();
}

function requiredParam(query: URLSearchParams, name: string, type: 'int' | 'String' | 'long'): string {
    const value = query.get(name);
    if (value === null) {
        throw badRequest(`Required request parameter '${name}' for method parameter type ${type} is not present`);
    }
    return value;
}

function intParam(query: URLSearchParams, name: string): number {
    const raw = requiredParam(query, name, 'int');
    const n = Number(raw);
    if (!Number.isInteger(n)) throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'int'; For input string: "${raw}"`);
    return n;
}

function page<T>(items: T[], query: URLSearchParams, text: (item: T) => string): Record<string, unknown> {
    const pageSize = intParam(query, 'pageSize');
    const pageNo = intParam(query, 'page');
    if (pageSize < 1) throw badRequest('Page size should be greater than 0!');
    if (pageNo < 0) throw badRequest('Page should be greater than or equal to 0!');
    const search = (query.get('textSearch') ?? '').toLowerCase();
    const filtered = search ? items.filter((item) => text(item).toLowerCase().includes(search)) : items;
    const sortProperty = query.get('sortProperty');
    const desc = (query.get('sortOrder') ?? 'ASC').toUpperCase() === 'DESC';
    const sorted = sortProperty
        ? [...filtered].sort((a, b) => {
              const x = (a as Record<string, unknown>)[sortProperty] as string | number;
              const y = (b as Record<string, unknown>)[sortProperty] as string | number;
              const order = x < y ? -1 : x > y ? 1 : 0;
              return desc ? -order : order;
          })
        : filtered;
    const totalElements = sorted.length;
    const totalPages = Math.ceil(totalElements / pageSize);
    const data = sorted.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
    return { data, totalPages, totalElements, hasNext: (pageNo + 1) * pageSize < totalElements };
}

function stringValue(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
}

export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse) => void {
    const { store, auth } = deps;

    const deviceJson = (d: DeviceRecord): Record<string, unknown> => ({
        id: ref('DEVICE', d.id),
        createdTime: d.createdTime,
        tenantId: ref('TENANT', store.tenantId),
        customerId: ref('CUSTOMER', NULL_UUID),
        name: d.name,
        type: d.type,
        label: d.label,
        deviceProfileId: ref('DEVICE_PROFILE', d.deviceProfileId),
        deviceData: { configuration: { type: 'DEFAULT' }, transportConfiguration: { type: 'DEFAULT' } },
        firmwareId: null,
        softwareId: null,
        externalId: null,
        version: d.version,
        additionalInfo: d.additionalInfo,
    });

    const deviceInfoJson = (d: DeviceRecord): Record<string, unknown> => ({
        ...deviceJson(d),
        customerTitle: null,
        customerIsPublic: false,
        deviceProfileName: store.getProfile(d.deviceProfileId)?.name ?? d.type,
        active: false,
    });

    const credentialsJson = (c: CredentialsRecord): Record<string, unknown> => ({
        id: { id: c.id },
        createdTime: c.createdTime,
        deviceId: ref('DEVICE', c.deviceId),
        credentialsType: c.credentialsType,
        credentialsId: c.credentialsId,
        credentialsValue: c.credentialsValue,
        version: c.version,
    });

    const profileJson = (p: ProfileRecord): Record<string, unknown> => ({
        id: ref('DEVICE_PROFILE', p.id),
        createdTime: p.createdTime,
        tenantId: ref('TENANT', store.tenantId),
        name: p.name,
        description: p.description,
        image: null,
        type: 'DEFAULT',
        transportType: 'DEFAULT',
        provisionType: p.provisionType,
        profileData: p.profileData,
        defaultRuleChainId: null,
        defaultDashboardId: null,
        defaultQueueName: null,
        provisionDeviceKey: p.provisionDeviceKey,
        firmwareId: null,
        softwareId: null,
        defaultEdgeRuleChainId: null,
        externalId: null,
        version: p.version,
        default: p.isDefault,
    });

    const profileInfoJson = (p: ProfileRecord): Record<string, unknown> => ({
        id: ref('DEVICE_PROFILE', p.id),
        tenantId: ref('TENANT', store.tenantId),
        name: p.name,
        image: null,
        defaultDashboardId: null,
        type: 'DEFAULT',
        transportType: 'DEFAULT',
    });

    const deviceOr404 = (id: string): DeviceRecord => {
        const device = store.getDevice(uuidParam(id));
        if (!device) throw notFound();
        return device;
    };

    const nameConflict = (query: URLSearchParams): NameConflict => ({
        policy: query.get('nameConflictPolicy') === 'UNIQUIFY' ? 'UNIQUIFY' : 'FAIL',
        separator: query.get('uniquifySeparator') ?? '_',
        strategy: query.get('uniquifyStrategy') === 'INCREMENTAL' ? 'INCREMENTAL' : 'RANDOM',
    });

    const deviceInput = (body: unknown): Parameters<TenantStore['saveDevice']>[0] => {
        if (typeof body !== 'object' || body === null) throw badRequest('Invalid request body');
        const b = body as Record<string, unknown>;
        const id = (b.id as { id?: unknown } | undefined)?.id;
        const profileId = (b.deviceProfileId as { id?: unknown } | undefined)?.id;
        return {
            id: typeof id === 'string' ? uuidParam(id) : undefined,
            name: b.name,
            type: b.type,
            label: b.label,
            deviceProfileId: typeof profileId === 'string' ? uuidParam(profileId) : undefined,
            additionalInfo: b.additionalInfo,
        };
    };

    const findByName = (req: Request): unknown => {
        const name = requiredParam(req.query, 'deviceName', 'String');
        const device = store.findDeviceByName(name);
        if (!device) throw notFound();
        return deviceJson(device);
    };

    const latestTelemetry = (deviceId: string, keys: string[] | null, strict: boolean): Record<string, unknown> => {
        const latest = new Map<string, { ts: number; value: unknown }>();
        for (const entry of store.telemetry(deviceId)) {
            for (const [key, value] of Object.entries(entry.values)) {
                const current = latest.get(key);
                if (!current || entry.ts >= current.ts) latest.set(key, { ts: entry.ts, value });
            }
        }
        const out: Record<string, unknown> = {};
        for (const key of keys ?? [...latest.keys()]) {
            const point = latest.get(key);
            if (point) out[key] = [{ ts: point.ts, value: strict ? point.value : stringValue(point.value) }];
        }
        return out;
    };

    const rangeTelemetry = (deviceId: string, keys: string[] | null, query: URLSearchParams, strict: boolean): Record<string, unknown> => {
        const startTs = Number(query.get('startTs'));
        const endTs = Number(requiredParam(query, 'endTs', 'long'));
        const limit = query.get('limit') ? Number(query.get('limit')) : 100;
        const asc = (query.get('orderBy') ?? 'DESC').toUpperCase() === 'ASC';
        const byKey = new Map<string, Array<{ ts: number; value: unknown }>>();
        for (const entry of store.telemetry(deviceId)) {
            if (entry.ts < startTs || entry.ts >= endTs) continue;
            for (const [key, value] of Object.entries(entry.values)) {
                if (keys && !keys.includes(key)) continue;
                let list = byKey.get(key);
                if (!list) byKey.set(key, (list = []));
                list.push({ ts: entry.ts, value: strict ? value : stringValue(value) });
            }
        }
        const out: Record<string, unknown> = {};
        for (const [key, list] of byKey) {
            list.sort((a, b) => (asc ? a.ts - b.ts : b.ts - a.ts));
            out[key] = list.slice(0, limit);
        }
        return out;
    };

    const attributesOf = (deviceId: string, scopes: AttributeScope[], keys: string[] | null): unknown[] => {
        const out: unknown[] = [];
        for (const scope of scopes) {
            for (const [key, attr] of Object.entries(store.attributes(deviceId, scope))) {
                if (keys && !keys.includes(key)) continue;
                out.push({ lastUpdateTs: attr.lastUpdateTs, key, value: attr.value });
            }
        }
        return out;
    };

    const keysParam = (query: URLSearchParams): string[] | null => {
        const raw = query.get('keys');
        if (raw === null || raw.trim() === '') return null;
        return raw.split(',').map((k) => k.trim()).filter((k) => k !== '');
    };

    const scopeParam = (value: string): AttributeScope => {
        if (value === 'CLIENT_SCOPE' || value === 'SERVER_SCOPE' || value === 'SHARED_SCOPE') return value;
        throw badRequest(`Invalid attribute scope: ${value}`);
    };

    const userJson = (user: AuthUser | null): Record<string, unknown> => ({
        id: ref('USER', store.userId),
        createdTime: 0,
        tenantId: ref('TENANT', store.tenantId),
        customerId: ref('CUSTOMER', NULL_UUID),
        email: user?.email ?? null,
        authority: 'TENANT_ADMIN',
        firstName: null,
        lastName: null,
        phone: null,
        name: user?.email ?? null,
        additionalInfo: {},
    });

    // "Port API improvements from 4.4 to 4.3" (4.3.1.2) dropped the params condition of the page mappings.
    const pageParamsRequired = (): boolean => !deps.release.has('tenantDeviceByNamePath');

    const tenantJson = (): Record<string, unknown> => ({
        id: ref('TENANT', store.tenantId),
        createdTime: 0,
        title: 'Tenant',
        name: 'Tenant',
        region: 'Global',
        tenantProfileId: ref('TENANT_PROFILE', store.tenantProfileId),
        country: null,
        state: null,
        city: null,
        address: null,
        address2: null,
        zip: null,
        phone: null,
        email: null,
        additionalInfo: null,
        version: 1,
    });

    const routes: Route[] = [
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
        {
            method: 'GET',
            pattern: /^\/api\/device-connectivity\/mqtts\/certificate\/download$/,
            public: true,
            handler: () =>
                new RawResponse(deps.caPem, 'application/x-pem-file', { 'Content-Disposition': 'attachment; filename=ca-root.pem' }),
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
        { method: 'GET', pattern: /^\/api\/auth\/user$/, handler: (req) => userJson(req.user) },
        {
            method: 'POST',
            pattern: /^\/api\/device$/,
            handler: (req) => {
                const input = deviceInput(req.body);
                const accessToken = req.query.get('accessToken') ?? undefined;
                return deviceJson(store.saveDevice(input, { accessToken, nameConflict: nameConflict(req.query) }));
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/device-with-credentials$/,
            handler: (req) => {
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
                return deviceJson(device);
            },
        },
        { method: 'GET', pattern: /^\/api\/tenant\/device$/, since: 'tenantDeviceByNamePath', handler: findByName },
        {
            // Spring prefers the mapping with more params conditions: before 4.3.1.2 the page mapping has
            // {"pageSize","page"} and wins over {"deviceName"}; from 4.3.1.2 it has none and loses.
            method: 'GET',
            pattern: /^\/api\/tenant\/devices$/,
            when: (q) => q.has('deviceName') && !(pageParamsRequired() && q.has('pageSize') && q.has('page')),
            handler: findByName,
        },
        {
            method: 'GET',
            pattern: /^\/api\/tenant\/devices$/,
            when: (q) => !pageParamsRequired() || (q.has('pageSize') && q.has('page')),
            handler: (req) => {
                const type = req.query.get('type');
                const devices = store.listDevices().filter((d) => !type || d.type === type);
                return page(devices.map(deviceJson), req.query, (d) => String(d.name));
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/tenant\/deviceInfos$/,
            when: (q) => !pageParamsRequired() || (q.has('pageSize') && q.has('page')),
            handler: (req) => page(store.listDevices().map(deviceInfoJson), req.query, (d) => String(d.name)),
        },
        {
            // TenantController getTenantById; also where /api/tenant/device and parameterless /api/tenant/devices
            // land on releases without those mappings ("Invalid UUID string: device").
            method: 'GET',
            pattern: /^\/api\/tenant\/([^/]+)$/,
            handler: (req) => {
                const id = uuidParam(req.params[0]);
                if (id !== store.tenantId) throw new TbError(404, `Tenant with id [${id}] is not found`, ErrorCode.ITEM_NOT_FOUND);
                return tenantJson();
            },
        },
        { method: 'GET', pattern: /^\/api\/device\/info\/([^/]+)$/, handler: (req) => deviceInfoJson(deviceOr404(req.params[0])) },
        {
            method: 'GET',
            pattern: /^\/api\/device\/([^/]+)\/credentials$/,
            handler: (req) => {
                const device = deviceOr404(req.params[0]);
                const credentials = store.getCredentials(device.id);
                if (!credentials) throw notFound();
                return credentialsJson(credentials);
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/device\/credentials$/,
            handler: (req) => {
                const b = (req.body ?? {}) as Record<string, unknown>;
                if (typeof req.body !== 'object' || req.body === null) throw badRequest('Invalid request body');
                const deviceId = (b.deviceId as { id?: unknown } | undefined)?.id;
                if (typeof deviceId !== 'string') throw badRequest('Incorrect deviceId null');
                const id = (b.id as { id?: unknown } | undefined)?.id;
                const { record } = store.updateCredentials(uuidParam(deviceId), {
                    id: typeof id === 'string' ? uuidParam(id) : undefined,
                    credentialsType: typeof b.credentialsType === 'string' ? b.credentialsType : undefined,
                    credentialsId: typeof b.credentialsId === 'string' ? b.credentialsId : null,
                    credentialsValue: typeof b.credentialsValue === 'string' ? b.credentialsValue : null,
                    version: typeof b.version === 'number' ? b.version : null,
                });
                return credentialsJson(record);
            },
        },
        { method: 'GET', pattern: /^\/api\/device\/([^/]+)$/, handler: (req) => deviceJson(deviceOr404(req.params[0])) },
        {
            method: 'DELETE',
            pattern: /^\/api\/device\/([^/]+)$/,
            handler: (req) => {
                store.deleteDevice(deviceOr404(req.params[0]).id);
                return new RawResponse('', '');
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/deviceProfile$/,
            handler: (req) => {
                if (typeof req.body !== 'object' || req.body === null) throw badRequest('Invalid request body');
                const b = req.body as Record<string, unknown>;
                const id = (b.id as { id?: unknown } | undefined)?.id;
                const profileData = b.profileData as Record<string, unknown> | undefined;
                const provisionConfiguration = profileData?.provisionConfiguration as Record<string, unknown> | undefined;
                return profileJson(
                    store.createProfile({
                        id: typeof id === 'string' ? uuidParam(id) : undefined,
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
            handler: (req) => page(store.listProfiles().map(profileJson), req.query, (p) => String(p.name)),
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfileInfos$/,
            handler: (req) => page(store.listProfiles().map(profileInfoJson), req.query, (p) => String(p.name)),
        },
        { method: 'GET', pattern: /^\/api\/deviceProfileInfo\/default$/, handler: () => profileInfoJson(store.defaultProfile()) },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfileInfo\/([^/]+)$/,
            handler: (req) => {
                const profile = store.getProfile(uuidParam(req.params[0]));
                if (!profile) throw notFound();
                return profileInfoJson(profile);
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/deviceProfile\/([^/]+)$/,
            handler: (req) => {
                const profile = store.getProfile(uuidParam(req.params[0]));
                if (!profile) throw notFound();
                return profileJson(profile);
            },
        },
        {
            method: 'DELETE',
            pattern: /^\/api\/deviceProfile\/([^/]+)$/,
            handler: (req) => {
                store.deleteProfile(uuidParam(req.params[0]));
                return new RawResponse('', '');
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/timeseries$/,
            handler: (req) => {
                const device = deviceOr404(req.params[0]);
                const strict = req.query.get('useStrictDataTypes') === 'true';
                const keys = keysParam(req.query);
                return req.query.has('startTs')
                    ? rangeTelemetry(device.id, keys, req.query, strict)
                    : latestTelemetry(device.id, keys, strict);
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/keys\/timeseries$/,
            handler: (req) => {
                const device = deviceOr404(req.params[0]);
                const keys = new Set<string>();
                for (const entry of store.telemetry(device.id)) for (const key of Object.keys(entry.values)) keys.add(key);
                return [...keys];
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/attributes(?:\/([^/]+))?$/,
            handler: (req) => {
                const device = deviceOr404(req.params[0]);
                const scopes: AttributeScope[] = req.params[1]
                    ? [scopeParam(req.params[1])]
                    : ['CLIENT_SCOPE', 'SHARED_SCOPE', 'SERVER_SCOPE'];
                return attributesOf(device.id, scopes, keysParam(req.query));
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/plugins\/telemetry\/(?:DEVICE\/)?([^/]+)\/(?:attributes\/)?(SERVER_SCOPE|SHARED_SCOPE)$/,
            handler: (req) => {
                const device = deviceOr404(req.params[0]);
                if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
                    throw badRequest('Invalid request body');
                }
                store.setAttributes(device.id, scopeParam(req.params[1]), req.body as Record<string, unknown>);
                return new RawResponse('', '');
            },
        },
    ];

    const send = (res: ServerResponse, status: number, body: unknown): void => {
        if (body instanceof RawResponse) {
            const headers: Record<string, string> = { ...body.headers };
            if (body.contentType) headers['Content-Type'] = body.contentType;
            res.writeHead(status, headers);
            res.end(body.body);
            return;
        }
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
    };

    const dispatch = (method: string, path: string, query: URLSearchParams, headers: IncomingMessage['headers'], rawBody: Buffer): { status: number; body: unknown } => {
        const candidates = routes.filter(
            (r) => r.pattern.test(path) && (!r.since || deps.release.has(r.since)) && (!r.when || r.when(query)),
        );
        if (candidates.length === 0) {
            if (path.startsWith('/api/') && !path.startsWith('/api/noauth/')) auth.authenticate(headers);
            return { status: 404, body: { timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path } };
        }
        const route = candidates.find((r) => r.method === method);
        if (!route) {
            if (/^\/api\/auth\/login$/.test(path)) throw new TbError(401, 'Authentication method not supported', ErrorCode.AUTHENTICATION);
            if (!candidates[0].public) auth.authenticate(headers);
            return {
                status: 405,
                body: new TbError(405, `Request method '${method}' is not supported`, ErrorCode.GENERAL).body(),
            };
        }
        let user: AuthUser | null = null;
        if (!route.public) {
            user = auth.authenticate(headers);
            if (deps.rateLimit.next429 > 0) {
                deps.rateLimit.next429--;
                throw new TbError(429, 'Too many requests for current tenant!', ErrorCode.TOO_MANY_REQUESTS);
            }
        }
        let body: unknown = undefined;
        if (rawBody.length > 0) {
            try {
                body = JSON.parse(rawBody.toString('utf8'));
            } catch {
                // The login filter reports an unreadable body as a generic authentication failure.
                if (route.public && path === '/api/auth/login') throw new TbError(401, 'Authentication failed', ErrorCode.AUTHENTICATION);
                throw badRequest('Invalid request body');
            }
        }
        const params = (route.pattern.exec(path) ?? []).slice(1);
        const result = route.handler({ method, path, query, body, params, user });
        return { status: 200, body: result };
    };

    return (req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        req.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) tooLarge = true;
            else chunks.push(chunk);
        });
        req.on('end', () => {
            const url = new URL(req.url ?? '/', 'http://tbsim');
            const method = (req.method ?? 'GET').toUpperCase();
            let status: number;
            let body: unknown;
            try {
                if (tooLarge) throw new TbError(413, 'Payload Too Large', ErrorCode.BAD_REQUEST_PARAMS);
                ({ status, body } = dispatch(method, url.pathname, url.searchParams, req.headers, Buffer.concat(chunks)));
            } catch (err) {
                const error =
                    err instanceof TbError ? err : new TbError(500, 'Internal server error', ErrorCode.GENERAL);
                if (!(err instanceof TbError)) deps.log(`REST ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`);
                status = error.status;
                body = error.body();
            }
            deps.requestLog.push({ method, path: url.pathname, status });
            send(res, status, body);
        });
    };
}
