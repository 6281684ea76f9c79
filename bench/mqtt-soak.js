#!/usr/bin/env node
'use strict';
// Sustained stream through tb-x509-mqtt-out in a real Node-RED runtime, to a mutual-TLS
// mosquitto: samples heapUsed (after a full GC) and RSS every 30 s, prints the series and
// the slope of a least-squares line through it (flat memory = a slope near zero).
//
//   node bench/mqtt-soak.js [--minutes 10] [--rate 1000] [--interval 30]
// Build first: TB_BUILD_ALLOW_TYPE_ERRORS=1 node scripts/build.js
const { spawnSync } = require('child_process');

if (typeof global.gc !== 'function') {
    // re-run with --expose-gc so each sample measures live memory, not garbage
    const result = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
}

const { withBrokerAndNodeRed, runBench, feeder, waitFor } = require('./lib/harness');

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function slope(points) {
    const n = points.length;
    const mx = points.reduce((s, p) => s + p.x, 0) / n;
    const my = points.reduce((s, p) => s + p.y, 0) / n;
    let num = 0;
    let den = 0;
    for (const p of points) {
        num += (p.x - mx) * (p.y - my);
        den += (p.x - mx) ** 2;
    }
    return den === 0 ? 0 : num / den;
}

async function main() {
    const minutes = arg('minutes', 10);
    const rate = arg('rate', 1000);
    const intervalS = arg('interval', 30);
    await withBrokerAndNodeRed(async (env, startFlows) => {
        const { pki, broker } = env;
        const flows = [
            { id: 'tab', type: 'tab', label: 'soak' },
            {
                id: 'cfg', type: 'tb-x509-config', name: 'soak', host: 'localhost', port: String(broker.port),
                caFile: pki.ca.cert, certFile: pki.device.cert, keyFile: pki.device.key,
            },
            feeder('feed', 'tab', ['out']),
            { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', x: 300, y: 100, config: 'cfg', target: 'telemetry', qos: '1', queueSize: '1000', wires: [] },
            { id: 'complete', z: 'tab', type: 'complete', x: 100, y: 200, scope: ['out'], uncaught: false, wires: [['count']] },
            { id: 'count', z: 'tab', type: 'function', x: 300, y: 200, outputs: 0, wires: [], func: "global.set('delivered', (global.get('delivered') || 0) + 1); return null;" },
            { id: 'catch', z: 'tab', type: 'catch', x: 100, y: 300, scope: ['out'], uncaught: false, wires: [['fails']] },
            { id: 'fails', z: 'tab', type: 'function', x: 300, y: 300, outputs: 0, wires: [], func: "global.set('failed', (global.get('failed') || 0) + 1); return null;" },
        ];
        const nr = await startFlows(flows);
        const { RED } = nr;
        await waitFor(() => RED.nodes.getNode('cfg'));
        const connection = RED.nodes.getNode('cfg').runtime.connection();
        await waitFor(() => connection.state().phase === 'connected');
        const flowGlobal = RED.nodes.getNode('count').context().global;

        const tickMs = 100;
        const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
        let run = 0;
        const ticker = setInterval(() => RED.nodes.getNode('feed').receive({ count: perTick, run: ++run }), tickMs);

        const start = Date.now();
        const samples = [];
        const sample = () => {
            global.gc();
            const m = process.memoryUsage();
            const s = {
                minute: (Date.now() - start) / 60000,
                heapMB: m.heapUsed / 1048576,
                rssMB: m.rss / 1048576,
                delivered: flowGlobal.get('delivered') || 0,
                failed: flowGlobal.get('failed') || 0,
                queued: connection.state().queued,
            };
            samples.push(s);
            console.log(`  t=${s.minute.toFixed(1).padStart(5)} min  heapUsed ${s.heapMB.toFixed(1).padStart(6)} MB  rss ${s.rssMB.toFixed(1).padStart(6)} MB  delivered ${s.delivered}  failed ${s.failed}  queued ${s.queued}`);
        };
        console.log(`soak: ${rate} msgs/s QoS 1 through tb-x509-mqtt-out for ${minutes} min, sample every ${intervalS} s`);
        sample();
        await new Promise((resolve) => {
            const sampler = setInterval(sample, intervalS * 1000);
            setTimeout(() => {
                clearInterval(sampler);
                resolve();
            }, minutes * 60000 + 500);
        });
        clearInterval(ticker);
        // the first sample is taken before JIT and buffers warm up; fit the rest
        const fit = samples.slice(1);
        const heapSlope = slope(fit.map((s) => ({ x: s.minute, y: s.heapMB * 1024 })));
        const rssSlope = slope(fit.map((s) => ({ x: s.minute, y: s.rssMB * 1024 })));
        const last = samples[samples.length - 1];
        console.log(`slope (least squares, samples 2..${samples.length}): heapUsed ${heapSlope.toFixed(1)} KB/min, rss ${rssSlope.toFixed(1)} KB/min`);
        console.log(`delivered ${last.delivered} msgs (${(last.delivered / (last.minute * 60)).toFixed(0)} msgs/s), failed ${last.failed}`);
    });
}

runBench(main);
