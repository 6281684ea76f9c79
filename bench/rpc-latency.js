#!/usr/bin/env node
'use strict';
// Two-way RPC latency against tbsim, end to end: REST POST /api/rpc/twoway/{deviceId} → the device's MQTT
// session → a responder → v1/devices/me/rpc/response/{id} → the REST answer. Two responders, in one run:
//   node — tb-x509-mqtt-in (mode rpc) → tb-x509-mqtt-out (target rpc-response) in a real Node-RED runtime
//   bare — a bare mqtt.js 5 client that answers in its message handler
// Calls alternate between the two (one node call, one bare call, …) so both see the same machine load;
// each is timed from the REST request until its answer. Prints p50/p99 of each and the p50 ratio.
//
//   node bench/rpc-latency.js [--count 1000]
// Build first: npm run build
const fs = require('fs');
const https = require('https');
const path = require('path');
const mqtt = require('mqtt');
const { startNodeRed, waitFor } = require('./lib/harness');
const { tempDir, makeCert, curl, login, bearer } = require('../test/tbsim/support');
const { startTbsim } = require('../dist/tools/tbsim/index.js');

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function percentile(values, p) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function register(sim, dir, name, auth) {
    const cert = await makeCert(dir, name);
    const res = await curl(sim, 'POST', '/api/device-with-credentials', {
        auth,
        body: { device: { name }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
    });
    if (res.status !== 200) throw new Error(`registering ${name} failed: ${res.text}`);
    return { ...cert, deviceId: res.body.id.id };
}

/** One REST two-way RPC on a keep-alive connection; resolves with [ms, answer]. */
function twoWay(sim, agent, token, deviceId, params) {
    const body = Buffer.from(JSON.stringify({ method: 'echo', params, timeout: 10000 }));
    const url = new URL(`/api/rpc/twoway/${deviceId}`, sim.restUrl);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        const req = https.request(url, {
            method: 'POST', agent, ca: sim.caPem,
            headers: { 'X-Authorization': `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': body.length },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (text += c));
            res.on('end', () => {
                const ms = Number(process.hrtime.bigint() - started) / 1e6;
                if (res.statusCode !== 200) return reject(new Error(`RPC to ${deviceId}: ${res.statusCode} ${text}`));
                resolve([ms, JSON.parse(text)]);
            });
        });
        req.on('error', reject);
        req.end(body);
    });
}

async function main() {
    const count = arg('count', 1000);
    const dir = tempDir('rpc-latency-');
    const sim = await startTbsim({});
    let nr;
    let bare;
    try {
        const { token } = await login(sim);
        const auth = bearer(token);
        const ours = await register(sim, dir, 'rpc-bench-node', auth);
        const theirs = await register(sim, dir, 'rpc-bench-bare', auth);
        const caFile = path.join(dir, 'ca.pem');
        fs.writeFileSync(caFile, sim.caPem);

        nr = await startNodeRed([
            { id: 'tab', type: 'tab', label: 'rpc bench' },
            { id: 'cfg', type: 'tb-x509-config', name: 'bench', host: 'localhost', port: String(sim.mqttPort), keepalive: '60', caFile, certFile: ours.certFile, keyFile: ours.keyFile },
            { id: 'in', z: 'tab', type: 'tb-x509-mqtt-in', x: 100, y: 100, config: 'cfg', mode: 'rpc', wires: [['out']] },
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', x: 300, y: 100, config: 'cfg', target: 'rpc-response', qos: '1', key: '', queueSize: '1000', wires: [] },
        ]);
        bare = mqtt.connect({
            protocol: 'mqtts', host: 'localhost', port: sim.mqttPort, protocolVersion: 5, ca: sim.caPem,
            cert: fs.readFileSync(theirs.certFile), key: fs.readFileSync(theirs.keyFile), reconnectPeriod: 0,
        });
        bare.on('message', (topic, payload) => {
            const id = topic.slice('v1/devices/me/rpc/request/'.length);
            bare.publish(`v1/devices/me/rpc/response/${id}`, JSON.stringify(JSON.parse(payload.toString()).params), { qos: 1 });
        });
        await new Promise((resolve, reject) => {
            bare.once('connect', resolve);
            bare.once('error', reject);
        });
        await new Promise((resolve, reject) => bare.subscribe('v1/devices/me/rpc/request/+', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
        await waitFor(() => sim.pushSubscribers(ours.deviceId).rpc === 1 && sim.pushSubscribers(theirs.deviceId).rpc === 1);

        const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
        const latency = { node: [], bare: [] };
        const devices = { node: ours.deviceId, bare: theirs.deviceId };
        const warmup = 50;
        for (let i = 0; i < warmup + count; i++) {
            for (const name of i % 2 ? ['bare', 'node'] : ['node', 'bare']) {
                const [ms, answer] = await twoWay(sim, agent, token, devices[name], { i, name });
                if (answer.i !== i || answer.name !== name) throw new Error(`wrong answer ${JSON.stringify(answer)}`);
                if (i >= warmup) latency[name].push(ms);
            }
        }
        agent.destroy();
        const row = (name) => `${name.padEnd(5)} p50 ${percentile(latency[name], 50).toFixed(2)} ms   p99 ${percentile(latency[name], 99).toFixed(2)} ms`;
        console.log(`${count} sequential two-way RPCs each (REST → device session → reply → REST answer), tbsim ${sim.tbVersion}, calls alternating`);
        console.log(row('node') + '   (tb-x509-mqtt-in → tb-x509-mqtt-out in Node-RED)');
        console.log(row('bare') + '   (bare mqtt.js responder)');
        const ratio = percentile(latency.node, 50) / percentile(latency.bare, 50);
        console.log(`p50 ratio node / bare: ${ratio.toFixed(2)} (goal <= 1.5)`);
        console.log(`p99 ratio node / bare: ${(percentile(latency.node, 99) / percentile(latency.bare, 99)).toFixed(2)}`);
    } finally {
        if (bare) bare.end(true);
        if (nr) await nr.stop();
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
});
