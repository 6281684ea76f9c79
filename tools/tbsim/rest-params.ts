import { badRequest, ErrorCode, TbError } from './errors';
import type { AttributeScope } from './store';

// Request parameters the way Spring and BaseController convert them, with their error texts.

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** BaseController.toUUID: UUID.fromString's IllegalArgumentException becomes 400 errorCode 31. */
export function uuidParam(value: string): string {
    if (!UUID_RE.test(value)) throw new TbError(400, `Invalid UUID string: ${value}`, ErrorCode.BAD_REQUEST_PARAMS);
    return value.toLowerCase();
}

/** `{"id": "<uuid>"}`-shaped reference fields of a request body: the uuid, or undefined when absent. */
export function refId(value: unknown): string | undefined {
    const id = (value as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? uuidParam(id) : undefined;
}

export function requiredParam(query: URLSearchParams, name: string, type: 'int' | 'String' | 'long'): string {
    const value = query.get(name);
    if (value === null) {
        throw badRequest(`Required request parameter '${name}' for method parameter type ${type} is not present`);
    }
    return value;
}

function intParam(query: URLSearchParams, name: string): number {
    const raw = requiredParam(query, name, 'int');
    const n = Number(raw);
    if (!Number.isInteger(n)) throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'int'; For input string: "${raw}"`);
    return n;
}

/** PageData of `items` for pageSize, page, textSearch, sortProperty and sortOrder. */
export function page<T>(items: T[], query: URLSearchParams, text: (item: T) => string): Record<string, unknown> {
    const pageSize = intParam(query, 'pageSize');
    const pageNo = intParam(query, 'page');
    if (pageSize < 1) throw badRequest('Page size should be greater than 0!');
    if (pageNo < 0) throw badRequest('Page should be greater than or equal to 0!');
    const search = (query.get('textSearch') ?? '').toLowerCase();
    const filtered = search ? items.filter((item) => text(item).toLowerCase().includes(search)) : items;
    const sortProperty = query.get('sortProperty');
    const desc = (query.get('sortOrder') ?? 'ASC').toUpperCase() === 'DESC';
    const sorted = sortProperty
        ? [...filtered].sort((a, b) => {
              const x = (a as Record<string, unknown>)[sortProperty] as string | number;
              const y = (b as Record<string, unknown>)[sortProperty] as string | number;
              const order = x < y ? -1 : x > y ? 1 : 0;
              return desc ? -order : order;
          })
        : filtered;
    const totalElements = sorted.length;
    const totalPages = Math.ceil(totalElements / pageSize);
    const data = sorted.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
    return { data, totalPages, totalElements, hasNext: (pageNo + 1) * pageSize < totalElements };
}

/** `keys=a,b` → ['a', 'b']; absent or blank → null (all keys). */
export function keysParam(query: URLSearchParams): string[] | null {
    const raw = query.get('keys');
    if (raw === null || raw.trim() === '') return null;
    return raw.split(',').map((k) => k.trim()).filter((k) => k !== '');
}

export function scopeParam(value: string): AttributeScope {
    if (value === 'CLIENT_SCOPE' || value === 'SERVER_SCOPE' || value === 'SHARED_SCOPE') return value;
    throw badRequest(`Invalid attribute scope: ${value}`);
}

/** An object body, or 400 "Invalid request body". */
export function objectBody(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null) throw badRequest('Invalid request body');
    return body as Record<string, unknown>;
}
