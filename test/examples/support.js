'use strict';
// Runs example flows the way a user does: examples/*.json deployed in a real Node-RED (the node-red
// binary, with the package linked into its user dir), config pointed at a local tbsim by changing
// only host, port and REST URL, tbsim's CA and tenant login in the credentials file.
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const os = require('os');
const path = require('path');
const WebSocket = require('ws'); // Node-RED's own dependency: the editor's comms protocol
const { startNodeRed, freePort } = require('../package/processes');

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const { startTbsim } = require(path.join(dist, 'tools', 'tbsim', 'index.js'));
const { prepareUserDir, DEMO_CREDENTIAL_SECRET } = require(path.join(dist, 'tools', 'demo', 'user-dir.js'));
const credentialsFile = require(path.join(dist, 'tools', 'demo', 'credentials-file.js'));

/** The Node-RED under test: the devDependency, or TB_NODE_RED_DIR's (scripts/test-node-red-5.sh). */
function nodeRedUnderTest() {
    return process.env.TB_NODE_RED_DIR ? { nodeRedDir: path.resolve(process.env.TB_NODE_RED_DIR) } : {};
}

/** Polls `probe` until it returns something truthy; on timeout, `context()` explains what was seen. */
async function waitFor(what, probe, timeoutMs = 30000, context = () => '') {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** A fresh user dir holding `examples`, deployed in a started Node-RED. `extraCredentials` by node id. */
async function deployExamples(tbsim, examples, extraCredentials = {}) {
    const userDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tb-x509-example-'));
    const { configIds } = prepareUserDir({
        userDir,
        packageRoot: root,
        server: { host: tbsim.mqttHost, port: tbsim.mqttPort, restUrl: tbsim.restUrl },
        caPem: tbsim.caPem,
        tenant: tbsim.tenant,
        examples,
    });
    if (Object.keys(extraCredentials).length > 0) {
        const file = path.join(userDir, 'flows_cred.json');
        const creds = credentialsFile.readCredentialsFile(file, DEMO_CREDENTIAL_SECRET);
        for (const [id, extra] of Object.entries(extraCredentials)) creds[id] = { ...creds[id], ...extra };
        credentialsFile.writeCredentialsFile(file, DEMO_CREDENTIAL_SECRET, creds);
    }
    const start = async () => startNodeRed({ userDir, port: await freePort(), ...nodeRedUnderTest() });
    let nodeRed = await start();
    return {
        userDir,
        configIds,
        url: () => nodeRed.url,
        output: () => nodeRed.output(),
        async restart() {
            await nodeRed.stop();
            nodeRed = await start();
        },
        async stop() {
            await nodeRed.stop();
            await fs.promises.rm(userDir, { recursive: true, force: true });
        },
    };
}

/**
 * What the editor sees over its comms websocket: node statuses (retained, so the latest one of each
 * node arrives even when it was set before we connected) and debug sidebar messages.
 */
async function watchEditor(nodeRedUrl) {
    const ws = new WebSocket(nodeRedUrl.replace(/^http/, 'ws') + 'comms');
    const statuses = new Map();
    const debug = [];
    ws.on('message', (data) => {
        for (const { topic, data: payload } of [].concat(JSON.parse(String(data)))) {
            if (topic === 'debug') debug.push(payload);
            else if (topic && topic.startsWith('status/')) statuses.set(topic.slice('status/'.length), payload);
        }
    });
    await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
    });
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    ws.send(JSON.stringify({ subscribe: 'debug' }));
    return { statuses, debug, close: () => ws.close() };
}

/** ThingsBoard's X.509 credentials id, computed here independently: sha3-256 of base64(DER(leaf)). */
function credentialsIdOf(certPem) {
    const der = new crypto.X509Certificate(certPem).raw;
    return crypto.createHash('sha3-256').update(der.toString('base64')).digest('hex');
}

function httpsJson(tbsim, method, apiPath, body, authorization) {
    const url = new URL(tbsim.restUrl + apiPath);
    return new Promise((resolve, reject) => {
        const req = https.request(url, {
            method,
            ca: tbsim.caPem,
            headers: { 'Content-Type': 'application/json', ...(authorization ? { 'X-Authorization': authorization } : {}) },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (text += c));
            res.on('end', () => {
                if (res.statusCode >= 300) return reject(new Error(`${method} ${apiPath}: ${res.statusCode} ${text}`));
                resolve(text ? JSON.parse(text) : null);
            });
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

/**
 * A JSON call to tbsim's REST API as the tenant (what an operator does in the ThingsBoard UI). It logs in
 * for each call, which every release accepts (API keys exist only from 4.3).
 */
async function rest(tbsim, method, apiPath, body) {
    const { token } = await httpsJson(tbsim, 'POST', '/api/auth/login', tbsim.tenant);
    return httpsJson(tbsim, method, apiPath, body, `Bearer ${token}`);
}

module.exports = { root, startTbsim, deployExamples, watchEditor, waitFor, credentialsIdOf, rest, nodeRedUnderTest };
