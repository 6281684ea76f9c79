import type { DeviceActors, RpcOutcome } from './device-actors';
import { badRequest, ErrorCode, TbError } from './errors';
import type { RestContext } from './rest-context';
import { uuidParam } from './rest-params';
import { RawResponse, type RestRequest, type Route } from './rest-router';

// Server-side RPC over REST (RpcV2Controller /api/rpc, RpcV1Controller /api/plugins/rpc, AbstractRpcController).
// The request waits for the device: its reply as JSON (200), 200 empty for one-way once sent, {"rpcId"} for a
// persistent RPC; a timeout and "no active connection" are bare statuses — V2 answers both 504, V1 408 and 409.
// A device that has no RPC subscriber is not refused at once: the request waits, is sent to a session that subscribes
// in time, and ends as "no active connection" at its expiration time.

const AUTHORITIES = ['SYS_ADMIN', 'TENANT_ADMIN', 'CUSTOMER_USER'];

/** The statuses a controller version gives TIMEOUT and NO_ACTIVE_CONNECTION. */
const CONTROLLERS = [
    { prefix: '/api/rpc', timeout: 504, noActiveConnection: 504 },
    { prefix: '/api/plugins/rpc', timeout: 408, noActiveConnection: 409 },
];

/** Jackson's asLong / asBoolean: numbers and numeric or boolean text convert, anything else is 0 / false. */
function asLong(value: unknown): number {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : typeof value === 'boolean' ? Number(value) : NaN;
    return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function asBoolean(value: unknown): boolean {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

function status(code: number): RawResponse {
    return new RawResponse('', '', {}, code);
}

/** AbstractRpcController.reply */
function reply(outcome: RpcOutcome, statuses: { timeout: number; noActiveConnection: number }): RawResponse {
    if ('error' in outcome) return status(outcome.error === 'NO_ACTIVE_CONNECTION' ? statuses.noActiveConnection : statuses.timeout);
    const text = outcome.response;
    if (text === undefined || text === '') return status(200);
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return status(406); // "Failed to decode device response"
    }
    return new RawResponse(JSON.stringify(parsed), 'application/json');
}

/** What the RPC routes need beyond the RestContext. */
export interface RpcDeps {
    actors: DeviceActors;
    /** server.rest.server_side_rpc.min_timeout / default_timeout (ms) */
    serverSideRpc: { minTimeoutMs: number; defaultTimeoutMs: number };
}

function handle(
    ctx: RestContext,
    rpc: RpcDeps,
    req: RestRequest,
    oneway: boolean,
    statuses: { timeout: number; noActiveConnection: number },
): unknown {
    const deviceId = uuidParam(req.params[0]);
    const body = req.body;
    if (body === undefined) throw badRequest('Invalid request body');
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (!('method' in fields) || fields.method === null) {
        // rpcRequestBody.get("method").asText() on a missing field: a NullPointerException, reported as a 500
        throw new TbError(
            500,
            'Cannot invoke "com.fasterxml.jackson.databind.JsonNode.asText()" because the return value of "com.fasterxml.jackson.databind.JsonNode.get(String)" is null',
            ErrorCode.GENERAL,
        );
    }
    // JsonNode.asText: a container node's text is ""
    const m = fields.method;
    const method = typeof m === 'string' ? m : typeof m === 'number' || typeof m === 'boolean' ? String(m) : '';
    const { minTimeoutMs, defaultTimeoutMs } = rpc.serverSideRpc;
    const timeout = 'timeout' in fields ? asLong(fields.timeout) : defaultTimeoutMs;
    const expirationTime = 'expirationTime' in fields ? asLong(fields.expirationTime) : Date.now() + Math.max(minTimeoutMs, timeout);
    // the body's params as JSON text (JacksonUtil.toString); absent params reach the device as null
    const params = 'params' in fields ? JSON.stringify(fields.params) : 'null';
    const persistent = 'persistent' in fields && asBoolean(fields.persistent);
    if (!ctx.store.getDevice(deviceId)) {
        // AccessValidator: EntityNotFoundException.toErrorResponseEntity, a plain-text body
        return new RawResponse("Device with requested id wasn't found!", 'text/plain;charset=UTF-8', {}, 404);
    }
    return rpc.actors.toDeviceRpc(deviceId, { method, params, oneway, persistent, expirationTime }).then((outcome) => reply(outcome, statuses));
}

export function rpcRoutes(ctx: RestContext, rpc: RpcDeps): Route[] {
    return CONTROLLERS.flatMap((c) => [
        {
            method: 'POST',
            pattern: new RegExp(`^${c.prefix}/oneway/([^/]+)$`),
            authorities: AUTHORITIES,
            handler: (req: RestRequest) => handle(ctx, rpc, req, true, c),
        },
        {
            method: 'POST',
            pattern: new RegExp(`^${c.prefix}/twoway/([^/]+)$`),
            authorities: AUTHORITIES,
            handler: (req: RestRequest) => handle(ctx, rpc, req, false, c),
        },
    ]);
}
