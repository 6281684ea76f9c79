import { errorFactory, type MessageTable } from '../errors';

/** Error texts of this area, by code (catalog key `errors.<code>`). */
export const ERRORS = {} as const satisfies MessageTable;

/** Status texts of this area, by key (catalog key `status.<key>`). */
export const STATUS = {} as const satisfies MessageTable;

export const fail = errorFactory(ERRORS);
