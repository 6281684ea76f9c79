import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'crypto';

// HS512 JWTs shaped like ThingsBoard's JwtTokenFactory (claims, issuer thingsboard.io).
export type JwtClaims = Record<string, unknown> & { sub: string; scopes: string[]; iat: number; exp: number };

function b64url(data: Buffer | string): string {
    return Buffer.from(data).toString('base64url');
}

export class JwtSigner {
    readonly key: Buffer;

    constructor(key?: string) {
        this.key = key ? Buffer.from(key, 'base64') : randomBytes(64);
    }

    sign(claims: Record<string, unknown>, ttlSeconds: number): string {
        const now = Math.floor(Date.now() / 1000);
        const body = { ...claims, iss: 'thingsboard.io', iat: now, exp: now + ttlSeconds };
        const head = b64url(JSON.stringify({ alg: 'HS512' }));
        const payload = b64url(JSON.stringify(body));
        return `${head}.${payload}.${this.signature(`${head}.${payload}`)}`;
    }

    /**
     * 'invalid' for what is no JWT (MalformedJwtException → BadCredentials), 'expired' past exp or with a
     * signature that is not ours: JwtTokenFactory.parseTokenClaims maps SignatureException and
     * ExpiredJwtException alike to JwtExpiredTokenException.
     */
    verify(token: string): { claims: JwtClaims } | 'invalid' | 'expired' {
        const parts = token.split('.');
        if (parts.length !== 3) return 'invalid';
        const expected = Buffer.from(this.signature(`${parts[0]}.${parts[1]}`));
        const given = Buffer.from(parts[2]);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'expired';
        let claims: JwtClaims;
        try {
            claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as JwtClaims;
        } catch {
            return 'invalid';
        }
        if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return 'expired';
        return { claims };
    }

    private signature(input: string): string {
        return createHmac('sha512', this.key).update(input).digest('base64url');
    }
}

export function newSessionId(): string {
    return randomUUID();
}
