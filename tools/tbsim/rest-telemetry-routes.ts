import { badRequest } from './errors';
import { deviceOr404, TENANT_OR_CUSTOMER, type RestContext } from './rest-context';
import { keysParam, requiredParam, scopeParam } from './rest-params';
import { emptyOk, type Route } from './rest-router';
import type { AttributeScope, TenantStore } from './store';

// TelemetryController: latest and ranged timeseries, timeseries keys, attributes read and write.

/** Values are strings unless useStrictDataTypes=true. */
function stringValue(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
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

export function telemetryRoutes(ctx: RestContext): Route[] {
    const { store } = ctx;
    return [
        {
            method: 'GET',
            pattern: /^\/api\/plugins\/telemetry\/DEVICE\/([^/]+)\/values\/timeseries$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0], req.user);
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
                const device = deviceOr404(ctx, req.params[0], req.user);
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
                const device = deviceOr404(ctx, req.params[0], req.user);
                const scopes: AttributeScope[] = req.params[1]
                    ? [scopeParam(req.params[1])]
                    : ['CLIENT_SCOPE', 'SHARED_SCOPE', 'SERVER_SCOPE'];
                return attributesOf(store, device.id, scopes, keysParam(req.query));
            },
        },
        {
            method: 'POST',
            pattern: /^\/api\/plugins\/telemetry\/(?:DEVICE\/)?([^/]+)\/(?:attributes\/)?(SERVER_SCOPE|SHARED_SCOPE)$/,
            authorities: TENANT_OR_CUSTOMER,
            handler: (req) => {
                const device = deviceOr404(ctx, req.params[0], req.user);
                if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
                    throw badRequest('Invalid request body');
                }
                store.setAttributes(device.id, scopeParam(req.params[1]), req.body as Record<string, unknown>);
                return emptyOk();
            },
        },
    ];
}
