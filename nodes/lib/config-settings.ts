/**
 * The tb-x509-config node's properties and credentials, normalised: numbers typed,
 * booleans typed, blanks removed. Plain data, no Node-RED.
 */
export interface ConfigProperties {
    name?: string;
    host?: string;
    port?: number | string;
    restUrl?: string;
    verifyServer?: boolean | string;
    servername?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    keyStore?: string;
    keepalive?: number | string;
    identityMode?: string;
    /** node id of a tb-x509-ca */
    ca?: string;
    maxConnections?: number | string;
    idleTimeout?: number | string;
}

export interface ConfigCredentials {
    ca?: string;
    cert?: string;
    key?: string;
    passphrase?: string;
    username?: string;
    password?: string;
    apiKey?: string;
    pkcs12?: string;
    pkcs12Password?: string;
}

export interface ConfigSettings {
    label: string;
    host: string;
    port: number;
    restUrl?: string;
    verifyServer: boolean;
    servername?: string;
    keepalive: number;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    keyStoreDir: string;
    /** `single`: one identity in `keyStoreDir`; `fleet`: one per device name in `<keyStoreDir>/<deviceName>/` */
    identityMode: IdentityMode;
    /** node id of the tb-x509-ca that signs generated certificates, when set */
    caId?: string;
    /** fleet mode: device connections open at once */
    maxConnections: number;
    /** fleet mode: seconds after a device's last message before its connection closes */
    idleTimeout: number;
}

export type IdentityMode = 'single' | 'fleet';
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

export const DEFAULT_MQTT_TLS_PORT = 8883;
export const DEFAULT_KEEPALIVE_SECONDS = 60;

function blankToUndefined(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
}

export function toNumber(value: number | string | undefined, fallback: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    return Number.isFinite(n) ? n : fallback;
}

export function toBoolean(value: boolean | string | undefined, fallback: boolean): boolean {
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    return String(value).trim().toLowerCase() !== 'false';
}

/** A count or duration must be a positive whole number; 0, negatives and fractions fall back to the default. */
function positive(value: number, fallback: number): number {
    return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function normaliseSettings(
    props: ConfigProperties,
    defaultKeyStoreDir: string,
): ConfigSettings {
    const host = blankToUndefined(props.host) ?? '';
    return {
        label: blankToUndefined(props.name) ?? host,
        host,
        port: toNumber(props.port, DEFAULT_MQTT_TLS_PORT),
        restUrl: blankToUndefined(props.restUrl)?.replace(/\/+$/, ''),
        verifyServer: toBoolean(props.verifyServer, true),
        servername: blankToUndefined(props.servername),
        keepalive: toNumber(props.keepalive, DEFAULT_KEEPALIVE_SECONDS),
        caFile: blankToUndefined(props.caFile),
        certFile: blankToUndefined(props.certFile),
        keyFile: blankToUndefined(props.keyFile),
        keyStoreDir: blankToUndefined(props.keyStore) ?? defaultKeyStoreDir,
        // The editor offers only the two modes; anything but "fleet" is the single-identity default.
        identityMode: blankToUndefined(props.identityMode)?.toLowerCase() === 'fleet' ? 'fleet' : 'single',
        caId: blankToUndefined(props.ca),
        maxConnections: positive(toNumber(props.maxConnections, DEFAULT_MAX_CONNECTIONS), DEFAULT_MAX_CONNECTIONS),
        idleTimeout: positive(toNumber(props.idleTimeout, DEFAULT_IDLE_TIMEOUT_SECONDS), DEFAULT_IDLE_TIMEOUT_SECONDS),
    };
}
