import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import { authFailed, tokenExpired } from './errors';
import { JwtSigner, newSessionId, type JwtClaims } from './jwt';
import type { Release } from './release';
import { NULL_UUID } from './store';

// The tenant's user accounts: login (RestAuthenticationProvider + RestAwareAuthenticationSuccessHandler),
// refresh, Bearer JWTs (JwtTokenFactory) and the ApiKey value (reference §1.1, §9.1).

/** Authority.parse of a token's first scope; PRE_VERIFICATION_TOKEN until the second factor is verified. */
export type Authority = 'TENANT_ADMIN' | 'CUSTOMER_USER' | 'PRE_VERIFICATION_TOKEN';

/** Who a request runs as (SecurityUser, built from the JWT claims as JwtTokenFactory.parseAccessJwtToken does). */
export interface AuthUser {
    email: string;
    userId: string;
    tenantId: string;
    customerId: string;
    authority: Authority;
}

/** An additional account of the tenant, next to the tenant administrator. */
export interface UserAccountOption {
    username: string;
    password: string;
    /** default TENANT_ADMIN */
    authority?: 'TENANT_ADMIN' | 'CUSTOMER_USER';
    /** two-factor authentication configured: login answers a PRE_VERIFICATION_TOKEN */
    mfa?: boolean;
}

interface Account {
    email: string;
    password: string;
    userId: string;
    customerId: string;
    authority: 'TENANT_ADMIN' | 'CUSTOMER_USER';
    mfa: boolean;
}

export type TokenPair = { token: string; refreshToken?: string | null; scope?: string | null };

/** RestAwareAuthenticationSuccessHandler: without total-allowed-time settings the pre-verification token lives 30 min. */
const PRE_VERIFICATION_TTL_SECONDS = 30 * 60;

function sameText(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}

