import * as net from 'net';
import * as tls from 'tls';
import type { ConfigSettings } from '../config-settings';
import type { LoadedIdentity } from './loaded-identity';

export interface ClientTlsInput {
    settings: ConfigSettings;
    /** the client identity for mutual TLS; omitted for server-only TLS (e.g. REST) */
    identity?: Pick<LoadedIdentity, 'certPem' | 'keyPem'>;
    /** PEM CA chain; when omitted Node's default (system/bundled) trust store is used */
    caPem?: string;
}

/**
 * TLS options to connect to the config's server (MQTT broker or REST endpoint), as
 * `tls.connect` / mqtt.js / https.Agent take them.
 *
 * Host-name checking: SNI cannot carry an IP address, so an IP host sends no SNI and Node
 * checks the IP against the certificate's IP SANs. A `servername` override that is an IP
 * is checked the same way, through checkServerIdentity.
 */
export function clientTlsOptions({ settings, identity, caPem }: ClientTlsInput): tls.ConnectionOptions {
    const options: tls.ConnectionOptions = {
        rejectUnauthorized: settings.verifyServer,
        minVersion: 'TLSv1.2',
    };
    if (caPem) options.ca = caPem;
    if (identity) {
        options.cert = identity.certPem;
        options.key = identity.keyPem;
    }
    const checkName = settings.servername ?? settings.host;
    if (checkName && !net.isIP(checkName)) {
        options.servername = checkName;
    } else if (settings.servername) {
        const expected = settings.servername;
        options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(expected, cert);
    }
    return options;
}
