// ThingsBoard's REST error shape: {status, message, errorCode, timestamp} (ThingsboardErrorResponse).
export const ErrorCode = {
    GENERAL: 2,
    AUTHENTICATION: 10,
    JWT_TOKEN_EXPIRED: 11,
    PERMISSION_DENIED: 20,
    INVALID_ARGUMENTS: 30,
    BAD_REQUEST_PARAMS: 31,
    ITEM_NOT_FOUND: 32,
    TOO_MANY_REQUESTS: 33,
    VERSION_CONFLICT: 35,
    SUBSCRIPTION_VIOLATION: 40,
    ENTITIES_LIMIT_EXCEEDED: 41,
} as const;

export class TbError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly errorCode: number,
        /** fields a subclass of ThingsboardErrorResponse adds after the four common ones */
        private readonly extra: Record<string, unknown> = {},
    ) {
        super(message);
    }

    body(): { status: number; message: string; errorCode: number; timestamp: number } {
        return { status: this.status, message: this.message, errorCode: this.errorCode, timestamp: Date.now(), ...this.extra };
    }
}

/** DataValidationException / IllegalArgumentException → 400, errorCode 31. */
export function badRequest(message: string): TbError {
    return new TbError(400, message, ErrorCode.BAD_REQUEST_PARAMS);
}

export function notFound(): TbError {
    return new TbError(404, "Requested item wasn't found!", ErrorCode.ITEM_NOT_FOUND);
}

export function authFailed(message = 'Authentication failed'): TbError {
    return new TbError(401, message, ErrorCode.AUTHENTICATION);
}

export function tokenExpired(): TbError {
    return new TbError(401, 'Token has expired', ErrorCode.JWT_TOKEN_EXPIRED);
}

/** AccessDeniedException (@PreAuthorize) and AccessControlService.permissionDenied: 403, errorCode 20. */
export function permissionDenied(): TbError {
    return new TbError(403, "You don't have permission to perform this operation!", ErrorCode.PERMISSION_DENIED);
}
