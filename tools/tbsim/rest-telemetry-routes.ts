import type { AuthUser } from './auth';
import type { DeviceActors } from './device-actors';
import { ErrorCode, TbError } from './errors';
import { convertValues } from './payloads';
import { compareReleases } from './release';
import { TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { keysParam, requiredParam, scopeParam, uuidParam } from './rest-params';
import { emptyOk, RawResponse, type Route } from './rest-router';
import type { AttributeScope, DeviceRecord, TenantStore } from './store';

// TelemetryController: latest and ranged timeseries, timeseries keys, attributes read and write.

/**
 * AccessValidator.validateDevice: its failures are ToErrorResponseEntity exceptions, answered with the
 * message as a plain-text body (EntityNotFoundException 404, AccessDeniedException 403), not the JSON error.
 */
function validateDevice(ctx: RestContext, id: string, user: AuthUser | null): DeviceRecord | RawResponse {
    const device = ctx.store.getDevice(uuidParam(id));
    if (!device) return new RawResponse("Device with requested id wasn't found!", 'text/plain;charset=UTF-8', {}, 404);
    if (user && user.authority !== 'TENANT_ADMIN') {
        // tbsim assigns no device to a customer
        return new RawResponse("You don't have permission to perform this operation!", 'text/plain;charset=UTF-8', {}, 403);
    }
    return device;
}

/** Values are strings unless useStrictDataTypes=true. */
function stringValue(value: unknown): string {
    if (typeof value === 'string') return value;
    // numbers and booleans print as JSON prints them; objects and arrays are JSON values
    return JSON.stringify(value) ?? 'undefined';
}

function latestTelemetry(store: TenantStore, deviceId: string, keys: string[] | null, strict: boolean): Record<string, unknown> {
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
}

function rangeTelemetry(
    store: TenantStore,
    deviceId: string,
    keys: string[] | null,
    query: URLSearchParams,
    strict: boolean,
): Record<string, unknown> {
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
}

function attributesOf(store: TenantStore, deviceId: string, scopes: AttributeScope[], keys: string[] | null): unknown[] {
    const out: unknown[] = [];
    for (const scope of scopes) {
        for (const [key, attr] of Object.entries(store.attributes(deviceId, scope))) {
            if (keys && !keys.includes(key)) continue;
            out.push({ lastUpdateTs: attr.lastUpdateTs, key, value: attr.value });
        }
    }
    return out;
}

/** `actors` hears of a device's saved and deleted SHARED_SCOPE attributes (pushes to its subscribers). */
export function telemetryRoutes(ctx: RestContext, actors: DeviceActors): Route[] {
    const { store } = ctx;
    return [
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/timeseries$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = validateDevice(ctx, req.params[0], req.user);
                if (device instanceof RawResponse) return device;
                const strict = req.query.get('useStrictDataTypes') === 'true';
                const keys = keysParam(req.query);
                return req.query.has('startTs')
                    ? rangeTelemetry(store, device.id, keys, req.query, strict)
                    : latestTelemetry(store, device.id, keys, strict);
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/keys\/timeseries$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = validateDevice(ctx, req.params[0], req.user);
                if (device instanceof RawResponse) return device;
                const keys = new Set<string>();
                for (const entry of store.telemetry(device.id)) for (const key of Object.keys(entry.values)) keys.add(key);
                return [...keys];
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/attributes(?:\/([^/]+))?$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = validateDevice(ctx, req.params[0], req.user);
                if (device instanceof RawResponse) return device;
                const scopes: AttributeScope[] = req.params[1]
                    ? [scopeParam(req.params[1])]
                    : ['CLIENT_SCOPE', 'SHARED_SCOPE', 'SERVER_SCOPE'];
                return attributesOf(store, device.id, scopes, keysParam(req.query));
            },
        },
        {
            // saveDeviceAttributes, saveEntityAttributesV1 and V2; a device's SHARED_SCOPE values go to its subscribers
            method: 'POST',
            pattern: /^\/api\/plugins\/telemetry\/(?:DEVICE\/)?([^/]+)\/(?:attributes\/)?(SERVER_SCOPE|SHARED_SCOPE)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = validateDevice(ctx, req.params[0], req.user);
                if (device instanceof RawResponse) return device;
                if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return text(400, 'Request is not a JSON object');
                const values = savedAttributeValues(ctx, req.body as Record<string, unknown>);
                if (Object.keys(values).length === 0) return text(400, 'No attributes data found in request body!');
                const scope = scopeParam(req.params[1]);
                store.setAttributes(device.id, scope, values);
                if (scope === 'SHARED_SCOPE') actors.sharedAttributesUpdated(device.id, values);
                return emptyOk();
            },
        },
        {
            // deleteDeviceAttributes / deleteEntityAttributes: ?keys=a,b; deleted SHARED_SCOPE keys are pushed as "deleted"
            method: 'DELETE',
            pattern: /^\/api\/plugins\/telemetry\/(?:DEVICE\/)?([^/]+)\/(SERVER_SCOPE|SHARED_SCOPE|CLIENT_SCOPE)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const keys = deleteKeys(ctx, req.query);
                if (keys instanceof RawResponse) return keys;
                const device = validateDevice(ctx, req.params[0], req.user);
                if (device instanceof RawResponse) return device;
                const scope = scopeParam(req.params[1]);
                store.deleteAttributes(device.id, scope, keys);
                if (scope === 'SHARED_SCOPE') actors.sharedAttributesDeleted(device.id, keys);
                return emptyOk();
            },
        },
    ];
}

/**
 * The keys of a DELETE (toKeysList: split on "," as given). From 4.3 "keys" is optional and repeated "key" parameters
 * win, none at all is 400 "Empty keys: []"; before, "keys" is required and an empty one dies on a null list (500).
 */
function deleteKeys(ctx: RestContext, query: URLSearchParams): string[] | RawResponse {
    if (compareReleases(ctx.release.version, '4.3') >= 0) {
        const repeated = query.getAll('key');
        const raw = query.get('keys') ?? '';
        const keys = repeated.length > 0 ? repeated : raw === '' ? [] : raw.split(',');
        return keys.length > 0 ? keys : text(400, `Empty keys: [${keys.join(', ')}]`);
    }
    const raw = requiredParam(query, 'keys', 'String');
    if (raw === '') throw new TbError(500, 'Cannot invoke "java.util.List.isEmpty()" because "keys" is null', ErrorCode.GENERAL);
    return raw.split(',');
}

/**
 * The values a REST attribute save stores (and pushes). Since 4.2 JsonConverter.convertToAttributes reads them, with
 * transport.json.type_cast_enabled: numeric strings become numbers ("2.0" → 2.0) and a null fails the request
 * (JsonSyntaxException, 500). Before, the controller's own extractRequestAttributes kept strings and skipped nulls.
 */
function savedAttributeValues(ctx: RestContext, body: Record<string, unknown>): Record<string, unknown> {
    if (compareReleases(ctx.release.version, '4.2') >= 0) {
        if (Object.values(body).some((v) => v === null)) throw new TbError(500, "Can't parse value: null", ErrorCode.GENERAL);
        return convertValues(body);
    }
    return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
}

/** getImmediateDeferredResult(message, status): a plain-text body. */
function text(status: number, message: string): RawResponse {
    return new RawResponse(message, 'text/plain;charset=UTF-8', {}, status);
}
