import { X509Certificate } from 'crypto';
import * as net from 'net';
import { linksVerify } from './mqtt-tls';

// MqttSslHandlerProvider.validateCertificateChain (reference §2.2, §9.4) checks the client's chain in the order the
// client SENT it: chain[i] must be signed by chain[i+1], else the trust manager throws and JSSE fails the handshake
// with a fatal certificate_unknown alert (CertificateMessage.checkClientCerts). A Node TLS server cannot see that
// order (getPeerCertificate rebuilds the chain by issuer and drops strays), so this loopback relay sits in front of
// the TLS listener on the public MQTT port and reads the client's Certificate handshake message, which TLS 1.2 sends
// in the clear. Deliberate deviation: tbsim's MQTT listener therefore serves TLS 1.2 at most; ThingsBoard also
// allows TLS 1.3 (SSLP enables every protocol the JDK supports).

const RECORD_CHANGE_CIPHER_SPEC = 20;
const RECORD_ALERT = 21;
const RECORD_HANDSHAKE = 22;
const RECORD_APPLICATION_DATA = 23;
const HANDSHAKE_CERTIFICATE = 11;
/** fatal (2) certificate_unknown (46), as a TLS 1.2 record */
const CERTIFICATE_UNKNOWN_ALERT = Buffer.from([RECORD_ALERT, 0x03, 0x03, 0x00, 0x02, 0x02, 46]);

/** The certificates of a TLS 1.2 Certificate message body, in the order sent. */
export function certificateList(body: Buffer): Buffer[] {
    const certs: Buffer[] = [];
    if (body.length < 3) return certs;
    const total = body.readUIntBE(0, 3);
    let at = 3;
    while (at + 3 <= Math.min(body.length, 3 + total)) {
        const len = body.readUIntBE(at, 3);
        certs.push(body.subarray(at + 3, at + 3 + len));
        at += 3 + len;
    }
    return certs;
}

/** True when the certificates sent link in order (one certificate, or none, always passes). */
export function sentChainLinks(ders: Buffer[]): boolean {
    if (ders.length < 2) return true;
    try {
        return linksVerify(ders.map((der) => new X509Certificate(der)));
    } catch {
        return false; // a certificate that does not even parse
    }
}

/** Watches the client's bytes up to its ChangeCipherSpec; everything after passes untouched. */
export class ClientHandshakeWatch {
    private records = Buffer.alloc(0);
    private handshake = Buffer.alloc(0);
    done = false;

    /** Returns the bytes that may go on to the TLS listener, or 'reject' when the sent chain does not link. */
    feed(chunk: Buffer): Buffer | 'reject' {
        if (this.done) return chunk;
        this.records = Buffer.concat([this.records, chunk]);
        let forward = 0;
        while (!this.done && this.records.length - forward >= 5) {
            const type = this.records[forward];
            if (type < RECORD_CHANGE_CIPHER_SPEC || type > RECORD_APPLICATION_DATA) {
                this.done = true; // not TLS at all: the listener refuses it as ThingsBoard's does (NotSslRecordException)
                break;
            }
            const length = this.records.readUInt16BE(forward + 3);
            if (this.records.length - forward < 5 + length) break;
            if (type === RECORD_HANDSHAKE && this.handshakeRecord(this.records.subarray(forward + 5, forward + 5 + length)) === 'reject') {
                return 'reject';
            }
            if (type === RECORD_CHANGE_CIPHER_SPEC) this.done = true; // the rest of the handshake is encrypted
            forward += 5 + length;
        }
        const out = this.done ? this.records : this.records.subarray(0, forward);
        this.records = this.done ? Buffer.alloc(0) : this.records.subarray(forward);
        return out;
    }

    private handshakeRecord(fragment: Buffer): 'ok' | 'reject' {
        this.handshake = Buffer.concat([this.handshake, fragment]);
        while (this.handshake.length >= 4) {
            const length = this.handshake.readUIntBE(1, 3);
            if (this.handshake.length < 4 + length) break;
            const type = this.handshake[0];
            const body = this.handshake.subarray(4, 4 + length);
            this.handshake = this.handshake.subarray(4 + length);
            if (type === HANDSHAKE_CERTIFICATE && !sentChainLinks(certificateList(body))) return 'reject';
        }
        return 'ok';
    }
}

export class ChainOrderRelay {
    readonly server: net.Server;
    private readonly sockets = new Set<net.Socket>();

    constructor(
        private readonly upstream: () => { host: string; port: number },
        private readonly log: (line: string) => void,
    ) {
        this.server = net.createServer({ noDelay: true }, (client) => this.relay(client));
    }

    private relay(client: net.Socket): void {
        const target = this.upstream();
        const tlsSide = net.connect({ port: target.port, host: target.host, noDelay: true });
        const watch = new ClientHandshakeWatch();
        let rejected = false;
        for (const s of [client, tlsSide]) {
            this.sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => {
                this.sockets.delete(s);
                (s === client ? tlsSide : client).destroy();
            });
        }
        client.on('data', (chunk: Buffer) => {
            if (rejected) return;
            const out = watch.feed(chunk);
            if (out === 'reject') {
                rejected = true;
                this.log('MQTT TLS handshake failed: the client certificate chain is not in leaf-to-issuer order (Invalid Chain of X509 Certificates)');
                tlsSide.destroy();
                client.end(CERTIFICATE_UNKNOWN_ALERT);
                setTimeout(() => client.destroy(), 1000).unref();
                return;
            }
            if (out.length > 0) tlsSide.write(out);
        });
        tlsSide.on('data', (chunk: Buffer) => client.write(chunk));
        client.on('end', () => tlsSide.end());
        tlsSide.on('end', () => client.end());
    }

    close(): Promise<void> {
        return new Promise((resolve) => {
            this.server.close(() => resolve());
            for (const s of this.sockets) s.destroy();
        });
    }
}
