/**
 * The claims of a JWT, read without verifying it: the client only needs to know when to
 * refresh and what kind of token the server handed out; the server remains the judge of
 * validity. Undefined for anything that is not a JWT with a JSON object as payload.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
        const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
        if (claims && typeof claims === 'object' && !Array.isArray(claims)) return claims as Record<string, unknown>;
    } catch {
        // not JSON: treat as opaque
    }
    return undefined;
}

/** The expiry of a JWT in ms since epoch, or undefined when it carries no numeric `exp`. */
export function jwtExpiresAt(token: string): number | undefined {
    const exp = jwtClaims(token)?.exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** The JWT's `scopes` claim (ThingsBoard puts the user's authority there), [] when absent. */
export function jwtScopes(token: string): string[] {
    const scopes = jwtClaims(token)?.scopes;
    return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [];
}
