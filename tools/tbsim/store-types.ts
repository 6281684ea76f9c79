import { randomBytes } from 'crypto';

// The records tbsim keeps for the tenant, and the inputs that create or change them.

/** ThingsBoard's "no customer" id (EntityId.NULL_UUID). */
export const NULL_UUID = '13814000-1dd2-11b2-8080-808080808080';

export type CredentialsType = 'ACCESS_TOKEN' | 'X509_CERTIFICATE' | 'MQTT_BASIC' | 'LWM2M_CREDENTIALS';
export const CREDENTIALS_TYPES: CredentialsType[] = ['ACCESS_TOKEN', 'X509_CERTIFICATE', 'MQTT_BASIC', 'LWM2M_CREDENTIALS'];
export type ProvisionType = 'DISABLED' | 'ALLOW_CREATE_NEW_DEVICES' | 'CHECK_PRE_PROVISIONED_DEVICES' | 'X509_CERTIFICATE_CHAIN';
export const PROVISION_TYPES: ProvisionType[] = ['DISABLED', 'ALLOW_CREATE_NEW_DEVICES', 'CHECK_PRE_PROVISIONED_DEVICES', 'X509_CERTIFICATE_CHAIN'];

export interface DeviceRecord {
    id: string;
    createdTime: number;
    name: string;
    type: string;
    label: string | null;
    deviceProfileId: string;
    additionalInfo: Record<string, unknown> | null;
    version: number;
}

export interface CredentialsRecord {
    id: string;
    createdTime: number;
    deviceId: string;
    credentialsType: CredentialsType;
    credentialsId: string;
    credentialsValue: string | null;
    version: number;
}

export interface ProfileRecord {
    id: string;
    createdTime: number;
    name: string;
    description: string | null;
    isDefault: boolean;
    provisionType: ProvisionType;
    provisionDeviceKey: string | null;
    profileData: Record<string, unknown>;
    version: number;
}

export interface TelemetryEntry {
    ts: number;
    values: Record<string, unknown>;
}

export interface AttributeValue {
    value: unknown;
    lastUpdateTs: number;
}

export type AttributeScope = 'CLIENT_SCOPE' | 'SERVER_SCOPE' | 'SHARED_SCOPE';

/** A device with its credentials, as tests and the MQTT side look at it. */
export interface SimDevice {
    id: string;
    name: string;
    type: string;
    label: string | null;
    deviceProfileId: string;
    additionalInfo: Record<string, unknown> | null;
    credentials: { type: CredentialsType; id: string; value: string | null };
}

export interface CredentialsInput {
    id?: string;
    credentialsType?: string;
    credentialsId?: string | null;
    credentialsValue?: string | null;
    version?: number | null;
}

export interface DeviceInput {
    id?: string;
    name?: unknown;
    type?: unknown;
    label?: unknown;
    deviceProfileId?: string;
    additionalInfo?: unknown;
    version?: number | null;
}

export interface ProfileInput {
    id?: string;
    name?: unknown;
    description?: unknown;
    isDefault?: boolean;
    provisionType?: unknown;
    provisionDeviceKey?: unknown;
    provisionDeviceSecret?: unknown;
    profileData?: unknown;
}

export interface NameConflict {
    policy: 'FAIL' | 'UNIQUIFY';
    separator: string;
    strategy: 'RANDOM' | 'INCREMENTAL';
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomAlphanumeric(length: number): string {
    const bytes = randomBytes(length);
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length];
    return out;
}

export function optionalString(value: unknown): string | null {
    return typeof value === 'string' ? value : null;
}
