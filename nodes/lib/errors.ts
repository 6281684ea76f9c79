/**
 * Errors and status texts are written once, in English, in a table per area
 * (`lib/<area>/messages.ts`). The build copies every table into the en-US message
 * catalog, so the Node-RED layer can show them in the user's language while library
 * code stays free of Node-RED. Placeholders use Node-RED's i18n syntax: `__name__`.
 */
export type MessageTable = Readonly<Record<string, string>>;
export type MessageParams = Record<string, string | number>;

export class CodedError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly params: MessageParams = {},
    ) {
        super(message);
        this.name = 'CodedError';
    }
}

/** The cause of `err` as one line for a `__reason__` parameter: whitespace collapsed, never empty. */
export function reasonOf(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return message.replace(/\s+/g, ' ').trim() || 'unknown error';
}

export function interpolate(template: string, params: MessageParams): string {
    return template.replace(/__(\w+)__/g, (whole, name: string) =>
        Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
    );
}

/** A typed factory: `const fail = errorFactory(MESSAGES); throw fail('KEY_MISMATCH', {…})`. */
export function errorFactory<T extends MessageTable>(table: T) {
    return (code: keyof T & string, params: MessageParams = {}): CodedError =>
        new CodedError(code, interpolate(table[code], params), params);
}
