import type { ConfigCredentials } from '../config-settings';
import { ThingsBoardApiError, serverMessage } from './api-error';
import { jwtExpiresAt } from './jwt';
import { fail } from './messages';
import { asErrorBody, type RestTransport } from './rest-transport';

interface JwtPair {
    token: string;
    refreshToken: string;
}

interface Session {
    header: string;
    /** ms since epoch; undefined when the token carries no readable exp */
    expiresAt?: number;
    refreshToken?: string;
    refreshExpiresAt?: number;
    /** renew this much before expiry, ms */
    margin: number;
}

const LOGIN_PATH = '/api/auth/login';
const REFRESH_PATH = '/api/auth/token';
/** Refresh ahead of expiry by a tenth of the lifetime, at most this long. */
const MAX_REFRESH_MARGIN_MS = 60_000;

/**
 * How one config node authenticates: an API key (ThingsBoard 4.3+, no login at all), or
 * the tenant's username and password, logged in once and shared by every request.
 * Logins and refreshes are single-flight: concurrent requests wait for the one in
 * progress instead of starting their own. Passwords and tokens never leave this class
 * except as the header value handed to the transport.
 */
export class AuthSession {
    private session?: Session;
    private renewing?: Promise<Session>;

    constructor(
        private readonly transport: RestTransport,
        private readonly credentials: ConfigCredentials,
        private readonly configLabel: string,
        private readonly now: () => number = Date.now,
    ) {}

    get usesApiKey(): boolean {
        return Boolean(this.credentials.apiKey?.trim());
    }

    /** Checks up front that the config has some account, so a request fails before any network use. */
    assertConfigured(): void {
        if (this.usesApiKey) return;
        if (!this.credentials.username?.trim() || !this.credentials.password) {
            throw fail('TB_NO_ACCOUNT', { config: this.configLabel });
        }
    }

    /** The X-Authorization header value to use now, logging in or refreshing when needed. */
    async authorization(): Promise<string> {
        if (this.usesApiKey) return `ApiKey ${this.credentials.apiKey!.trim()}`;
        this.assertConfigured();
        const current = this.session;
        if (current && !this.needsRenewal(current)) return current.header;
        return (await this.renew(current)).header;
    }

    /**
     * ThingsBoard refused `rejectedHeader` with 401. Renew once (refresh, else login), unless
     * another request already did. Returns false when there is nothing to renew (API key).
     */
    async rejected(rejectedHeader: string): Promise<boolean> {
        if (this.usesApiKey) return false;
        const current = this.session;
        if (current && current.header !== rejectedHeader) return true;
        if (current) current.expiresAt = 0;
        await this.renew(current);
        return true;
    }

    private needsRenewal(session: Session): boolean {
        return session.expiresAt !== undefined && session.expiresAt - session.margin <= this.now();
    }

    private renew(stale: Session | undefined): Promise<Session> {
        this.renewing ??= this.obtain(stale).finally(() => {
            this.renewing = undefined;
        });
        return this.renewing;
    }

    private async obtain(stale: Session | undefined): Promise<Session> {
        let pair: JwtPair | undefined;
        if (stale?.refreshToken && (stale.refreshExpiresAt === undefined || stale.refreshExpiresAt > this.now() + 5_000)) {
            pair = await this.refresh(stale.refreshToken);
        }
        pair ??= await this.login();
        this.session = this.sessionFrom(pair);
        return this.session;
    }

    private sessionFrom(pair: JwtPair): Session {
        const now = this.now();
        const expiresAt = jwtExpiresAt(pair.token);
        const lifetime = expiresAt !== undefined ? expiresAt - now : 0;
        return {
            header: `Bearer ${pair.token}`,
            expiresAt,
            refreshToken: pair.refreshToken || undefined,
            refreshExpiresAt: pair.refreshToken ? jwtExpiresAt(pair.refreshToken) : undefined,
            margin: Math.max(0, Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 10)),
        };
    }

    /** A refreshed pair, or undefined when ThingsBoard no longer takes the refresh token. */
    private async refresh(refreshToken: string): Promise<JwtPair | undefined> {
        const response = await this.transport.send<unknown>('POST', REFRESH_PATH, { refreshToken });
        if (response.status >= 200 && response.status < 300 && isJwtPair(response.data)) return response.data;
        if (response.status === 401 || response.status === 400 || response.status === 403) return undefined;
        throw this.unexpected('POST', REFRESH_PATH, response.status, response.data);
    }

    private async login(): Promise<JwtPair> {
        const username = this.credentials.username!.trim();
        const response = await this.transport.send<unknown>('POST', LOGIN_PATH, {
            username,
            password: this.credentials.password,
        });
        if (response.status >= 200 && response.status < 300) {
            if (isJwtPair(response.data)) return response.data;
            throw fail('TB_UNEXPECTED_RESPONSE', {
                operation: 'POST /api/auth/login',
                reason: 'no token in the answer',
                address: this.transport.endpoint.address,
            });
        }
        if (response.status === 401) {
            throw fail('TB_LOGIN_REJECTED', {
                username,
                config: this.configLabel,
                reason: serverMessage(response.data, 401),
            });
        }
        throw this.unexpected('POST', LOGIN_PATH, response.status, response.data);
    }

    private unexpected(method: 'POST', path: string, status: number, data: unknown): Error {
        return new ThingsBoardApiError(`${method} ${path}`, status, asErrorBody(data));
    }
}

function isJwtPair(data: unknown): data is JwtPair {
    return Boolean(data) && typeof data === 'object' && typeof (data as JwtPair).token === 'string' && (data as JwtPair).token !== '';
}
