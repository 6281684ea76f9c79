import type { NodeAPI } from 'node-red';
import { CodedError, interpolate } from '../errors';

/** Catalog namespace shared by all four nodes: errors and status texts live in the config node's catalog. */
export const CATALOG = 'node-red-contrib-thingsboard-x509/tb-x509-config';

/**
 * Translates a catalog key. Falls back to `english` when the runtime has no
 * translation (the test helper's RED._ returns the key itself).
 */
export function translate(
    RED: NodeAPI,
    key: string,
    english: string,
    params: Record<string, string | number> = {},
): string {
    const fullKey = `${CATALOG}:${key}`;
    let text: string;
    try {
        text = RED._(fullKey, params);
    } catch {
        return interpolate(english, params);
    }
    // English templates carry `__name__` placeholders: fill them when falling back.
    if (typeof text !== 'string' || text === '' || text === fullKey || text === key) return interpolate(english, params);
    return text;
}

/** The message a user should see for an error thrown by library code. */
export function userMessage(RED: NodeAPI, err: unknown): string {
    if (err instanceof CodedError) return translate(RED, `errors.${err.code}`, err.message, err.params);
    if (err instanceof Error) return err.message;
    return String(err);
}

/**
 * An Error carrying the user's language, for done(err) / node.error(err, msg); a CodedError's
 * code and params stay on it, so a flow (or a test) can tell refusals apart without parsing text.
 */
export function toUserError(RED: NodeAPI, err: unknown): Error {
    const localized = new Error(userMessage(RED, err));
    if (err instanceof CodedError) Object.assign(localized, { code: err.code, params: err.params });
    return localized;
}
