import { CodedError } from '../errors';
import { fail } from './messages';

/** ThingsBoard's error body (ThingsboardErrorResponse): `{status, message, errorCode, timestamp}`. */
export interface ThingsBoardErrorBody {
    status?: number;
    message?: string;
    errorCode?: number;
}

/**
 * A REST call ThingsBoard answered with an error status. Its user message is the
 * generic "ThingsBoard answered <operation> with HTTP <status>: <message>"; callers that
 * know better (not found, already assigned, …) catch it and throw a specific error.
 */
export class ThingsBoardApiError extends CodedError {
    constructor(
        readonly operation: string,
        readonly status: number,
        readonly body: ThingsBoardErrorBody,
    ) {
        const reason = serverMessage(body, status);
        const generic = fail('TB_HTTP_ERROR', { operation, status, reason });
        super(generic.code, generic.message, generic.params);
        this.name = 'ThingsBoardApiError';
    }

    get tbErrorCode(): number | undefined {
        return this.body.errorCode;
    }

    get serverMessage(): string {
        return serverMessage(this.body, this.status);
    }
}

/** ThingsBoard's message, cut short and with whitespace folded, or a stand-in. */
export function serverMessage(body: unknown, status: number): string {
    const message = body && typeof body === 'object' ? (body as ThingsBoardErrorBody).message : typeof body === 'string' ? body : undefined;
    const text = typeof message === 'string' ? message.replace(/\s+/g, ' ').trim() : '';
    if (!text) return `no message (HTTP ${status})`;
    return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
