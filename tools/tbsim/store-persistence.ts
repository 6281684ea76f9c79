import * as fs from 'fs';
import type { AttributeScope, AttributeValue, CredentialsRecord, DeviceRecord, ProfileRecord, TelemetryEntry } from './store-types';

// The state file of `--persist`: one JSON document, written atomically (tmp + rename), readable only by its owner.

export interface PersistedState {
    tenantId: string;
    userId: string;
    tenantProfileId?: string;
    jwtKey?: string;
    apiKey?: string;
    devices: DeviceRecord[];
    credentials: CredentialsRecord[];
    profiles: ProfileRecord[];
    telemetry: Record<string, TelemetryEntry[]>;
    attributes: Record<string, Partial<Record<AttributeScope, Record<string, AttributeValue>>>>;
}

/** The saved state, or undefined when the file does not exist yet. */
export function readState(file: string): PersistedState | undefined {
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
}

export function writeState(file: string, state: PersistedState): void {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    fs.renameSync(tmp, file);
}
