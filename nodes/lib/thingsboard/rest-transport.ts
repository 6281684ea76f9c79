import * as http from 'http';
import * as https from 'https';
import axios, { type AxiosInstance } from 'axios';
import type { ConfigSettings } from '../config-settings';
import { ThingsBoardApiError, serverMessage, type ThingsBoardErrorBody } from './api-error';
import { fail } from './messages';
import { connectionError, type Endpoint } from './network-errors';
import { serverTrustOptions } from './server-trust';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RestTransportOptions {
    /** per request, ms (connect + answer) */
    timeoutMs: number;
    /** attempts per request while ThingsBoard answers 429 (the first try included) */
    maxAttempts: number;
    /** first backoff after a 429 without Retry-After, ms; doubles per attempt */
    retryBaseMs: number;
    /** longest wait honoured from a Retry-After header, ms */
    maxRetryAfterMs: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: RestTransportOptions = {
    timeoutMs: 15_000,
    maxAttempts: 4,
    retryBaseMs: 300,
    maxRetryAfterMs: 30_000,
};

export interface RestResponse<T> {
    status: number;
    data: T;
}

function operationOf(method: HttpMethod, path: string): string {
    return `${method} ${path.split('?')[0]}`;
}

/** ms to wait as a Retry-After header asks (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
    if (typeof header !== 'string' || header.trim() === '') return undefined;
    const seconds = Number(header.trim());
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * Connections per config node. A burst of msgs then reuses a few warm TLS connections
 * instead of opening one handshake per request (measured: 39 concurrent provisions
 * about 0.4 s with 6 sockets, 1.3–2.7 s unbounded, against a local server).
 */
const MAX_SOCKETS = 6;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * HTTP(S) to one ThingsBoard REST endpoint: one keep-alive agent, the config's trust
 * settings, bounded 429 backoff, and failures turned into coded errors. Knows nothing
 * about logins: the caller passes the authorization header value.
 */
export class RestTransport {
    readonly endpoint: Endpoint;
    private readonly baseUrl: URL;
    private axiosPromise?: Promise<AxiosInstance>;
    private agent?: http.Agent;

    constructor(
        private readonly settings: ConfigSettings,
        private readonly caChain: () => Promise<string | undefined>,
        private readonly options: RestTransportOptions = DEFAULT_TRANSPORT_OPTIONS,
    ) {
        if (!settings.restUrl) throw fail('TB_REST_URL_MISSING', { config: settings.label });
        let url: URL;
        try {
            url = new URL(settings.restUrl);
        } catch {
            throw fail('TB_REST_URL_INVALID', { url: settings.restUrl, config: settings.label });
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
            throw fail('TB_REST_URL_INVALID', { url: settings.restUrl, config: settings.label });
        }
        this.baseUrl = url;
        const port = url.port || (url.protocol === 'https:' ? '443' : '80');
        this.endpoint = { address: `${url.hostname}:${port}`, config: settings.label };
    }

    private instance(): Promise<AxiosInstance> {
        this.axiosPromise ??= this.createInstance().catch((err: unknown) => {
            this.axiosPromise = undefined; // unreadable CA file: let the next call try again
            throw err;
        });
        return this.axiosPromise;
    }

    private async createInstance(): Promise<AxiosInstance> {
        const secure = this.baseUrl.protocol === 'https:';
        const host = this.baseUrl.hostname.replace(/^\[|\]$/g, '');
        if (secure) {
            const tlsOptions = serverTrustOptions(this.settings, host, await this.caChain());
            this.agent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...tlsOptions });
        } else {
            this.agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
        }
        return axios.create({
            baseURL: this.baseUrl.toString().replace(/\/+$/, ''),
            timeout: this.options.timeoutMs,
            httpAgent: secure ? undefined : this.agent,
            httpsAgent: secure ? this.agent : undefined,
            proxy: false,
            maxRedirects: 0,
            validateStatus: () => true,
            headers: { Accept: 'application/json' },
        });
    }

    /**
     * One REST call; 429 answers are retried with backoff. Resolves with any status but
     * 429 (the caller decides what a 4xx means); rejects with a CodedError on connection
     * failures and on 429 after the last attempt.
     */
    async send<T>(method: HttpMethod, path: string, body: unknown, authorization?: string): Promise<RestResponse<T>> {
        const client = await this.instance();
        const operation = operationOf(method, path);
        for (let attempt = 1; ; attempt++) {
            let response;
            try {
                response = await client.request({
                    method,
                    url: path,
                    data: body,
                    headers: authorization ? { 'X-Authorization': authorization } : undefined,
                });
            } catch (err) {
                throw connectionError(err, this.endpoint, Math.round(this.options.timeoutMs / 1000));
            }
            if (response.status !== 429) return { status: response.status, data: response.data as T };
            if (attempt >= this.options.maxAttempts) {
                throw fail('TB_RATE_LIMITED', {
                    operation,
                    attempts: attempt,
                    reason: serverMessage(response.data, 429),
                });
            }
            const asked = retryAfterMs(response.headers['retry-after']);
            const backoff = this.options.retryBaseMs * 2 ** (attempt - 1);
            await sleep(Math.min(asked ?? backoff, this.options.maxRetryAfterMs));
        }
    }

    /** Like send, but a non-2xx answer rejects with a ThingsBoardApiError. */
    async sendOk<T>(method: HttpMethod, path: string, body: unknown, authorization?: string): Promise<T> {
        const response = await this.send<T>(method, path, body, authorization);
        if (response.status >= 200 && response.status < 300) return response.data;
        throw new ThingsBoardApiError(operationOf(method, path), response.status, asErrorBody(response.data));
    }

    operation(method: HttpMethod, path: string): string {
        return operationOf(method, path);
    }

    close(): void {
        this.agent?.destroy();
    }
}

export function asErrorBody(data: unknown): ThingsBoardErrorBody {
    if (data && typeof data === 'object') return data;
    return typeof data === 'string' && data ? { message: data } : {};
}
