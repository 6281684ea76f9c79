import { ThingsBoardApiError } from './api-error';
import { fail } from './messages';
import { isEntityLimit } from './rest-refusals';
import type { CertificateToProvision } from './provision-certificate';
import type { IfExists, ProvisionOutcome } from './provision-result';
import type { Device, DeviceCredentials, EntityId, ThingsBoardRestClient } from './rest-client';

export interface RestProvisionRequest {
    deviceName: string;
    certificate: CertificateToProvision;
    /** profile name; empty → the tenant's default profile */
    deviceProfile?: string;
    /** set on a created device only */
    label?: string;
    ifExists: IfExists;
    /** mark the device "Is gateway" (never unmarked) */
    gateway?: boolean;
}

const ALREADY_ASSIGNED = /already assigned to another device|already registered/i;
const NAME_TAKEN = /device with such name already exists/i;

/**
 * Registers a certificate as a device's X.509 credentials over REST (reference §3.1):
 * a new device is created together with its credentials in one atomic call; an existing
 * one gets its credentials replaced (ifExists 'update') or is an error ('fail'). What is
 * sent is the leaf alone as bare base64 DER, and the credentialsId ThingsBoard stores is
 * checked against the locally computed hash (a mismatch would make a device that can
 * never connect).
 */
export async function provisionViaRest(client: ThingsBoardRestClient, request: RestProvisionRequest): Promise<ProvisionOutcome> {
    client.assertUsable();
    const existing = await client.findDeviceByName(request.deviceName);
    if (existing) return updateExisting(client, existing, request);
    const profileId = await resolveProfile(client, request);
    let device: Device;
    try {
        device = await client.createDeviceWithX509(
            { name: request.deviceName, label: request.label || undefined, deviceProfileId: profileId, gateway: request.gateway },
            request.certificate.leafDerBase64,
        );
    } catch (err) {
        if (isBadRequest(err, NAME_TAKEN)) {
            // Another msg created the same device a moment ago: treat it as existing.
            const raced = await client.findDeviceByName(request.deviceName);
            if (raced) return updateExisting(client, raced, request);
        }
        throw refine(err, request);
    }
    const stored = await client.getDeviceCredentials(device.id.id);
    verify(stored, request);
    return outcome(device.id.id, request, true);
}

async function updateExisting(client: ThingsBoardRestClient, device: Device, request: RestProvisionRequest): Promise<ProvisionOutcome> {
    if (request.ifExists === 'fail') throw fail('TB_DEVICE_EXISTS', { device: request.deviceName });
    // Before the credentials: a gateway connecting with the new certificate is then already marked.
    const markedGateway = Boolean(request.gateway) && device.additionalInfo?.gateway !== true;
    if (markedGateway) await client.markAsGateway(device);
    const current = await client.getDeviceCredentials(device.id.id);
    const expected = request.certificate.credentialsId;
    if (current.credentialsType === 'X509_CERTIFICATE' && current.credentialsId === expected) {
        // Already registered. Re-posting would change nothing but, before ThingsBoard 4.2.1.1
        // (DeviceCredentialsServiceImpl without isCredentialsChanged), close the device's live sessions.
        return outcome(device.id.id, request, false, markedGateway);
    }
    let saved: DeviceCredentials;
    try {
        saved = await client.saveX509Credentials(current, request.certificate.leafDerBase64);
    } catch (err) {
        throw refine(err, request);
    }
    verify(saved, request);
    return outcome(device.id.id, request, false, markedGateway);
}

/** The profile id for a named profile; looked up first, because ThingsBoard would silently create it. */
async function resolveProfile(client: ThingsBoardRestClient, request: RestProvisionRequest): Promise<EntityId | undefined> {
    const name = request.deviceProfile?.trim();
    if (!name) return undefined;
    const profile = await client.findDeviceProfileByName(name);
    if (!profile) throw fail('TB_DEVICE_PROFILE_UNKNOWN', { profile: name, device: request.deviceName });
    return { entityType: 'DEVICE_PROFILE', id: profile.id.id };
}

function verify(stored: DeviceCredentials | undefined, request: RestProvisionRequest): void {
    const expected = request.certificate.credentialsId;
    const actual = stored?.credentialsId ?? '(none)';
    if (stored?.credentialsType !== 'X509_CERTIFICATE' || actual !== expected) {
        throw fail('TB_CREDENTIALS_ID_MISMATCH', { device: request.deviceName, actual, expected });
    }
}

function isBadRequest(err: unknown, pattern: RegExp): boolean {
    return err instanceof ThingsBoardApiError && err.status === 400 && pattern.test(err.serverMessage);
}

function refine(err: unknown, request: RestProvisionRequest): unknown {
    if (isBadRequest(err, ALREADY_ASSIGNED)) return fail('TB_CERT_ASSIGNED_ELSEWHERE', { device: request.deviceName });
    if (isEntityLimit(err)) return fail('TB_DEVICE_LIMIT_REACHED', { device: request.deviceName, reason: err.serverMessage });
    return err;
}

function outcome(deviceId: string, request: RestProvisionRequest, created: boolean, markedGateway = false): ProvisionOutcome {
    return {
        result: { deviceId, deviceName: request.deviceName, created, credentialsType: 'X509_CERTIFICATE' },
        credentialsId: request.certificate.credentialsId,
        markedGateway,
    };
}
