'use strict';
// Helpers for the tbsim tests: independent clients only (curl, openssl, mosquitto_pub, mqtt.js).
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const mqtt = require('mqtt');
const { startTbsim } = require('../../dist/tools/tbsim/index.js');
const { Release } = require('../../dist/tools/tbsim/release.js');
const { selfSignedEc } = require('../support/openssl');

function run(cmd, args, opts = {}) {
    return new Promise((resolve) => {
        execFile(cmd, args, { timeout: 20000, ...opts }, (err, stdout, stderr) => {
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
        });
    });
}

function tempDir(prefix = 'tbsim-test-') {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** curl against tbsim REST; returns {status, body (parsed JSON when possible), text}. */
async function curl(sim, method, urlPath, { headers = {}, body, auth } = {}) {
    const args = ['-s', '--cacert', sim.caFile, '-X', method, '-w', '\n%{http_code}'];
    if (auth) args.push('-H', auth);
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    if (body !== undefined) {
        args.push('-H', 'Content-Type: application/json', '--data-binary', typeof body === 'string' ? body : JSON.stringify(body));
    }
    args.push(sim.restUrl + urlPath);
    const { code, stdout, stderr } = await run('curl', args);
    if (code !== 0) throw new Error(`curl failed (${code}): ${stderr}`);
    const cut = stdout.lastIndexOf('\n');
    const text = stdout.slice(0, cut);
    const status = Number(stdout.slice(cut + 1));
    let parsed;
    try {
        parsed = text ? JSON.parse(text) : undefined;
    } catch {
        parsed = undefined;
    }
    return { status, body: parsed, text };
}

async function login(sim) {
    const res = await curl(sim, 'POST', '/api/auth/login', { body: sim.tenant });
    if (res.status !== 200) throw new Error(`login failed: ${res.text}`);
    return res.body;
}

const bearer = (token) => `X-Authorization: Bearer ${token}`;
const apiKey = (sim) => `X-Authorization: ApiKey ${sim.apiKey}`;
/** Tenant-admin auth header that works on every release: the API key from 4.3, a Bearer JWT before (no API keys). */
const adminAuth = (sim) => (new Release(sim.tbVersion).has('apiKeys') ? apiKey(sim) : bearer(sim.adminAccessToken()));

/** EC P-256 self-signed certificate and key made by openssl, as a device would bring. */
async function makeCert(dir, cn, extra = []) {
    const keyFile = path.join(dir, `${cn}-key.pem`);
    const certFile = path.join(dir, `${cn}.pem`);
    return { keyFile, certFile, ...selfSignedEc({ keyFile, certFile, commonName: cn, days: 2, extraArgs: extra }) };
}

/** ThingsBoard's credentials id computed with openssl alone: SHA3-256 of base64(DER). */
async function opensslCredentialsId(certFile) {
    const der = await new Promise((resolve, reject) => {
        execFile('openssl', ['x509', '-in', certFile, '-outform', 'DER'], { encoding: 'buffer' }, (err, stdout) =>
            err ? reject(err) : resolve(stdout),
        );
    });
    const b64File = `${certFile}.b64`;
    fs.writeFileSync(b64File, der.toString('base64'));
    const res = await run('openssl', ['dgst', '-sha3-256', '-r', b64File]);
    return res.stdout.split(' ')[0].trim();
}

async function registerCertificate(sim, name, certPem) {
    return curl(sim, 'POST', '/api/device-with-credentials', {
        auth: adminAuth(sim),
        body: { device: { name, type: 'default' }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: certPem } },
    });
}

/** mqtt.js client that reports everything and never reconnects. Resolves once CONNACK (or a refusal) arrived. */
function connectMqtt(sim, { cert, protocolVersion = 4, username, password, clientId, ca = sim.caPem } = {}) {
    const client = mqtt.connect({
        host: sim.mqttHost,
        port: sim.mqttPort,
        protocol: 'mqtts',
        ca,
        cert: cert && cert.certPem,
        key: cert && cert.keyPem,
        protocolVersion,
        username,
        password,
        clientId: clientId ?? `test-${Math.random().toString(16).slice(2)}`,
        reconnectPeriod: 0,
        connectTimeout: 10000,
    });
    const seen = { disconnects: [], errors: [], closed: false, messages: [] };
    client.seen = seen;
    client.on('disconnect', (p) => seen.disconnects.push(p.reasonCode));
    client.on('error', (e) => seen.errors.push(e));
    client.on('close', () => {
        seen.closed = true;
    });
    client.on('message', (topic, payload) => seen.messages.push({ topic, payload: payload.toString() }));
    return new Promise((resolve) => {
        client.once('connect', (connack) => resolve({ client, connack }));
        client.once('error', (err) => resolve({ client, error: err }));
        client.once('close', () => resolve({ client, closed: true }));
    });
}

