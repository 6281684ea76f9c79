import type { AuthUser } from './auth';
import type { Feature, Release } from './release';

// Which handler answers a request: Spring MVC's choice among the mappings, as far as tbsim needs it
// (path pattern, HTTP method, `params` conditions, and mappings that a release does not have yet).

export interface RestRequest {
    method: string;
    path: string;
    query: URLSearchParams;
    body: unknown;
    params: string[];
    /** null on public routes */
    user: AuthUser | null;
}

export type Handler = (req: RestRequest) => unknown;

export interface Route {
    method: string;
    pattern: RegExp;
    handler: Handler;
    /** Public routes skip authentication and the tenant rate limit. */
    public?: boolean;
    /** The route exists from the release that has this feature. */
    since?: Feature;
    /** Spring's `params` condition: the mapping matches only when the query satisfies it. */
    when?: (query: URLSearchParams) => boolean;
    /** @PreAuthorize hasAnyAuthority(…); default TENANT_ADMIN only. Ignored on public routes. */
    authorities?: string[];
}

/** A response with a body other than JSON, or an explicit empty body; `status` default 200. */
export class RawResponse {
    constructor(
        readonly body: string,
        readonly contentType: string,
        readonly headers: Record<string, string> = {},
        readonly status = 200,
    ) {}
}

/** 200 with an empty body (void controller methods). */
export function emptyOk(): RawResponse {
    return new RawResponse('', '');
}

export type RouteMatch =
    | { kind: 'route'; route: Route; params: string[] }
    /** no mapping has this path */
    | { kind: 'none' }
    /** mappings have this path, none this method; `public` tells whether the first of them is public */
    | { kind: 'method'; public: boolean };

export class Router {
    constructor(
        private readonly routes: Route[],
        private readonly release: Release,
    ) {}

    match(method: string, path: string, query: URLSearchParams): RouteMatch {
        const candidates = this.routes.filter(
            (r) => r.pattern.test(path) && (!r.since || this.release.has(r.since)) && (!r.when || r.when(query)),
        );
        if (candidates.length === 0) return { kind: 'none' };
        const route = candidates.find((r) => r.method === method);
        if (!route) return { kind: 'method', public: candidates[0].public === true };
        return { kind: 'route', route, params: (route.pattern.exec(path) ?? []).slice(1) };
    }
}