/** A stable uuid for an account, so persisted tokens keep naming the same user after a restart. */
function derivedUuid(seed: string, name: string): string {
    const h = createHash('sha256').update(`${seed}/${name}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class AuthService {
    private readonly signer: JwtSigner;
    private readonly accounts: Account[];
    private issuedAccessTokens = new Set<string>();
    private expiredAccessTokens = new Set<string>();
    private logins = 0;
    readonly apiKey: string;
    private readonly admin: Account;
    private readonly tenantId: string;

    constructor(
        admin: { email: string; password: string; userId: string; tenantId: string },
        private readonly ttl: { access: number; refresh: number },
        persisted: { jwtKey?: string; apiKey?: string },
        private readonly release: Release,
        users: UserAccountOption[] = [],
    ) {
        this.signer = new JwtSigner(persisted.jwtKey);
        this.apiKey = persisted.apiKey ?? `tb_${randomBytes(64).toString('base64url')}`;
        this.tenantId = admin.tenantId;
        this.admin = { email: admin.email, password: admin.password, userId: admin.userId, customerId: NULL_UUID, authority: 'TENANT_ADMIN', mfa: false };
        this.accounts = [this.admin];
        for (const u of users) {
            if (this.accounts.some((a) => a.email.toLowerCase() === u.username.toLowerCase())) {
                throw new Error(`tbsim users: "${u.username}" is given twice`);
            }
            const authority = u.authority ?? 'TENANT_ADMIN';
            this.accounts.push({
                email: u.username,
                password: u.password,
                userId: derivedUuid(admin.userId, u.username.toLowerCase()),
                // A customer user belongs to a customer; tbsim assigns no devices to it.
                customerId: authority === 'CUSTOMER_USER' ? derivedUuid(admin.tenantId, `customer/${u.username.toLowerCase()}`) : NULL_UUID,
                authority,
                mfa: u.mfa === true,
            });
        }
    }

    get jwtKey(): string {
        return this.signer.key.toString('base64');
    }

    loginCount(): number {
        return this.logins;
    }

    login(body: unknown): TokenPair {
        const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
        // RestLoginProcessingFilter: a blank field is an AuthenticationServiceException → "Authentication failed".
        if (typeof username !== 'string' || typeof password !== 'string' || username.trim() === '' || password.trim() === '') {
            throw authFailed();
        }
        const account = this.accounts.find((a) => a.email.toLowerCase() === username.toLowerCase());
        // UsernameNotFoundException and BadCredentialsException answer alike.
        if (!account || !sameText(password, account.password)) throw authFailed('Invalid username or password');
        this.logins++;
        return account.mfa ? this.preVerificationPair(account) : this.pair(account);
    }

    refresh(body: unknown): TokenPair {
        const { refreshToken } = (body ?? {}) as { refreshToken?: unknown };
        if (typeof refreshToken !== 'string' || refreshToken === '') throw authFailed();
        const result = this.signer.verify(refreshToken);
        if (result === 'expired') throw tokenExpired();
        if (result === 'invalid') throw authFailed('Invalid username or password');
        if (result.claims.scopes?.[0] !== 'REFRESH_TOKEN') throw authFailed();
        const account = this.accounts.find((a) => a.userId === result.claims.userId);
        if (!account) throw authFailed('Invalid username or password');
        return this.pair(account);
    }

    /**
     * X-Authorization, or Authorization when that is blank (both on every release). Before 4.3 the JWT
     * extractor is the only one and cuts the first 7 characters ("Bearer ") off whatever the header holds,
     * so "ApiKey tb_…" becomes the malformed JWT "tb_…": bad credentials. From 4.3 the prefixes choose the
     * filter: "Bearer " the JWT one, "ApiKey " the API-key one.
     */
    authenticate(headers: Record<string, string | string[] | undefined>): AuthUser {
        const header = [headers['x-authorization'], headers['authorization']]
            .map((h) => (Array.isArray(h) ? h[0] : h))
            .find((h) => h !== undefined && h.trim() !== '');
        if (header === undefined) throw authFailed(); // "Authorization header cannot be blank!"
        if (this.release.has('apiKeys') && header.startsWith('ApiKey ')) {
            const value = header.slice('ApiKey '.length);
            if (!value || !sameText(value, this.apiKey)) throw authFailed('Invalid username or password');
            return this.userOf(this.admin);
        }
        if (this.release.has('apiKeys') && !header.startsWith('Bearer ')) throw authFailed();
        if (header.length < 'Bearer '.length) throw authFailed(); // "Invalid authorization header size."
        return this.authenticateJwt(header.slice('Bearer '.length));
    }

    private authenticateJwt(value: string): AuthUser {
        if (value === '') throw authFailed('Invalid username or password'); // "Token is invalid"
        if (this.expiredAccessTokens.has(value)) throw tokenExpired();
        const result = this.signer.verify(value);
        if (result === 'expired') throw tokenExpired();
        if (result === 'invalid') throw authFailed('Invalid username or password');
        return this.userFromClaims(result.claims);
    }

    private userFromClaims(claims: JwtClaims): AuthUser {
        const authority = claims.scopes?.[0];
        if (authority !== 'TENANT_ADMIN' && authority !== 'CUSTOMER_USER' && authority !== 'PRE_VERIFICATION_TOKEN') throw authFailed();
        return {
            email: claims.sub,
            userId: String(claims.userId),
            tenantId: typeof claims.tenantId === 'string' ? claims.tenantId : this.tenantId,
            customerId: typeof claims.customerId === 'string' ? claims.customerId : NULL_UUID,
            authority,
        };
    }

    private userOf(account: Account): AuthUser {
        return { email: account.email, userId: account.userId, tenantId: this.tenantId, customerId: account.customerId, authority: account.authority };
    }

    /** Test control: every access token issued so far now answers "Token has expired". */
    expireAccessTokens(): void {
        for (const token of this.issuedAccessTokens) this.expiredAccessTokens.add(token);
        this.issuedAccessTokens.clear();
    }

    /** JwtPair as Jackson writes it: `scope` null (and kept) before 3.7's @JsonInclude(NON_NULL). */
    private jwtPair(token: string, refreshToken: string | null, scope: string | null): TokenPair {
        if (!this.release.has('jwtPairOmitsNulls')) return { token, refreshToken, scope };
        const out: TokenPair = { token };
        if (refreshToken !== null) out.refreshToken = refreshToken;
        if (scope !== null) out.scope = scope;
        return out;
    }

    private pair(account: Account): TokenPair {
        const sessionId = newSessionId();
        const token = this.signer.sign(
            {
                sub: account.email,
                userId: account.userId,
                scopes: [account.authority],
                sessionId,
                firstName: null,
                lastName: null,
                enabled: true,
                isPublic: false,
                tenantId: this.tenantId,
                customerId: account.customerId,
            },
            this.ttl.access,
        );
        const refreshToken = this.signer.sign(
            {
                sub: account.email,
                userId: account.userId,
                scopes: ['REFRESH_TOKEN'],
                sessionId,
                isPublic: false,
                jti: newSessionId(),
            },
            this.ttl.refresh,
        );
        this.issuedAccessTokens.add(token);
        return this.jwtPair(token, refreshToken, null);
    }

    /** JwtTokenFactory.createPreVerificationToken: no refresh token, scope PRE_VERIFICATION_TOKEN. */
    private preVerificationPair(account: Account): TokenPair {
        const token = this.signer.sign(
            { sub: account.email, userId: account.userId, scopes: ['PRE_VERIFICATION_TOKEN'], tenantId: this.tenantId, customerId: account.customerId },
            PRE_VERIFICATION_TTL_SECONDS,
        );
        return this.jwtPair(token, null, 'PRE_VERIFICATION_TOKEN');
    }
}
