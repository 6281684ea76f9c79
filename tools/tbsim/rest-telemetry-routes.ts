import type { DeviceActors } from './device-actors';
import { ErrorCode, TbError } from './errors';
import { convertValues } from './payloads';
import { compareReleases } from './release';
import { deviceOr404, type RestContext } from './rest-context';
import { keysParam, requiredParam, scopeParam, uuidParam } from './rest-params';
import { emptyOk, RawResponse, type Route } from './rest-router';
import type { AttributeScope, TenantStore } from './store';

// TelemetryController: latest and ranged timeseries, timeseries keys, attributes read and write.

/** Values are strings unless useStrictDataTypes=true. */
function stringValue(value: unknown): string {
    if (typeof value === 'string') return value;
    return JSON.stringify(value); // objects as JSON; numbers and booleans print the same either way
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
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0]);
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
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0]);
                const keys = new Set<string>();
                for (const entry of store.telemetry(device.id)) for (const key of Object.keys(entry.values)) keys.add(key);
                return [...keys];
            },
        },
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/attributes(?:\/([^/]+))?$/,
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0]);
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
            handler: (req) => {
                const deviceId = uuidParam(req.params[0]);
                if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return text(400, 'Request is not a JSON object');
                const values = savedAttributeValues(ctx, req.body as Record<string, unknown>);
                if (Object.keys(values).length === 0) return text(400, 'No attributes data found in request body!');
                if (!store.getDevice(deviceId)) return deviceNotFound();
                const scope = scopeParam(req.params[1]);
                store.setAttributes(deviceId, scope, values);
                if (scope === 'SHARED_SCOPE') actors.sharedAttributesUpdated(deviceId, values);
                return emptyOk();
            },
        },
        {
            // deleteDeviceAttributes / deleteEntityAttributes: ?keys=a,b; deleted SHARED_SCOPE keys are pushed as "deleted"
            method: 'DELETE',
            pattern: /^\/api\/plugins\/telemetry\/(?:DEVICE\/)?([^/]+)\/(SERVER_SCOPE|SHARED_SCOPE|CLIENT_SCOPE)$/,
            handler: (req) => {
                const deviceId = uuidParam(req.params[0]);
                const keys = deleteKeys(ctx, req.query);
                if (keys instanceof RawResponse) return keys;
                if (!store.getDevice(deviceId)) return deviceNotFound();
                const scope = scopeParam(req.params[1]);
                store.deleteAttributes(deviceId, scope, keys);
                if (scope === 'SHARED_SCOPE') actors.sharedAttributesDeleted(deviceId, keys);
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

/** AccessValidator: EntityNotFoundException.toErrorResponseEntity. */
function deviceNotFound(): RawResponse {
    return text(404, "Device with requested id wasn't found!");
}
