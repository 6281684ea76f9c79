'use strict';
// The real openssl CLI as an independent judge of key material, plus temp-dir helpers.
const { execFile, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { tempDir, removeDir } = require('./temp');

/** Runs openssl; resolves { stdout, stderr }, rejects with stderr in the message. `input` is fed to stdin. */
function openssl(args, { input, cwd, encoding = 'utf8' } = {}) {
    return new Promise((resolve, reject) => {
        const child = execFile('openssl', args, { cwd, encoding, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err) {
                err.message = `openssl ${args.join(' ')} failed: ${stderr || err.message}`;
                reject(err);
            } else {
                resolve({ stdout, stderr });
            }
        });
        if (input !== undefined) child.stdin.end(input);
    });
}

/** Runs openssl synchronously and returns its stdout (a Buffer); throws with stderr in the message. */
function opensslSync(args, { cwd, input } = {}) {
    try {
        return execFileSync('openssl', args, { cwd, input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
        err.message = `openssl ${args.join(' ')} failed: ${err.stderr ? err.stderr.toString() : err.message}`;
        throw err;
    }
}

/**
 * ThingsBoard's credentialsId of the certificate in `certFile`, computed without the code under
 * test: SHA3-256 hex of base64 of the DER openssl writes (reference §2.4).
 */
function opensslCredentialsId(certFile) {
    const der = opensslSync(['x509', '-in', certFile, '-outform', 'DER']);
    return crypto.createHash('sha3-256').update(der.toString('base64')).digest('hex');
}

/** Writes `files` ({ name: text }) into `dir`, returns their paths by name. */
function writeFiles(dir, files) {
    const paths = {};
    for (const [name, text] of Object.entries(files)) {
        paths[name] = path.join(dir, name);
        fs.writeFileSync(paths[name], text);
    }
    return paths;
}

/**
 * An openssl-made identity in `dir`: `<name>.key` (PKCS#8, unencrypted) and a self-signed
 * `<name>.crt`. keyType 'ec' (P-256) or 'rsa' (2048).
 */
async function makeIdentity(dir, name, { keyType = 'ec', commonName = name, days = 30, ca = false } = {}) {
    const key = path.join(dir, `${name}.key`);
    const crt = path.join(dir, `${name}.crt`);
    const newkey = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
    const caArgs = ca ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'] : [];
    await openssl(['req', '-x509', ...newkey, '-nodes', '-subj', `/CN=${commonName}`, '-days', String(days), ...caArgs, '-keyout', key, '-out', crt]);
    return { key, crt, keyPem: fs.readFileSync(key, 'utf8'), certPem: fs.readFileSync(crt, 'utf8') };
}

/**
 * An EC P-256 identity signed by `issuer` (an identity from makeIdentity made with `ca: true`),
 * the way `openssl req -new` + `openssl x509 -req -CA` make one by hand.
 */
async function makeSignedIdentity(dir, name, issuer, { commonName = name, days = 30 } = {}) {
    const key = path.join(dir, `${name}.key`);
    const csr = path.join(dir, `${name}.csr`);
    const crt = path.join(dir, `${name}.crt`);
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', key, '-out', csr]);
    await openssl(['x509', '-req', '-in', csr, '-CA', issuer.crt, '-CAkey', issuer.key, '-CAcreateserial', '-days', String(days), '-out', crt]);
    return { key, crt, keyPem: fs.readFileSync(key, 'utf8'), certPem: fs.readFileSync(crt, 'utf8') };
}

/**
 * A self-signed EC P-256 key and certificate made synchronously by openssl, the way a user
 * would make one by hand, written to `keyFile` / `certFile`. `extraArgs` go to `openssl req`.
 */
function selfSignedEc({ keyFile, certFile, commonName, days = 30, extraArgs = [] }) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', String(days), '-subj', `/CN=${commonName}`, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    return { keyPem: fs.readFileSync(keyFile, 'utf8'), certPem: fs.readFileSync(certFile, 'utf8') };
}

/** Text of a key in another format: 'pkcs1' (RSA) / 'sec1' (EC) traditional, or encrypted variants. */
async function convertKey(keyFile, format, { passphrase, keyType = 'ec' } = {}) {
    switch (format) {
        case 'traditional': // PKCS#1 for RSA, SEC1 for EC
            return (await openssl([keyType === 'ec' ? 'ec' : 'rsa', '-in', keyFile, ...(keyType === 'rsa' ? ['-traditional'] : [])])).stdout;
        case 'pkcs8-encrypted':
            return (await openssl(['pkcs8', '-topk8', '-in', keyFile, '-v2', 'aes-256-cbc', '-passout', `pass:${passphrase}`])).stdout;
        case 'legacy-encrypted': // Proc-Type: 4,ENCRYPTED
            return (
                await openssl([keyType === 'ec' ? 'ec' : 'rsa', '-in', keyFile, '-aes256', '-passout', `pass:${passphrase}`, ...(keyType === 'rsa' ? ['-traditional'] : [])])
            ).stdout;
        default:
            throw new Error(`unknown key format ${format}`);
    }
}

/** base64 of a PKCS#12 bundle made by `openssl pkcs12 -export` (extra args e.g. ['-legacy']). */
async function makePkcs12(keyFile, certFile, password, extra = [], chainFile) {
    const args = ['pkcs12', '-export', '-inkey', keyFile, '-in', certFile, '-passout', `pass:${password}`, ...extra];
    if (chainFile) args.push('-certfile', chainFile);
    const { stdout } = await openssl(args, { encoding: 'buffer' });
    return stdout.toString('base64');
}

/** Does this openssl support `pkcs12 -legacy`? (OpenSSL 3 with the legacy provider) */
module.exports = {
    openssl, opensslSync, opensslCredentialsId, tempDir, removeDir, writeFiles, makeIdentity, makeSignedIdentity, selfSignedEc, convertKey, makePkcs12,
};
