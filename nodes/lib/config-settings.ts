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
}

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
    };
}
