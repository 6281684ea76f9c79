import type { CodedError } from '../errors';
import { ThingsBoardApiError } from './api-error';
import { fail } from './messages';

/** The ThingsboardErrorCode values the client tells apart (reference §5; ThingsboardErrorCode.java). */
export const TB_ERROR_CODE = {
    AUTHENTICATION: 10,
    JWT_TOKEN_EXPIRED: 11,
    PERMISSION_DENIED: 20,
    BAD_REQUEST_PARAMS: 31,
    SUBSCRIPTION_VIOLATION: 40,
    ENTITIES_LIMIT_EXCEEDED: 41,
} as const;

/**
 * The text of EntitiesLimitExceededException (4.3+) and of EntitiesLimitException before it:
 * the entity type's name + "s limit reached", e.g. "Devices limit reached".
 */
const ENTITY_LIMIT_MESSAGE = /^[A-Z][\w ]*s limit reached$/;

/**
 * A tenant-profile (plan) entity limit: 403 errorCode 41 from ThingsBoard 4.3 on; before 4.3 the
 * same check was a DataValidationException, answered 400 errorCode 31 with the same text.
 */
export function isEntityLimit(err: unknown): err is ThingsBoardApiError {
    if (!(err instanceof ThingsBoardApiError)) return false;
    if (err.status === 403 && err.tbErrorCode === TB_ERROR_CODE.ENTITIES_LIMIT_EXCEEDED) return true;
    return err.status === 400 && ENTITY_LIMIT_MESSAGE.test(err.serverMessage);
}

/**
 * The error for a 403 answer, by its errorCode: a subscription (plan) refusal, or a permission
 * the account lacks (20, Spring's access denied: not a tenant administrator). An entity limit
 * (41) stays a ThingsBoardApiError: the caller knows which device it was creating.
 */
export function forbidden(error: ThingsBoardApiError, configLabel: string): CodedError {
    const params = { operation: error.operation, config: configLabel, reason: error.serverMessage };
    switch (error.tbErrorCode) {
        case TB_ERROR_CODE.ENTITIES_LIMIT_EXCEEDED:
            return error;
        case TB_ERROR_CODE.SUBSCRIPTION_VIOLATION:
            return fail('TB_SUBSCRIPTION_VIOLATION', params);
        default:
            return fail('TB_PERMISSION_DENIED', params);
    }
}
