import { badRequest, ErrorCode, TbError } from './errors';
import type { Release } from './release';

// What stops a new device: the tenant profile's maxDevices (DeviceDataValidator.validateCreate →
// validateNumberOfEntitiesPerTenant) and, on ThingsBoard Cloud, the subscription plan.

/** The default text of a subscription refusal (PE's subscription service; the CE only relays the body). */
export const SUBSCRIPTION_VIOLATION_MESSAGE = 'Maximum allowed devices limit reached!';

export class TenantLimits {
    /** tenant profile maxDevices; 0 or undefined = unlimited (ApiLimitService: limit <= 0 → no check) */
    maxDevices: number | undefined;
    /** while set, creating a device answers 403 errorCode 40 with this message */
    subscriptionViolation: string | undefined;

    constructor(private readonly release: Release) {}

    /** Throws the release's answer when a device may not be created next to `deviceCount` existing ones. */
    checkDeviceCreation(deviceCount: number): void {
        if (this.subscriptionViolation !== undefined) {
            throw new TbError(403, this.subscriptionViolation, ErrorCode.SUBSCRIPTION_VIOLATION);
        }
        const limit = this.maxDevices ?? 0;
        if (limit <= 0 || deviceCount < limit) return;
        // EntitiesLimitException ("<Entity type>s limit reached") is a DataValidationException before 4.3;
        // 4.3's EntitiesLimitExceededException gets its own response with entityType and limit.
        if (this.release.has('entityLimit403')) {
            throw new TbError(403, 'Devices limit reached', ErrorCode.ENTITIES_LIMIT_EXCEEDED, { entityType: 'DEVICE', limit });
        }
        throw badRequest('Devices limit reached');
    }
}
