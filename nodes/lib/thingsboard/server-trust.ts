import * as tls from 'tls';
import type { ConfigSettings } from '../config-settings';
import { clientTlsOptions } from '../pki/tls-options';

/**
 * TLS options for talking to ThingsBoard without a client certificate (REST, and the
 * MQTT provisioning session). The config's CA chain is trusted IN ADDITION to the
 * bundled public roots: a self-hosted server needs its own CA, while the cloud's REST
 * host and MQTT host may be signed by different public CAs, and a CA pasted for one
 * must not make the other untrusted.
 *
 * `servername` in the config overrides the name checked for `settings.host`; it applies
 * to `host` only when that is the same host the config's MQTT settings name.
 */
export function serverTrustOptions(settings: ConfigSettings, host: string, caPem: string | undefined): tls.ConnectionOptions {
    const servername = host.toLowerCase() === settings.host.toLowerCase() ? settings.servername : undefined;
    const options = clientTlsOptions({ settings: { ...settings, host, servername } });
    if (caPem) options.ca = [...tls.rootCertificates, caPem];
    return options;
}
