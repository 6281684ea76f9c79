import { randomBytes, timingSafeEqual } from 'crypto';
import { authFailed, tokenExpired } from './errors';
import { JwtSigner, newSessionId } from './jwt';
import type { Release } from './release';
import { NULL_UUID } from './store';

// The tenant administrator's login, refresh, Bearer JWTs and ApiKey values (reference §1.1).

export interface AuthUser {
    email: string;
    userId: string;
    tenantId: string;
}

export interface TokenPair {
    token: string;
    refreshToken: string;
}

function sameText(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}

export class AuthService {
    private readonly signer: JwtSigner;
    private issuedAccessTokens = new Set<string>();
    private expiredAccessTokens = new Set<string>();
    private logins = 0;
    readonly apiKey: string;

    constructor(
        private readonly user: AuthUser & { password: string },
        private readonly ttl: { access: number; refresh: number },
        persisted: { jwtKey?: string; apiKey?: string },
        private readonly release: Release,
    ) {
        this.signer = new JwtSigner(persisted.jwtKey);
        this.apiKey = persisted.apiKey ?? `tb_${randomBytes(64).toString('base64url')}`;
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
        if (username.toLowerCase() !== this.user.email.toLowerCase() || !sameText(password, this.user.password)) {
            throw authFailed('Invalid username or password');
        }
        this.logins++;
        return this.pair();
    }

    refresh(body: unknown): TokenPair {
        const { refreshToken } = (body ?? {}) as { refreshToken?: unknown };
        if (typeof refreshToken !== 'string' || refreshToken === '') throw authFailed();
        const result = this.signer.verify(refreshToken);
        if (result === 'expired') throw tokenExpired();
        if (result === 'invalid') throw authFailed('Invalid username or password');
        if (result.claims.scopes?.[0] !== 'REFRESH_TOKEN') throw authFailed();
        return this.pair();
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
            return this.user;
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
        if (result.claims.scopes?.[0] !== 'TENANT_ADMIN') throw authFailed();
        return this.user;
    }

    /** Test control: every access token issued so far now answers "Token has expired". */
    expireAccessTokens(): void {
        for (const token of this.issuedAccessTokens) this.expiredAccessTokens.add(token);
        this.issuedAccessTokens.clear();
    }

    private pair(): TokenPair {
        const sessionId = newSessionId();
        const token = this.signer.sign(
            {
                sub: this.user.email,
                userId: this.user.userId,
                scopes: ['TENANT_ADMIN'],
                sessionId,
                firstName: null,
                lastName: null,
                enabled: true,
                isPublic: false,
                tenantId: this.user.tenantId,
                customerId: NULL_UUID,
            },
            this.ttl.access,
        );
        const refreshToken = this.signer.sign(
            {
                sub: this.user.email,
                userId: this.user.userId,
                scopes: ['REFRESH_TOKEN'],
                sessionId,
                isPublic: false,
                jti: newSessionId(),
            },
            this.ttl.refresh,
        );
        this.issuedAccessTokens.add(token);
        return { token, refreshToken };
    }
}
