#!/usr/bin/env node
'use strict';
// CPU profile of one publishing path only (no bare client, no other variant in the window):
// feeder function → tb-x509-mqtt-out (or core `mqtt out`) → mutual-TLS mosquitto, QoS 1.
// The V8 profiler (inspector) runs only while the measured rounds run; prints the top
// functions by self time and writes the .cpuprofile (open it in Chrome DevTools).
//
//   node bench/mqtt-profile.js [--variant node|core] [--count 20000] [--rounds 3] [--out file.cpuprofile] [--top 40]
//   node bench/mqtt-profile.js --variant node --profile 0 --rounds 9   (no profiler: CPU per msg, min and median)
// Build first: TB_BUILD_ALLOW_TYPE_ERRORS=1 node scripts/build.js
const fs = require('fs');
const inspector = require('inspector');
const { startSubscriber, withBrokerAndNodeRed, runBench, feeder, waitFor } = require('./lib/harness');

const TOPIC = 'v1/devices/me/telemetry';

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : process.argv[i + 1];
}

function flows(variant, { pki, broker }) {
    if (variant === 'node') {
        return [
            { id: 'tab', type: 'tab', label: 'node' },
            {
                id: 'cfg', type: 'tb-x509-config', name: 'bench', host: 'localhost', port: String(broker.port), keepalive: '60',
                caFile: pki.ca.cert, certFile: pki.device.cert, keyFile: pki.device.key,
            },
            feeder('feed', 'tab', ['out']),
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', x: 300, y: 100, config: 'cfg', target: 'telemetry', qos: '1', key: '', queueSize: '1000', wires: [] },
        ];
    }
    return [
        { id: 'tab', type: 'tab', label: 'core' },
        { id: 'tls', type: 'tls-config', name: 'bench', cert: pki.device.cert, key: pki.device.key, ca: pki.ca.cert, verifyservercert: true, servername: '' },
        {
            id: 'brk', type: 'mqtt-broker', name: 'bench', broker: 'localhost', port: String(broker.port), clientid: 'bench-core',
            usetls: true, tls: 'tls', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true,
        },
        feeder('feed', 'tab', ['mqttOut']),
        { id: 'mqttOut', z: 'tab', type: 'mqtt out', x: 300, y: 100, topic: TOPIC, qos: '1', retain: 'false', broker: 'brk', wires: [] },
    ];
}

function post(session, method, params) {
    return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

function summarise(profile, top) {
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas;
    const counts = new Map();
    profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
    let total = 0;
    for (const [id, us] of counts) {
        const n = byId.get(id);
        const cf = n.callFrame;
        const file = cf.url ? cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '') : '';
        const label = `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
        self.set(label, (self.get(label) ?? 0) + us);
        total += us;
    }
    const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [label, us] of rows) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${label}`);
}

async function main() {
    const variant = arg('variant', 'node');
    const count = Number(arg('count', 20000));
    const rounds = Number(arg('rounds', 3));
    const top = Number(arg('top', 40));
    const out = arg('out', `mqtt-${variant}.cpuprofile`);
    await withBrokerAndNodeRed(async (env, startFlows) => {
        const nr = await startFlows(flows(variant, env));
        const { RED } = nr;
        if (variant === 'node') {
            await waitFor(() => RED.nodes.getNode('cfg'));
            const connection = RED.nodes.getNode('cfg').runtime.connection();
            await waitFor(() => connection.state().phase === 'connected');
        } else {
            await waitFor(() => RED.nodes.getNode('brk') && RED.nodes.getNode('brk').connected);
        }
        let run = 0;
        const round = async (n) => {
            const sub = startSubscriber(env, TOPIC, n, ++run);
            await sub.ready;
            const cpu0 = process.cpuUsage();
            const t0 = process.hrtime.bigint();
            RED.nodes.getNode('feed').receive({ count: n, run });
            const end = await sub.done;
            const cpu = process.cpuUsage(cpu0);
            await sub.stop();
            await new Promise((r) => setTimeout(r, 300));
            return { rate: n / (Number(end - t0) / 1e9), cpu: (cpu.user + cpu.system) / n };
        };
        await round(2000);
        if (arg('profile', '1') === '0') {
            const results = [];
            for (let r = 0; r < rounds; r++) results.push(await round(count));
            const cpus = results.map((r) => r.cpu).sort((a, b) => a - b);
            const rates = results.map((r) => r.rate).sort((a, b) => a - b);
            console.log(`${variant}: CPU/msg min ${cpus[0].toFixed(1)} µs, median ${cpus[cpus.length >> 1].toFixed(1)} µs; msgs/s median ${Math.round(rates[rates.length >> 1])}; CPU rounds: ${results.map((r) => r.cpu.toFixed(1)).join(', ')}`);
            return;
        }
        const session = new inspector.Session();
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
        await post(session, 'Profiler.start');
        const results = [];
        for (let r = 0; r < rounds; r++) results.push(await round(count));
        const { profile } = await post(session, 'Profiler.stop');
        session.disconnect();
        fs.writeFileSync(out, JSON.stringify(profile));
        for (const r of results) console.log(`${variant}: ${Math.round(r.rate)} msgs/s, ${r.cpu.toFixed(1)} µs CPU/msg (profiler on)`);
        summarise(profile, top);
        console.log(`profile written to ${out}`);
    });
}

runBench(main);
