/**
 * tb-provision method `x509-chain`: sets up a device profile for X.509 certificate-chain
 * provisioning (reference §3.4) with the tenant account, so that ThingsBoard creates a device
 * the first time it connects with a certificate the CA signed (leaf + chain).
 *
 * What ThingsBoard does with the profile (DeviceProfileServiceImpl.formatDeviceProfileCertificate,
 * 3.5 … 4.3.1.3): one uploaded certificate becomes `provisionDeviceKey = sha3(base64 DER)`, the
 * hash the transport computes for each presented certificate; an uploaded *chain* is hashed with
 * its PEM markers and never matches. So only the CA certificate itself is sent, and the key the
 * server stored is checked against the CA's hash.
 */
import type { CertificateAuthority } from '../pki/ca';
import { ThingsBoardApiError } from './api-error';
import { fail } from './messages';
import type { ThingsBoardRestClient } from './rest-client';

export const DEFAULT_CN_PATTERN = '(.*)';

export interface ChainProfileRequest {
    /** profile name; created when no profile has it */
    deviceProfile: string;
    /** the regular expression whose first group turns a certificate's CN into the device name */
    cnPattern: string;
    /** ThingsBoard creates unknown devices that present a chain of the CA */
    allowCreate: boolean;
    ca: CertificateAuthority;
}

/** msg.payload of method x509-chain */
export interface ChainProfileResult {
    deviceProfileId: string;
    deviceProfile: string;
    provisionType: 'X509_CERTIFICATE_CHAIN';
}

interface DeviceProfile {
    id: { entityType?: string; id: string };
    name: string;
    provisionType?: string;
    provisionDeviceKey?: string | null;
    profileData?: Record<string, unknown> | null;
    [other: string]: unknown;
}

const PROVISION_TYPE = 'X509_CERTIFICATE_CHAIN';
const CERTIFICATE_TAKEN = /such certificate already exists/i;
const WELL_KNOWN_ROOT = /well known root/i;

/**
 * The pattern as ThingsBoard will use it (java.util.regex, find() then group(1)), checked here
 * with JavaScript's engine, which agrees on the patterns people write for CNs.
 */
export function checkCnPattern(pattern: string): void {
    let groups: number;
    try {
        new RegExp(pattern);
        // `pattern|` matches "" through its empty branch; the result's length counts the groups.
        groups = (new RegExp(`${pattern}|`).exec('') ?? ['']).length - 1;
    } catch (err) {
        const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
        throw fail('TB_CHAIN_PATTERN_INVALID', { pattern, reason });
    }
    if (groups < 1) throw fail('TB_CHAIN_PATTERN_NO_GROUP', { pattern });
}

function provisionConfiguration(request: ChainProfileRequest): Record<string, unknown> {
    return {
        type: PROVISION_TYPE,
        provisionDeviceSecret: request.ca.certificatePem,
        certificateRegExPattern: request.cnPattern,
        allowCreateNewDevicesByX509Certificate: request.allowCreate,
    };
}

/** The profile already provisions with this CA, pattern and flag: nothing to write. */
function upToDate(profile: DeviceProfile, request: ChainProfileRequest): boolean {
    const conf = (profile.profileData?.provisionConfiguration ?? {}) as Record<string, unknown>;
    return (
        profile.provisionType === PROVISION_TYPE &&
        conf.type === PROVISION_TYPE &&
        profile.provisionDeviceKey === request.ca.description.credentialsId &&
        conf.certificateRegExPattern === request.cnPattern &&
        conf.allowCreateNewDevicesByX509Certificate === request.allowCreate
    );
}

function profileBody(existing: DeviceProfile | undefined, request: ChainProfileRequest): Record<string, unknown> {
    if (!existing) {
        // type and transportType are required (DeviceProfileDataValidator); the rest is ThingsBoard's default profile.
        return {
            name: request.deviceProfile,
            type: 'DEFAULT',
            transportType: 'DEFAULT',
            provisionType: PROVISION_TYPE,
            profileData: {
                configuration: { type: 'DEFAULT' },
                transportConfiguration: { type: 'DEFAULT' },
                provisionConfiguration: provisionConfiguration(request),
            },
        };
    }
    // The whole profile goes back (POST replaces every field); the server recomputes the key.
    return {
        ...existing,
        provisionType: PROVISION_TYPE,
        provisionDeviceKey: null,
        profileData: { ...(existing.profileData ?? {}), provisionConfiguration: provisionConfiguration(request) },
    };
}

function refine(err: unknown, request: ChainProfileRequest): unknown {
    if (err instanceof ThingsBoardApiError && err.status === 400) {
        const params = { profile: request.deviceProfile, ca: request.ca.commonName, reason: err.serverMessage };
        if (CERTIFICATE_TAKEN.test(err.serverMessage)) return fail('TB_CHAIN_CERT_IN_OTHER_PROFILE', params);
        if (WELL_KNOWN_ROOT.test(err.serverMessage)) return fail('TB_CHAIN_WELL_KNOWN_ROOT', params);
    }
    return err;
}

/** Creates or updates the profile; idempotent (an up-to-date profile is not written). */
export async function setUpChainProfile(client: ThingsBoardRestClient, request: ChainProfileRequest): Promise<ChainProfileResult> {
    const found = await client.findDeviceProfileByName(request.deviceProfile);
    // The page entry may be a DeviceProfileInfo on some paths: read the full profile to update it.
    const existing = found ? await client.call<DeviceProfile>('GET', `/api/deviceProfile/${encodeURIComponent(found.id.id)}`) : undefined;
    let saved: DeviceProfile;
    if (existing && upToDate(existing, request)) {
        saved = existing;
    } else {
        try {
            saved = await client.call<DeviceProfile>('POST', '/api/deviceProfile', profileBody(existing, request));
        } catch (err) {
            throw refine(err, request);
        }
        const expected = request.ca.description.credentialsId;
        if (saved?.provisionDeviceKey !== expected) {
            throw fail('TB_CHAIN_PROFILE_KEY_MISMATCH', { profile: request.deviceProfile, ca: request.ca.commonName, actual: String(saved?.provisionDeviceKey), expected });
        }
    }
    return { deviceProfileId: saved.id.id, deviceProfile: saved.name, provisionType: PROVISION_TYPE };
}
