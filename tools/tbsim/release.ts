// Which ThingsBoard release tbsim behaves like (reference §9.1). Every behaviour that differs between
// releases asks one named feature here, so the matrix is read in one place and each row can be tested.

/** The newest release tag of thingsboard/thingsboard that tbsim models by default. */
export const NEWEST_RELEASE = '4.3.1.3';

/** Releases the test suites run against; the newest runs everything, the older ones the user paths. */
export const TESTED_RELEASES = ['3.6.4', '4.2.1', '4.3.1.1', NEWEST_RELEASE] as const;

/** Each feature with the first release that has it (git tag without the leading v). */
const FEATURE_SINCE = {
    /** POST /api/device-with-credentials */
    deviceWithCredentials: '3.4',
    /** MQTT 5 on the transport (ReturnCodeResolver); before it CONNECT level 5 gets return code 1 */
    mqtt5: '3.5',
    /** X.509 certificate-chain auto-provisioning */
    x509ChainProvisioning: '3.5',
    /** provisioning request field `gateway` marks the new device "Is gateway" */
    provisionGatewayFlag: '3.8',
    /** the device RPC getSessionLimits is answered by the transport */
    sessionLimitsRpc: '3.8',
    /** a session the server closes gets an MQTT 5 DISCONNECT with a reason code first (before: a bare close) */
    mqtt5DisconnectReason: '3.7',
    /** transport rate limits per gateway and per gateway device; a live session's isGateway follows device updates */
    gatewayRateLimits: '3.7',
    /** a gateway's sub-device messages are checked against the gateway limits only, no longer the device limits */
    subDevicesSkipDeviceLimits: '4.2',
    /** a rate-limited gateway message gets PUBACK 0x97 before the close (before: the close alone) */
    gatewayRateLimitPubAck: '4.2.1',
    /** GET /api/tenant/device?deviceName= (before it the path is GET /api/tenant/{tenantId}) */
    tenantDeviceByNamePath: '4.3.1.2',
    /** X-Authorization: ApiKey … */
    apiKeys: '4.3',
    /** an entity limit of the tenant profile answers 403 errorCode 41 (before: 400 errorCode 31) */
    entityLimit403: '4.3',
    /** a credentials update kicks live sessions only when type, id or value changed (isCredentialsChanged; backported to 4.2.1.1) */
    credentialsKickOnlyWhenChanged: ['4.2.1.1', '4.3'],
    /** credentialsId, clientId, userName, password with control characters are refused (rejectControlChars) */
    credentialsControlCharCheck: ['4.2.2.3', '4.3.1.3'],
    /** Device, DeviceProfile and DeviceCredentials carry `version` (HasVersion); a stale one gets 409 errorCode 35 */
    entityVersions: '3.8',
    /** JwtPair is @JsonInclude(NON_NULL): the login answer has no `"scope":null` (before: it has) */
    jwtPairOmitsNulls: '3.7',
} as const satisfies Record<string, Since>;

/**
 * The first release with a feature: one tag, or the first tag in each release line it was backported to,
 * oldest line first (then every line after the last one has it too).
 */
type Since = string | readonly string[];

/** "4.2.1.1" → "4.2" */
function line(version: string): string {
    return version.split('.').slice(0, 2).join('.');
}

export type Feature = keyof typeof FEATURE_SINCE;

function parts(version: string): number[] {
    return version.split('.').map((p) => Number(p));
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` ("4.3" = "4.3.0.0"). */
export function compareReleases(a: string, b: string): number {
    const x = parts(a);
    const y = parts(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const d = (x[i] ?? 0) - (y[i] ?? 0);
        if (d !== 0) return d < 0 ? -1 : 1;
    }
    return 0;
}

export class Release {
    readonly version: string;

    constructor(version: string = NEWEST_RELEASE) {
        const v = version.trim().replace(/^v/i, '');
        if (!/^\d+(\.\d+){1,3}$/.test(v)) {
            throw new Error(`tbVersion "${version}" is not a ThingsBoard release such as 3.6.4 or ${NEWEST_RELEASE}`);
        }
        if (compareReleases(v, '3.5') < 0) {
            throw new Error(`tbVersion ${v}: tbsim models ThingsBoard 3.5 and later`);
        }
        this.version = v;
    }

    /** True when this release has `feature`. */
    has(feature: Feature): boolean {
        const since: Since = FEATURE_SINCE[feature];
        if (typeof since === 'string') return compareReleases(this.version, since) >= 0;
        const newest = since[since.length - 1];
        if (compareReleases(this.version, newest) >= 0) return true;
        return since.some((first) => line(first) === line(this.version) && compareReleases(this.version, first) >= 0);
    }

    /** The release that introduced `feature` (in the newest line it was backported to), for messages. */
    static since(feature: Feature): string {
        const since: Since = FEATURE_SINCE[feature];
        return typeof since === 'string' ? since : since[since.length - 1];
    }
}
