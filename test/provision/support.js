'use strict';
// Shared by the tb-provision tests: certificates made by openssl (independent of the
// package's own pki code), the ThingsBoard stand-in, a flow with one config and one
// tb-provision node, and a way to push a msg through it and see what came out.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const net = require('net');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { helper, nodes, dist } = require('../support/node-red');
const { selfSignedEc } = require('../support/openssl');

const PROVISION_NODES = [nodes.config, nodes.provision];

function tempDir(prefix = 'tb-provision-') {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function openssl(args, options = {}) {
    return execFileSync('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
}

/** An EC P-256 key and self-signed certificate for `cn`, made by openssl. */
function selfSigned(dir, cn) {
    const base = path.join(dir, cn.replace(/[^\w.-]/g, '_'));
    selfSignedEc({ keyFile: `${base}.key`, certFile: `${base}.crt`, commonName: cn });
    return certFiles(base);
}

/** A CA and a leaf signed by it; `chainPem` = leaf then CA, as a device would present it. */
function signedByCa(dir, cn) {
    const ca = path.join(dir, `ca-${cn}`);
    selfSignedEc({ keyFile: `${ca}.key`, certFile: `${ca}.crt`, commonName: `ca for ${cn}` });
    const leaf = path.join(dir, cn);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${cn}`]);
    openssl(['x509', '-req', '-in', `${leaf}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
        '-CAcreateserial', '-out', `${leaf}.crt`, '-days', '30']);
    const files = certFiles(leaf);
    return { ...files, caPem: fs.readFileSync(`${ca}.crt`, 'utf8'), chainPem: files.certPem + fs.readFileSync(`${ca}.crt`, 'utf8') };
}

function certFiles(base) {
    const certPem = fs.readFileSync(`${base}.crt`, 'utf8');
    const leafBase64 = openssl(['x509', '-in', `${base}.crt`, '-outform', 'DER']).toString('base64');
    return {
        certFile: `${base}.crt`,
        keyFile: `${base}.key`,
        certPem,
        keyPem: fs.readFileSync(`${base}.key`, 'utf8'),
        leafBase64,
        // ThingsBoard's credentialsId, computed here from openssl's DER (reference §2.4)
        credentialsId: crypto.createHash('sha3-256').update(leafBase64).digest('hex'),
    };
}

async function startSim(options = {}) {
    const { startTbsim } = require(path.join(dist, '..', 'tools', 'tbsim', 'index.js'));
    return startTbsim({ provisionResponseCloseMs: 500, ...options });
}

/**
 * The mocha hooks of a describe that runs flows against the stand-in: the test helper's
 * Node-RED, one tbsim and one temp dir for the whole describe (handed to `onReady` once
 * started), flows unloaded after each test, all stopped and removed after the last test.
 */
function useSimAndNodeRed(onReady, { dirPrefix, simOptions } = {}) {
    const env = { sim: undefined, dir: undefined };
    before(async function () {
        await helper.startServer();
        env.sim = await startSim(simOptions);
        env.dir = tempDir(dirPrefix);
        await onReady(env);
    });
    after(async function () {
        await helper.stopServer();
        if (env.sim) await env.sim.stop();
        if (env.dir) fs.rmSync(env.dir, { recursive: true, force: true });
    });
    afterEach(() => helper.unload());
    return env;
}

/** A port on loopback where nothing listens (bound, then released). */
function closedPort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

function httpsJson(sim, method, urlPath, body, authorization) {
    return new Promise((resolve, reject) => {
        const url = new URL(urlPath, sim.restUrl);
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = https.request(url, {
            method,
            ca: sim.caPem,
            headers: {
                ...(authorization ? { 'X-Authorization': authorization } : {}),
                Accept: 'application/json',
                ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
            },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => { text += chunk; });
            res.on('end', () => {
                let json;
                try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
                resolve({ status: res.statusCode, body: json });
            });
        });
        req.on('error', reject);
        req.end(data);
    });
}

// The tenant's bearer token per stand-in: a login works on every release (API keys only from 4.3).
const tenantTokens = new WeakMap();

async function tenantAuthorization(sim, fresh) {
    if (!fresh && tenantTokens.has(sim)) return tenantTokens.get(sim);
    const login = await httpsJson(sim, 'POST', '/api/auth/login', { username: sim.tenant.username, password: sim.tenant.password });
    assert.strictEqual(login.status, 200, `tenant login: ${JSON.stringify(login.body)}`);
    const authorization = `Bearer ${login.body.token}`;
    tenantTokens.set(sim, authorization);
    return authorization;
}

