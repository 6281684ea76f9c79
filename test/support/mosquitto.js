'use strict';
// A real, independent mutual-TLS broker for tests and benchmarks: Debian's mosquitto with
// require_certificate, and key material made by openssl (never by the code under test).
//
//   const pki = makePki(dir)            // server CA + server cert, device certs
//   const broker = await startMosquitto({ dir, pki })   // free loopback port
//   await broker.stop(); await broker.start();          // same port again
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { selfSignedEc, opensslSync } = require('./openssl');
const { tempDir: makeTempDir } = require('./temp');
const { freePort, waitForPort } = require('./ports');

/** A self-signed EC P-256 certificate + key, as an onboarding user would make with openssl. */
function selfSigned(dir, name, commonName, extraArgs = []) {
    const key = path.join(dir, `${name}.key`);
    const cert = path.join(dir, `${name}.pem`);
    return { key, cert, ...selfSignedEc({ keyFile: key, certFile: cert, commonName, extraArgs }) };
}

/**
 * Server CA, a server certificate for localhost/127.0.0.1, and device certificates.
 * `device` is trusted by the broker (in its cafile); `stranger` is not; `otherCa` is a CA
 * that did not sign the server (to test an untrusted server).
 */
function makePki(dir) {
    fs.mkdirSync(dir, { recursive: true });
    const ca = selfSigned(dir, 'ca', 'Test Server CA', ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const otherCa = selfSigned(dir, 'other-ca', 'Some Other CA', ['-addext', 'basicConstraints=critical,CA:TRUE']);
    const serverKey = path.join(dir, 'server.key');
    const serverCsr = path.join(dir, 'server.csr');
    const serverCert = path.join(dir, 'server.pem');
    const ext = path.join(dir, 'server.ext');
    fs.writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    opensslSync(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', serverKey,
        '-out', serverCsr, '-subj', '/CN=localhost'], { cwd: dir });
    opensslSync(['x509', '-req', '-in', serverCsr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', serverCert,
        '-days', '30', '-extfile', ext], { cwd: dir });
    const device = selfSigned(dir, 'device', 'bench-device');
    const device2 = selfSigned(dir, 'device2', 'second-device');
    const stranger = selfSigned(dir, 'stranger', 'unknown-device');
    // the broker trusts certificates listed in its cafile: the device certs, as for self-signed devices
    const clientCafile = path.join(dir, 'clients.pem');
    fs.writeFileSync(clientCafile, device.certPem + device2.certPem + ca.certPem);
    for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o644);
    fs.chmodSync(dir, 0o755);
    return { dir, ca, otherCa, serverCert, serverKey, clientCafile, device, device2, stranger };
}

/** Starts mosquitto with mutual TLS on a free loopback port; `start()`/`stop()` reuse that port. */
async function startMosquitto({ pki, port, persistence = false } = {}) {
    const conf = path.join(pki.dir, 'mosquitto.conf');
    const thePort = port || (await freePort());
    fs.writeFileSync(conf, [
        'user root',
        // persistence keeps a subscriber's session (and its queued messages) across a graceful restart
        persistence ? 'persistence true' : 'persistence false',
        ...(persistence ? [`persistence_location ${pki.dir}/`, 'autosave_interval 0'] : []),
        'log_dest none',
        `listener ${thePort} 127.0.0.1`,
        `cafile ${pki.clientCafile}`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        'require_certificate true',
        'use_identity_as_username true',
        'allow_anonymous true',
        'max_queued_messages 0',
        'max_inflight_messages 0',
        '',
    ].join('\n'));
    let child;
    let stderr = '';
    const broker = {
        port: thePort,
        host: '127.0.0.1',
        async start() {
            if (child) return;
            stderr = '';
            child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
            child.stderr.on('data', (d) => { stderr += d; });
            const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))));
            exited.catch(() => undefined);
            await Promise.race([waitForPort(thePort, 10000, `mosquitto on port ${thePort}`), exited]);
        },
        /** SIGTERM lets mosquitto save its persistence file; `{ crash: true }` kills it. */
        async stop({ crash = false } = {}) {
            if (!child) return;
            const c = child;
            child = undefined;
            if (c.exitCode !== null) return;
            await new Promise((resolve) => {
                c.once('exit', resolve);
                c.kill(crash ? 'SIGKILL' : 'SIGTERM');
            });
        },
    };
    await broker.start();
    return broker;
}

function tempDir(prefix = 'tbx509-mosq-') {
    return makeTempDir(prefix);
}

module.exports = { makePki, startMosquitto, freePort, tempDir, selfSigned };
