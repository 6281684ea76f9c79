import { randomBytes } from 'crypto';
import * as mqtt from 'mqtt';
import type * as tls from 'tls';
import type { ConfigSettings } from '../config-settings';
import type { CodedError } from '../errors';
import { fail } from './messages';
import { connectionError, type Endpoint } from './network-errors';
import type { CertificateToProvision } from './provision-certificate';
import type { ProvisionOutcome } from './provision-result';
import { serverTrustOptions } from './server-trust';

export const PROVISION_REQUEST_TOPIC = '/provision/request';
export const PROVISION_RESPONSE_TOPIC = '/provision/response';
export const DEFAULT_DEVICE_API_TIMEOUT_MS = 10_000;

export interface DeviceApiProvisionRequest {
    settings: ConfigSettings;
    /** the config's CA chain (trusted in addition to the public roots) */
    caPem?: string;
    deviceName: string;
    certificate: CertificateToProvision;
    provisionKey?: string;
    provisionSecret?: string;
    timeoutMs?: number;
    /** ask ThingsBoard to create the device marked "Is gateway" */
    gateway?: boolean;
}

interface ProvisionResponse {
    status?: unknown;
    errorMsg?: unknown;
    credentialsType?: unknown;
    credentialsValue?: unknown;
}

/**
 * ThingsBoard's MQTT device-provisioning API (reference §3.2): a TLS session with the
 * user name "provision" and no client certificate, one request on /provision/request
 * with the device profile's key and secret and the leaf certificate in `hash`, one
 * answer on /provision/response. ThingsBoard's answer carries no device id.
 */
export async function provisionViaDeviceApi(request: DeviceApiProvisionRequest): Promise<ProvisionOutcome> {
    const { settings, deviceName, certificate } = request;
    const provisionKey = request.provisionKey?.trim();
    const provisionSecret = request.provisionSecret?.trim();
    if (!settings.host) throw fail('TB_MQTT_HOST_MISSING', { config: settings.label });
    if (!provisionKey || !provisionSecret) throw fail('TB_PROVISION_SECRET_MISSING');
    const endpoint: Endpoint = { address: `${settings.host}:${settings.port}`, config: settings.label };
    const timeoutMs = request.timeoutMs ?? DEFAULT_DEVICE_API_TIMEOUT_MS;
    const body = JSON.stringify({
        deviceName,
        provisionDeviceKey: provisionKey,
        provisionDeviceSecret: provisionSecret,
        credentialsType: 'X509_CERTIFICATE',
        hash: certificate.leafPem,
        ...(request.gateway ? { gateway: true } : {}),
    });
    const response = await exchange(request, endpoint, timeoutMs, body);
    return interpret(response, request, endpoint);
}

function exchange(request: DeviceApiProvisionRequest, endpoint: Endpoint, timeoutMs: number, body: string): Promise<ProvisionResponse> {
    const { settings, deviceName } = request;
    return new Promise<ProvisionResponse>((resolve, reject) => {
        let settled = false;
        const trust = serverTrustOptions(settings, settings.host, request.caPem);
        // mqtt.js hands these options to tls.connect as they are (checkServerIdentity, minVersion included).
        const options: mqtt.IClientOptions & Pick<tls.ConnectionOptions, 'checkServerIdentity' | 'minVersion'> = {
            protocol: 'mqtts',
            host: settings.host,
            port: settings.port,
            clientId: `tb-provision-${randomBytes(6).toString('hex')}`,
            username: 'provision',
            protocolVersion: 4,
            clean: true,
            keepalive: 30,
            reconnectPeriod: 0,
            connectTimeout: timeoutMs,
            rejectUnauthorized: trust.rejectUnauthorized,
        };
        // Only keys that are set: tls.connect asserts on an explicit `checkServerIdentity: undefined`.
        if (trust.ca) options.ca = trust.ca as string[];
        if (trust.servername) options.servername = trust.servername;
        if (trust.checkServerIdentity) options.checkServerIdentity = trust.checkServerIdentity;
        if (trust.minVersion) options.minVersion = trust.minVersion;
        const client = mqtt.connect(options);
        const finish = (error: CodedError | undefined, response?: ProvisionResponse) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            client.end(true);
            if (error) reject(error);
            else resolve(response ?? {});
        };
        const timer = setTimeout(
            () => finish(fail('TB_PROVISION_TIMEOUT', { address: endpoint.address, device: deviceName, seconds: Math.round(timeoutMs / 1000) })),
            timeoutMs,
        );
        client.on('connect', () => {
            client.subscribe(PROVISION_RESPONSE_TOPIC, { qos: 1 }, (subscribeError) => {
                if (subscribeError) return finish(connectionError(subscribeError, endpoint, timeoutMs / 1000));
                client.publish(PROVISION_REQUEST_TOPIC, body, { qos: 1 }, (publishError) => {
                    if (publishError) finish(connectionError(publishError, endpoint, timeoutMs / 1000));
                });
            });
        });
        client.on('message', (topic, payload) => {
            if (topic !== PROVISION_RESPONSE_TOPIC) return;
            try {
                const parsed: unknown = JSON.parse(payload.toString('utf8'));
                if (!parsed || typeof parsed !== 'object') throw new Error('not a JSON object');
                finish(undefined, parsed);
            } catch (err) {
                finish(
                    fail('TB_PROVISION_BAD_RESPONSE', {
                        address: endpoint.address,
                        device: deviceName,
                        reason: err instanceof Error ? err.message : String(err),
                    }),
                );
            }
        });
        client.on('error', (err: Error & { code?: unknown }) => {
            if (typeof err.code === 'number') {
                finish(fail('TB_PROVISION_CONNECT_REFUSED', { address: endpoint.address, code: err.code }));
            } else {
                finish(connectionError(err, endpoint, timeoutMs / 1000));
            }
        });
        client.on('close', () => {
            finish(fail('TB_PROVISION_CLOSED', { address: endpoint.address, device: deviceName }));
        });
    });
}

function interpret(response: ProvisionResponse, request: DeviceApiProvisionRequest, endpoint: Endpoint): ProvisionOutcome {
    const { deviceName, certificate } = request;
    const reason = typeof response.errorMsg === 'string' && response.errorMsg ? response.errorMsg : String(response.status);
    switch (response.status) {
        case 'SUCCESS':
            break;
        case 'NOT_FOUND':
            throw fail('TB_PROVISION_NOT_FOUND', { reason });
        case 'FAILURE':
            throw fail('TB_PROVISION_FAILURE', { device: deviceName, reason });
        default:
            throw fail('TB_PROVISION_BAD_RESPONSE', {
                address: endpoint.address,
                device: deviceName,
                reason: `status ${JSON.stringify(response.status ?? null)}`,
            });
    }
    // The server stores what `hash` carried; make sure it is the certificate we sent.
    const value = typeof response.credentialsValue === 'string' ? stripPem(response.credentialsValue) : undefined;
    if (response.credentialsType !== 'X509_CERTIFICATE' || (value !== undefined && value !== certificate.leafDerBase64)) {
        throw fail('TB_PROVISION_BAD_RESPONSE', {
            address: endpoint.address,
            device: deviceName,
            reason: `credentials of type ${String(response.credentialsType)} that are not the certificate sent`,
        });
    }
    return {
        result: { deviceId: null, deviceName, created: true, credentialsType: 'X509_CERTIFICATE' },
        credentialsId: certificate.credentialsId,
    };
}

function stripPem(value: string): string {
    return value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