function waitFor(predicate, ms = 5000, what = 'condition') {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
            let value;
            try {
                value = predicate();
            } catch (e) {
                return reject(e);
            }
            if (value) return resolve(value);
            if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
            setTimeout(tick, 20);
        };
        tick();
    });
}

function publish(client, topic, payload, opts = { qos: 1 }) {
    return new Promise((resolve) => client.publish(topic, payload, opts, (err, packet) => resolve({ err, packet })));
}

function end(client) {
    return new Promise((resolve) => client.end(true, {}, () => resolve()));
}

module.exports = {
    startTbsim,
    run,
    tempDir,
    curl,
    login,
    bearer,
    apiKey,
    adminAuth,
    makeCert,
    opensslCredentialsId,
    registerCertificate,
    connectMqtt,
    waitFor,
    publish,
    end,
};

/**
 * A bare MQTT session over TLS that records every packet the server sends, for exact protocol checks
 * (e.g. CONNACK followed by DISCONNECT, which a full client may not surface).
 */
function rawSession(sim, { protocolVersion = 4, cert, connect = {} } = {}) {
    const tls = require('tls');
    const mqttPacket = require('mqtt-packet');
    const socket = tls.connect({ host: sim.mqttHost, port: sim.mqttPort, ca: sim.caPem, cert: cert && cert.certPem, key: cert && cert.keyPem });
    const parser = mqttPacket.parser({ protocolVersion });
    const session = { packets: [], closed: false, socket };
    parser.on('packet', (p) => session.packets.push(p));
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => undefined);
    session.closedPromise = new Promise((resolve) => socket.on('close', () => {
        session.closed = true;
        resolve();
    }));
    session.send = (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion }));
    socket.once('secureConnect', () =>
        session.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId: 'raw-' + Math.random().toString(16).slice(2), keepalive: 30, ...connect }),
    );
    return session;
}
module.exports.rawSession = rawSession;

/** A self-signed RSA certificate whose validity ended in 2021 (openssl 3.0 cannot back-date `req -x509`). */
function makeExpiredCert(dir, cn) {
    const crypto = require('crypto');
    const forge = require('node-forge');
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const key = forge.pki.privateKeyFromPem(privateKey);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date('2020-01-01T00:00:00Z');
    cert.validity.notAfter = new Date('2021-01-01T00:00:00Z');
    cert.setSubject([{ name: 'commonName', value: cn }]);
    cert.setIssuer([{ name: 'commonName', value: cn }]);
    cert.sign(key, forge.md.sha256.create());
    const certPem = forge.pki.certificateToPem(cert);
    const certFile = path.join(dir, `${cn}.pem`);
    const keyFile = path.join(dir, `${cn}-key.pem`);
    fs.writeFileSync(certFile, certPem);
    fs.writeFileSync(keyFile, privateKey);
    return { certPem, keyPem: privateKey, certFile, keyFile };
}
module.exports.makeExpiredCert = makeExpiredCert;

/** Resolves with the first packet the raw session received that matches `predicate` (rejects after `ms`). */
function waitPacket(session, predicate, what = 'packet', ms = 5000) {
    return waitFor(() => session.packets.find(predicate), ms, what);
}
module.exports.waitPacket = waitPacket;

/** A raw session that has its CONNACK; `connack` is that packet. */
async function connectedRaw(sim, opts) {
    const session = rawSession(sim, opts);
    session.connack = await waitFor(() => session.packets.find((p) => p.cmd === 'connack') || (session.closed && { cmd: 'closed' }), 5000, 'connack');
    return session;
}
module.exports.connectedRaw = connectedRaw;

/** A device with openssl-made X.509 credentials, registered over REST; `additionalInfo` e.g. { gateway: true }. */
async function x509Device(sim, dir, name, additionalInfo) {
    const cert = await makeCert(dir, name);
    const res = await curl(sim, 'POST', '/api/device-with-credentials', {
        auth: adminAuth(sim),
        body: { device: { name, additionalInfo }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
    });
    if (res.status !== 200) throw new Error(`registering ${name} failed: ${res.text}`);
    return { cert, deviceId: res.body.id.id, device: res.body };
}
module.exports.x509Device = x509Device;
