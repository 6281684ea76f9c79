/** What tb-provision reports for a provisioned device (msg.payload). */
export interface ProvisionResult {
    /** ThingsBoard's device id; null for the device API, whose answer carries none */
    deviceId: string | null;
    deviceName: string;
    /** true when the device was created, false when an existing device got the certificate */
    created: boolean;
    credentialsType: 'X509_CERTIFICATE';
}

/** A result plus the credentialsId registered, for notifying the config's connection. */
export interface ProvisionOutcome {
    result: ProvisionResult;
    credentialsId: string;
}

export type IfExists = 'update' | 'fail';

export function toIfExists(value: unknown): IfExists {
    return value === 'fail' ? 'fail' : 'update';
}
