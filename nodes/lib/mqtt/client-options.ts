/**
 * The mqtt.js client of one connection attempt: its options, and how it ends.
 */
import type * as mqtt from 'mqtt';
import type { ConfigSettings } from '../config-settings';
import type { LoadedIdentity } from '../pki/loaded-identity';
import { clientTlsOptions } from '../pki/tls-options';
import type { Failure } from './failure';

export interface ClientOptionsInput {
    settings: ConfigSettings;
    identity: LoadedIdentity;
    caPem: string | undefined;
    clientId: string;
    protocolVersion: 4 | 5;
    connectTimeoutMs: number;
}

/** Options for mqtt.connect: TLS with the identity, reconnects left to the caller. */
export function mqttClientOptions(input: ClientOptionsInput): mqtt.IClientOptions {
    const { settings, identity, caPem } = input;
    return {
        protocol: 'mqtts',
        host: settings.host,
        port: settings.port,
        clientId: input.clientId,
        protocolVersion: input.protocolVersion,
        keepalive: settings.keepalive,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: input.connectTimeoutMs,
        queueQoSZero: false,
        resubscribe: false,
        // mqtt.js otherwise clears and re-arms its keepalive timer (and reads the clock) for
        // every PUBACK; without it a PINGREQ simply goes out every keepalive period, busy or
        // not, and a missing PINGRESP still ends the connection
        reschedulePings: false,
        // mqtt.js asks `debug` whether to log ~10 times per message; with DEBUG unset
        // nothing would be printed anyway (set DEBUG=mqttjs* to get its log back)
        ...(process.env.DEBUG ? {} : { log: noLog }),
        // mqtt.js types cert/key/ca slightly narrower than tls.ConnectionOptions; the values are PEM strings
        ...(clientTlsOptions({ settings, identity, caPem }) as Partial<mqtt.IClientOptions>),
    };
}

function noLog(): void {
    // mqtt.js debug output is off unless DEBUG is set
}

/** Ends a client: waits up to `graceMs` for in-flight acknowledgements, then forces it. */
export function endClient(client: mqtt.MqttClient, graceMs: number): Promise<void> {
    return new Promise((resolve) => {
        client.on('error', () => undefined);
        if (graceMs <= 0) {
            client.end(true, () => resolve());
            return;
        }
        const force = setTimeout(() => {
            client.stream?.destroy();
            resolve();
        }, graceMs);
        force.unref();
        client.end(false, () => {
            clearTimeout(force);
            resolve();
        });
    });
}

/** What an attempt connects with, or why it cannot start. */
export type AttemptMaterial = { identity: LoadedIdentity; caPem: string | undefined } | { failure: Failure };

/** Reads the identity and CA chain for one attempt; unusable material is a permanent failure. */
export async function attemptMaterial(
    lookup: { current(): Promise<LoadedIdentity | undefined>; caChain(): Promise<string | undefined> },
    settings: ConfigSettings,
): Promise<AttemptMaterial> {
    let identity: LoadedIdentity | undefined;
    let caPem: string | undefined;
    try {
        identity = await lookup.current();
        caPem = identity ? await lookup.caChain() : undefined;
    } catch (err) {
        return { failure: { class: 'permanent', status: 'mqtt-identity-unusable', detail: errorText(err) } };
    }
    if (!identity) return { failure: { class: 'permanent', status: 'mqtt-no-identity', detail: 'no certificate and key' } };
    if (!settings.host) return { failure: { class: 'permanent', status: 'mqtt-host-not-found', detail: 'the Host field is empty' } };
    return { identity, caPem };
}

export function errorText(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
