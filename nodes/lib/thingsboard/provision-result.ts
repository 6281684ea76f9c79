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
    /**
     * An existing device was marked "Is gateway" just now. ThingsBoard decides at CONNECT whether
     * a session is a gateway session (reference §9.2), so a live session of it must reconnect.
     */
    markedGateway?: boolean;
}

export type IfExists = 'update' | 'fail';

export function toIfExists(value: unknown): IfExists {
    return value === 'fail' ? 'fail' : 'update';
}