/** An authenticated REST call to the stand-in as the tenant, a test's independent client. */
async function simRest(sim, method, urlPath, body) {
    const answer = await httpsJson(sim, method, urlPath, body, await tenantAuthorization(sim, false));
    if (answer.status !== 401) return answer;
    return httpsJson(sim, method, urlPath, body, await tenantAuthorization(sim, true));
}

/**
 * Loads config `cfg` + tb-provision `prov` (+ helper `out`). `config` and `provision`
 * override node properties; `configCredentials` default to the sim's tenant login and CA.
 */
async function loadProvisionFlow(sim, { config = {}, provision = {}, configCredentials, provisionCredentials = {} } = {}) {
    const flow = [
        {
            id: 'cfg', type: 'tb-x509-config', name: 'tbsim', host: sim ? sim.mqttHost : '127.0.0.1',
            port: sim ? String(sim.mqttPort) : '8883', restUrl: sim ? sim.restUrl : '', ...config,
        },
        { id: 'prov', type: 'tb-provision', config: 'cfg', deviceName: 'deviceName', deviceNameType: 'msg', wires: [['out']], ...provision },
        { id: 'out', type: 'helper' },
    ];
    const credentials = {
        cfg: configCredentials ?? { ca: sim.caPem, username: sim.tenant.username, password: sim.tenant.password },
        prov: provisionCredentials,
    };
    await helper.load(PROVISION_NODES, flow, credentials);
    // concurrent tests of one node add a listener per msg
    helper.getNode('prov').setMaxListeners(0);
    helper.getNode('out').setMaxListeners(0);
    return { prov: helper.getNode('prov'), out: helper.getNode('out'), cfg: helper.getNode('cfg') };
}

/** Resolves {msg} when tb-provision sends, {error, msg} when it reports done(err). Correlated by _msgid. */
function provisionOnce({ prov, out }, msg) {
    const id = crypto.randomUUID();
    return new Promise((resolve) => {
        const onOutput = (sent) => {
            if (sent._msgid !== id) return;
            cleanup();
            resolve({ msg: sent });
        };
        const onError = (call) => {
            const failedMsg = call.args[1];
            if (!failedMsg || failedMsg._msgid !== id) return;
            cleanup();
            resolve({ error: call.args[0], msg: failedMsg });
        };
        const cleanup = () => {
            out.removeListener('input', onOutput);
            prov.removeListener('call:error', onError);
        };
        out.on('input', onOutput);
        prov.on('call:error', onError);
        prov.receive({ _msgid: id, ...msg });
    });
}

/**
 * provisionOnce, expecting failure: returns the error tb-provision reported with done(err), as a
 * Catch node gets it: the user's text in `message`, the refusal's `code` and `params` beside it
 * (judge it with coded() of test/support/errors.js).
 */
async function provisionError(flow, msg) {
    const result = await provisionOnce(flow, msg);
    assert.ok(result.error, `expected an error, got ${JSON.stringify(result.msg && result.msg.payload)}`);
    assert.ok(result.error instanceof Error, `done(err) reports an Error, not ${JSON.stringify(result.error)}`);
    return result.error;
}

/** `secret` appears nowhere in `err`: neither in its text nor in its parameters. */
function assertNoSecret(err, secret) {
    assert.ok(secret && secret.length >= 8, 'a secret worth looking for');
    assert.ok(!String(err.message).includes(secret), 'the secret is not in the error text');
    assert.ok(!JSON.stringify(err.params || {}).includes(secret), 'the secret is not in the error parameters');
}

/** provisionOnce, expecting success: returns the output msg. */
async function provisionOk(flow, msg) {
    const result = await provisionOnce(flow, msg);
    assert.ok(!result.error, `expected success, got: ${result.error && (result.error.message || result.error)}`);
    return result.msg;
}

/** Every status `node` sets from now on, in order (the helper reports them a tick later). */
function recordStatus(node) {
    const seen = [];
    node.on('call:status', (call) => seen.push(call.args[0]));
    return seen;
}

module.exports = {
    helper, nodes, PROVISION_NODES, tempDir, openssl, selfSigned, signedByCa, startSim, useSimAndNodeRed, closedPort, simRest,
    loadProvisionFlow, provisionOnce, provisionError, assertNoSecret, provisionOk, recordStatus,
};
