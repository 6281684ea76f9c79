import type { IncomingMessage, ServerResponse } from 'http';
import type { AuthService, AuthUser } from './auth';
import { badRequest, ErrorCode, permissionDenied, TbError } from './errors';
import type { Release } from './release';
import { authRoutes } from './rest-auth-routes';
import type { DeviceActors } from './device-actors';
import type { RestContext } from './rest-context';
import { credentialsRoutes } from './rest-credentials-routes';
import { deviceRoutes } from './rest-device-routes';
import { RestJson } from './rest-json';
import { profileRoutes } from './rest-profile-routes';
import { RawResponse, Router } from './rest-router';
import { rpcRoutes } from './rest-rpc-routes';
import { telemetryRoutes } from './rest-telemetry-routes';
import type { TenantStore } from './store';

// ThingsBoard's REST subset (reference §1, §3.1, §5): exact paths, JSON shapes, status codes and error bodies.
// This file is the HTTP side: body, authentication, rate limit, dispatch, error bodies. The routes live per area.

export interface RestDeps {
    store: TenantStore;
    auth: AuthService;
    release: Release;
    caPem: string;
    rateLimit: { next429: number };
    requestLog: Array<{ method: string; path: string; status: number }>;
    log: (line: string) => void;
    /** device actors: server-side RPC and shared-attribute pushes */
    actors: DeviceActors;
    /** server.rest.server_side_rpc.min_timeout / default_timeout */
    serverSideRpc: { minTimeoutMs: number; defaultTimeoutMs: number };
}

const MAX_BODY = 16 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
    if (body instanceof RawResponse) {
        const headers: Record<string, string> = { ...body.headers };
        if (body.contentType) headers['Content-Type'] = body.contentType;
        res.writeHead(status, headers);
        res.end(body.body);
        return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
}

export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse) => void {
    const { auth } = deps;
    const ctx: RestContext = { store: deps.store, auth, release: deps.release, caPem: deps.caPem, json: new RestJson(deps.store, deps.release) };
    // Order matters where two mappings share a path and method: the literal ones (/api/tenant/devices)
    // must come before the path-variable one (/api/tenant/{tenantId}) in authRoutes, as Spring prefers them.
    const router = new Router(
        [...deviceRoutes(ctx), ...credentialsRoutes(ctx), ...profileRoutes(ctx), ...telemetryRoutes(ctx, deps.actors), ...rpcRoutes(ctx, deps), ...authRoutes(ctx)],
        deps.release,
    );

    const dispatch = (
        method: string,
        path: string,
        query: URLSearchParams,
        headers: IncomingMessage['headers'],
        rawBody: Buffer,
    ): { status: number; body: unknown } => {
        const match = router.match(method, path, query);
        if (match.kind === 'none') {
            if (path.startsWith('/api/') && !path.startsWith('/api/noauth/')) auth.authenticate(headers);
            return { status: 404, body: { timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path } };
        }
        if (match.kind === 'method') {
            if (/^\/api\/auth\/login$/.test(path)) throw new TbError(401, 'Authentication method not supported', ErrorCode.AUTHENTICATION);
            if (!match.public) auth.authenticate(headers);
            return {
                status: 405,
                body: new TbError(405, `Request method '${method}' is not supported`, ErrorCode.GENERAL).body(),
            };
        }
        const { route, params } = match;
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
        // @PreAuthorize runs when the controller method is invoked, after the body was read.
        if (user && !(route.authorities ?? ['TENANT_ADMIN']).includes(user.authority)) throw permissionDenied();
        const result = route.handler({ method, path, query, body, params, user });
        return { status: result instanceof RawResponse ? result.status : 200, body: result };
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
            const failure = (err: unknown): { status: number; body: unknown } => {
                const error =
                    err instanceof TbError ? err : new TbError(500, 'Internal server error', ErrorCode.GENERAL);
                if (!(err instanceof TbError)) deps.log(`REST ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`);
                return { status: error.status, body: error.body() };
            };
            const respond = (status: number, body: unknown): void => {
                // a handler's RawResponse may carry its own status (ResponseEntity), e.g. a DeferredResult's 408
                const final = body instanceof RawResponse ? body.status : status;
                deps.requestLog.push({ method, path: url.pathname, status: final });
                send(res, final, body);
            };
            let status: number;
            let body: unknown;
            try {
                if (tooLarge) throw new TbError(413, 'Payload Too Large', ErrorCode.BAD_REQUEST_PARAMS);
                ({ status, body } = dispatch(method, url.pathname, url.searchParams, req.headers, Buffer.concat(chunks)));
            } catch (err) {
                ({ status, body } = failure(err));
            }
            if (body instanceof Promise) {
                // a DeferredResult: answered when it settles (server-side RPC waits for the device)
                body.then(
                    (settled: unknown) => respond(status, settled),
                    (err: unknown) => {
                        const f = failure(err);
                        respond(f.status, f.body);
                    },
                );
                return;
            }
            respond(status, body);
        });
    };
}
