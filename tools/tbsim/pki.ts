import { generateKeyPair, randomBytes, X509Certificate } from 'crypto';
import { promisify } from 'util';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as forge from 'node-forge';

// tbsim's own PKI: a CA and a server certificate (localhost, 127.0.0.1, ::1) it signed, used for REST and MQTT TLS.
// Made once per data dir and reused, so a CA file handed to a client stays valid across restarts.
export interface ServerPki {
    caPem: string;
    caFile: string;
    certPem: string;
    keyPem: string;
}

const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' };

// Every data dir gets its own CA, so a test can rely on one tbsim's CA not trusting another's server.
export async function loadOrCreatePki(dataDir: string, opts: { extraNames?: string[] } = {}): Promise<ServerPki> {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = (name: string): string => path.join(dataDir, name);
    if ([FILES.ca, FILES.cert, FILES.key].every((f) => fs.existsSync(file(f)))) {
        return {
            caPem: fs.readFileSync(file(FILES.ca), 'utf8'),
            caFile: file(FILES.ca),
            certPem: fs.readFileSync(file(FILES.cert), 'utf8'),
            keyPem: fs.readFileSync(file(FILES.key), 'utf8'),
        };
    }
    const made = await generate(opts.extraNames ?? []);
    fs.writeFileSync(file(FILES.ca), made.caPem);
    fs.writeFileSync(file(FILES.caKey), made.caKeyPem, { mode: 0o600 });
    fs.writeFileSync(file(FILES.cert), made.certPem);
    fs.writeFileSync(file(FILES.key), made.keyPem, { mode: 0o600 });
    return { caPem: made.caPem, caFile: file(FILES.ca), certPem: made.certPem, keyPem: made.keyPem };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Native RSA generation off the event loop (node-forge only signs). */
async function rsaKeys(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string }> {
    const { privateKey } = await generateKeyPairAsync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const key = forge.pki.privateKeyFromPem(privateKey);
    return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

function serial(): string {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f; // positive
    return bytes.toString('hex');
}

async function generate(extraNames: string[]): Promise<Omit<ServerPki, 'caFile'> & { caKeyPem: string }> {
    const now = Date.now();
    const [caKeys, serverKeys] = await Promise.all([rsaKeys(), rsaKeys()]);
    const ca = forge.pki.createCertificate();
    ca.publicKey = caKeys.publicKey;
    ca.serialNumber = serial();
    ca.validity.notBefore = new Date(now - 24 * 3600e3);
    ca.validity.notAfter = new Date(now + 20 * 365 * 24 * 3600e3);
    const caSubject = [
        { name: 'commonName', value: 'tbsim local CA' },
        { name: 'organizationName', value: 'tbsim' },
    ];
    ca.setSubject(caSubject);
    ca.setIssuer(caSubject);
    ca.setExtensions([
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        { name: 'subjectKeyIdentifier' },
    ]);
    ca.sign(caKeys.privateKey, forge.md.sha256.create());

    const server = forge.pki.createCertificate();
    server.publicKey = serverKeys.publicKey;
    server.serialNumber = serial();
    server.validity.notBefore = new Date(now - 24 * 3600e3);
    server.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600e3);
    server.setSubject([{ name: 'commonName', value: 'localhost' }]);
    server.setIssuer(caSubject);
    const altNames: Array<{ type: number; value?: string; ip?: string }> = [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
    ];
    for (const name of extraNames) {
        if (name === 'localhost' || name === '127.0.0.1' || name === '::1' || name === '0.0.0.0' || name === '::') continue;
        altNames.push(net.isIP(name) ? { type: 7, ip: name } : { type: 2, value: name });
    }
    server.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    ]);
    server.sign(caKeys.privateKey, forge.md.sha256.create());
    const caPem = forge.pki.certificateToPem(ca);
    const certPem = forge.pki.certificateToPem(server);
    // Sanity check with Node's own parser: a broken certificate here would only show up as a confusing TLS error.
    if (!new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey)) {
        throw new Error('tbsim: generated server certificate does not verify against its CA');
    }
    return { caPem, caKeyPem: caKeys.pem, certPem, keyPem: serverKeys.pem };
}
