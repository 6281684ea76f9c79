import type { X509Certificate } from 'crypto';
import { leafCredentialsId, sha3OfParts } from './hash';
import { RC } from './mqtt-codes';
import type { CredentialsRecord, DeviceRecord, TenantStore } from './store';

// How CONNECT finds the device (reference §2.3, §2.5; MTH processX509CertConnect / processAuthTokenConnect,
// onValidateDeviceResponse for the refusal codes).

export type AuthOutcome = { device: DeviceRecord } | { refuse: number };

/** A presented certificate means X.509 only: username, password and token are ignored (MTH processX509CertConnect). */
export function authenticateCertificate(
    store: TenantStore,
    leaf: X509Certificate,
    skipValidityCheck: boolean,
    log: (line: string) => void,
): AuthOutcome {
    const credentialsId = leafCredentialsId(leaf.raw);
    const credentials = store.findCredentialsById(credentialsId);
    if (!credentials || credentials.credentialsType !== 'X509_CERTIFICATE') {
        log(`no device has X.509 credentials ${credentialsId}`);
        return { refuse: RC.NOT_AUTHORIZED };
    }
    const now = Date.now();
    if (!skipValidityCheck && (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo))) {
        log('client certificate is outside its validity window');
        return { refuse: RC.NOT_AUTHORIZED };
    }
    const device = store.getDevice(credentials.deviceId);
    return device ? { device } : { refuse: RC.NOT_AUTHORIZED };
}

/** Access token as username, else MQTT_BASIC by clientId / userName / password. */
export function authenticateToken(
    store: TenantStore,
    clientId: string,
    username: string | undefined,
    password: string | undefined,
): AuthOutcome {
    const found = (c: CredentialsRecord | undefined): DeviceRecord | undefined => (c ? store.getDevice(c.deviceId) : undefined);
    if (username && password === undefined) {
        const token = store.findCredentialsById(username);
        if (token?.credentialsType === 'ACCESS_TOKEN') {
            const device = found(token);
            if (device) return { device };
        }
    }
    const candidates = [
        clientId && username ? sha3OfParts([clientId, username]) : undefined,
        clientId ? sha3OfParts([clientId]) : undefined,
        username ? sha3OfParts([username]) : undefined,
    ];
    for (const id of candidates) {
        if (!id) continue;
        const c = store.findCredentialsById(id);
        if (c?.credentialsType !== 'MQTT_BASIC') continue;
        const basic = JSON.parse(c.credentialsValue ?? '{}') as { password?: string };
        if ((basic.password ?? undefined) === password || (!basic.password && password === undefined)) {
            const device = found(c);
            if (device) return { device };
        }
    }
    if (!username && password === undefined && clientId.trim() !== '') return { refuse: RC.CLIENT_ID_NOT_VALID };
    return { refuse: RC.BAD_USER_NAME_OR_PASSWORD };
}
