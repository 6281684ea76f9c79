import { TbError } from './errors';
import { randomAlphanumeric, type TenantStore, type CredentialsInput } from './store';

// MQTT (and HTTP) device-provisioning API, reference §3.2 (DeviceProvisionServiceImpl, JsonConverter).
// The request field `gateway` exists from 3.8 (DeviceServiceImpl.saveDevice(ProvisionRequest…)); before, it is ignored.

export type ProvisionOutcome =
    | { kind: 'response'; body: Record<string, unknown>; deviceId?: string }
    /** ThingsBoard fails internally: PUBACK 0x83, disconnect, no response message. */
    | { kind: 'error'; reason: string };

const NOT_FOUND = { errorMsg: 'Provision data was not found!', status: 'NOT_FOUND' };
const FAILURE = { errorMsg: 'Failed to provision device!', status: 'FAILURE' };

function str(value: unknown): string | undefined {
    return typeof value === 'string' ? value : undefined;
}

function credentialsFromRequest(request: Record<string, unknown>): CredentialsInput {
    const type = str(request.credentialsType) ?? 'ACCESS_TOKEN';
    if (type === 'X509_CERTIFICATE') return { credentialsType: type, credentialsValue: str(request.hash) ?? '' };
    if (type === 'MQTT_BASIC') {
        const value = { clientId: str(request.clientId), userName: str(request.username), password: str(request.password) };
        return { credentialsType: type, credentialsValue: JSON.stringify(value) };
    }
    return { credentialsType: 'ACCESS_TOKEN', credentialsId: str(request.token) || randomAlphanumeric(20) };
}

/** JsonConverter: `gateway` read with Gson's getAsBoolean, so the string "true" (any case) counts too. */
function gatewayRequested(value: unknown): boolean {
    return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

function successBody(store: TenantStore, deviceId: string): Record<string, unknown> {
    const c = store.getCredentials(deviceId);
    if (!c) return FAILURE;
    let credentialsValue: unknown;
    if (c.credentialsType === 'ACCESS_TOKEN') credentialsValue = c.credentialsId;
    else if (c.credentialsType === 'MQTT_BASIC') credentialsValue = JSON.parse(c.credentialsValue ?? '{}');
    else credentialsValue = c.credentialsValue;
    return { credentialsValue, credentialsType: c.credentialsType, status: 'SUCCESS' };
}

export function provisionDevice(store: TenantStore, request: unknown): ProvisionOutcome {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        return { kind: 'error', reason: 'provision request is not a JSON object' };
    }
    const req = request as Record<string, unknown>;
    const key = str(req.provisionDeviceKey);
    const secret = str(req.provisionDeviceSecret);
    if (key === undefined || secret === undefined) {
        return { kind: 'error', reason: 'provisionDeviceKey and provisionDeviceSecret are required' };
    }
    const profile = store.findProfileByProvisionKey(key);
    if (!profile || profile.provisionType === 'DISABLED' || store.provisionSecretOf(profile) !== secret) {
        return { kind: 'response', body: NOT_FOUND };
    }
    if (profile.provisionType === 'X509_CERTIFICATE_CHAIN') {
        return { kind: 'error', reason: 'X509_CERTIFICATE_CHAIN profiles cannot be used with the provision API' };
    }
    const requestedName = str(req.deviceName);
    if (requestedName !== undefined && requestedName !== '' && requestedName.trim() === '') {
        return { kind: 'response', body: FAILURE };
    }
    if (profile.provisionType === 'CHECK_PRE_PROVISIONED_DEVICES') {
        const device = requestedName ? store.findDeviceByName(requestedName) : undefined;
        if (!device || device.deviceProfileId !== profile.id) return { kind: 'response', body: FAILURE };
        if (store.attributes(device.id, 'SERVER_SCOPE').provisionState?.value === 'provisioned') {
            return { kind: 'response', body: FAILURE };
        }
        store.setAttributes(device.id, 'SERVER_SCOPE', { provisionState: 'provisioned' });
        return { kind: 'response', body: successBody(store, device.id), deviceId: device.id };
    }
    // ALLOW_CREATE_NEW_DEVICES
    const name = requestedName || randomAlphanumeric(20);
    if (store.findDeviceByName(name)) return { kind: 'response', body: FAILURE };
    let deviceId: string | undefined;
    try {
        const credentials = credentialsFromRequest(req);
        store.prepareCredentials(credentials); // validate before creating anything
        const device = store.saveDevice(
            {
                name,
                deviceProfileId: profile.id,
                additionalInfo: store.release.has('provisionGatewayFlag') && gatewayRequested(req.gateway) ? { gateway: true } : undefined,
            },
            { withoutCredentials: true },
        );
        deviceId = device.id;
        store.updateCredentials(device.id, credentials);
        store.setAttributes(device.id, 'SERVER_SCOPE', { provisionState: 'provisioned' });
        return { kind: 'response', body: successBody(store, device.id), deviceId: device.id };
    } catch (err) {
        if (!(err instanceof TbError)) throw err;
        if (deviceId) store.deleteDevice(deviceId); // @Transactional rollback
        return { kind: 'response', body: FAILURE };
    }
}
