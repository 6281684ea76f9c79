import type { ConfigCredentials } from '../config-settings';
import { ThingsBoardApiError, serverMessage } from './api-error';
import { jwtExpiresAt, jwtScopes } from './jwt';
import { fail } from './messages';
import { TB_ERROR_CODE } from './rest-refusals';
import { asErrorBody, type RestTransport } from './rest-transport';

interface JwtPair {
    token: string;
    refreshToken?: string | null;
    /** set only when the login needs a second factor (JwtPair is serialised NON_NULL) */
    scope?: string;
}

/**
 * Scopes of a login that stopped before a second factor: PRE_VERIFICATION_TOKEN (every release
 * with two-factor authentication), MFA_CONFIGURATION_TOKEN (4.3+: two-factor enforced, not yet set up).
 * Such a token opens no API call: ThingsBoard answers 403 to each.
 */
const TWO_FACTOR_SCOPES = new Set(['PRE_VERIFICATION_TOKEN', 'MFA_CONFIGURATION_TOKEN']);

/**
 * A value shaped like a JWT (HS512 header, a claim, a 64-byte signature of zeros), sent as an
 * API key to learn whether the server knows API keys; see serverPredatesApiKeys. No secret.
 */
const API_KEY_PROBE = [
    Buffer.from('{"alg":"HS512"}').toString('base64url'),
    Buffer.from('{"sub":"tb-x509 api key probe"}').toString('base64url'),
    Buffer.alloc(64).toString('base64url'),
].join('.');
const PROBE_PATH = '/api/auth/user';

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
    private predatesApiKeys?: boolean;

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

    /**
     * True when the server is older than 4.3 and so has no API keys. Such a server reads
     * "ApiKey <value>" as a bearer token (JwtHeaderTokenExtractor cuts the first 7 characters,
     * "Bearer " and "ApiKey " alike) and, a real key being no JWT, answers 401 "Invalid username
     * or password", errorCode 10: exactly what 4.3 answers for an unknown key. A JWT-shaped
     * value tells them apart: the old server fails its signature check and answers errorCode 11
     * (it maps SignatureException to JwtExpiredTokenException), 4.3 looks it up as a key and
     * answers errorCode 10. Asked only after a key was refused; a definite answer is kept.
     */
    async serverPredatesApiKeys(): Promise<boolean> {
        if (this.predatesApiKeys !== undefined) return this.predatesApiKeys;
        const response = await this.transport.send<unknown>('GET', PROBE_PATH, undefined, `ApiKey ${API_KEY_PROBE}`);
        if (response.status !== 401) return false;
        this.predatesApiKeys = asErrorBody(response.data).errorCode === TB_ERROR_CODE.JWT_TOKEN_EXPIRED;
        return this.predatesApiKeys;
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
            if (isJwtPair(response.data)) {
                if (needsSecondFactor(response.data)) throw fail('TB_LOGIN_TWO_FACTOR', { username, config: this.configLabel });
                return response.data;
            }
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

function needsSecondFactor(pair: JwtPair): boolean {
    return TWO_FACTOR_SCOPES.has(String(pair.scope)) || jwtScopes(pair.token).some((scope) => TWO_FACTOR_SCOPES.has(scope));
}

function isJwtPair(data: unknown): data is JwtPair {
    return Boolean(data) && typeof data === 'object' && typeof (data as JwtPair).token === 'string' && (data as JwtPair).token !== '';
}
