/**
 * Reads the expiry of a JWT without verifying it: the client only needs to know when
 * to refresh; the server remains the judge of validity. Returns ms since epoch, or
 * undefined for anything that is not a JWT with a numeric `exp`.
 */
export function jwtExpiresAt(token: string): number | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
        const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
        if (claims && typeof claims === 'object' && typeof (claims as { exp?: unknown }).exp === 'number') {
            return (claims as { exp: number }).exp * 1000;
        }
    } catch {
        // not JSON: treat as opaque
    }
    return undefined;
}
