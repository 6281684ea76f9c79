#!/usr/bin/env node
'use strict';
// QoS 1 publish throughput over mutual TLS to one local mosquitto, three ways, in one run:
//   bare  — a bare mqtt.js 5 client publishing in a loop (MQTT 5, like our node)
//   node  — feeder function → tb-x509-mqtt-out (this package) in a real Node-RED runtime
//   core  — feeder function → Node-RED's core `mqtt out` + `mqtt-broker` + `tls-config` (defaults: MQTT 3.1.1)
//   core5 — the same core nodes with the broker set to MQTT 5 (protocol for protocol with ours)
//   bare4 — the bare client on MQTT 3.1.1, to show what the protocol version alone costs
// Each is timed from the first publish until a subscriber (own process) has received all
// messages of that round. Rounds are interleaved in balanced orders (each variant follows each
// other equally often); the median of each is compared.
//
//   node bench/mqtt-throughput.js [--count 20000] [--rounds 7]
// Build first: TB_BUILD_ALLOW_TYPE_ERRORS=1 node scripts/build.js
const mqtt = require('mqtt');
const { startSubscriber, withBrokerAndNodeRed, runBench, feeder, waitFor, median } = require('./lib/harness');

const TOPIC = 'v1/devices/me/telemetry';

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function flows(env) {
    const { pki, broker } = env;
    return [
        { id: 'tabNode', type: 'tab', label: 'tb-x509-mqtt-out' },
        { id: 'tabCore', type: 'tab', label: 'core mqtt out' },
        {
            id: 'cfg', type: 'tb-x509-config', name: 'bench', host: 'localhost', port: String(broker.port), keepalive: '60',
            caFile: pki.ca.cert, certFile: pki.device.cert, keyFile: pki.device.key,
        },
        feeder('feedNode', 'tabNode', ['out']),
        { id: 'out', z: 'tabNode', type: 'tb-x509-mqtt-out', x: 300, y: 100, config: 'cfg', target: 'telemetry', qos: '1', key: '', queueSize: '1000', wires: [] },
        { id: 'tls', type: 'tls-config', name: 'bench', cert: pki.device.cert, key: pki.device.key, ca: pki.ca.cert, verifyservercert: true, servername: '' },
        {
            id: 'brk', type: 'mqtt-broker', name: 'bench', broker: 'localhost', port: String(broker.port), clientid: 'bench-core',
            usetls: true, tls: 'tls', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true,
        },
        feeder('feedCore', 'tabCore', ['mqttOut']),
        { id: 'mqttOut', z: 'tabCore', type: 'mqtt out', x: 300, y: 100, topic: TOPIC, qos: '1', retain: 'false', broker: 'brk', wires: [] },
        // core on MQTT 5 as well, so one comparison is protocol for protocol (our node speaks MQTT 5)
        { id: 'tabCore5', type: 'tab', label: 'core mqtt out (MQTT 5)' },
        {
            id: 'brk5', type: 'mqtt-broker', name: 'bench5', broker: 'localhost', port: String(broker.port), clientid: 'bench-core5',
            usetls: true, tls: 'tls', protocolVersion: '5', keepalive: '60', cleansession: true, autoConnect: true,
        },
        feeder('feedCore5', 'tabCore5', ['mqttOut5']),
        { id: 'mqttOut5', z: 'tabCore5', type: 'mqtt out', x: 300, y: 100, topic: TOPIC, qos: '1', retain: 'false', broker: 'brk5', wires: [] },
    ];
}

/**
 * Round orders in which every variant comes right after every other one equally often (a
 * balanced Latin square, Williams design). A round leaves work behind (garbage to collect,
 * a broker still busy): with plain rotation of [bare, bare4, node, core] the node followed a
 * bare client in 3 of 4 rounds and core never did, which cost the node ~3 us CPU per msg.
 */
function balancedOrders(names) {
    const n = names.length;
    const first = [0];
    for (let j = 1; j < n; j++) first.push(j % 2 ? (j + 1) / 2 : n - j / 2);
    const rows = [];
    for (let r = 0; r < n; r++) rows.push(first.map((i) => names[(i + r) % n]));
    // with an odd count the mirrored rows complete the balance
    if (n % 2) for (let r = 0; r < n; r++) rows.push([...rows[r]].reverse());
    return rows;
}

async function main() {
    const count = arg('count', 20000);
    const rounds = arg('rounds', 7);
    await withBrokerAndNodeRed(async (env, startFlows) => {
        const nr = await startFlows(flows(env));
        const { RED } = nr;
        await waitFor(() => RED.nodes.getNode('cfg') && RED.nodes.getNode('brk') && RED.nodes.getNode('brk5'));
        const connection = RED.nodes.getNode('cfg').runtime.connection();
        await waitFor(() => connection.state().phase === 'connected' && RED.nodes.getNode('brk').connected && RED.nodes.getNode('brk5').connected);

        const bare = mqtt.connect({
            protocol: 'mqtts', host: 'localhost', port: env.broker.port, protocolVersion: 5, clientId: 'bench-bare',
            ca: env.pki.ca.certPem, cert: env.pki.device.certPem, key: env.pki.device.keyPem, reconnectPeriod: 0,
        });
        await new Promise((resolve, reject) => { bare.once('connect', resolve); bare.once('error', reject); });

        // the same bare client on MQTT 3.1.1, to tell protocol cost from node cost (core defaults to 3.1.1)
        const bare4 = mqtt.connect({
            protocol: 'mqtts', host: 'localhost', port: env.broker.port, protocolVersion: 4, clientId: 'bench-bare4',
            ca: env.pki.ca.certPem, cert: env.pki.device.certPem, key: env.pki.device.keyPem, reconnectPeriod: 0,
        });
        await new Promise((resolve, reject) => { bare4.once('connect', resolve); bare4.once('error', reject); });

        const coreClient = (id) => RED.nodes.getNode(id).client || {};
        let runCounter = 0;
        const publishLoop = (client) => (run, n) => new Promise((resolve) => {
            let acked = 0;
            for (let i = 0; i < n; i++) {
                client.publish(TOPIC, JSON.stringify({ run, i, temperature: 21.5 }), { qos: 1 }, () => {
                    if (++acked === n) resolve();
                });
            }
        });
        const variants = {
            bare: publishLoop(bare),
            bare4: publishLoop(bare4),
            node: async (run, n) => {
                RED.nodes.getNode('feedNode').receive({ count: n, run });
            },
            core: async (run, n) => {
                RED.nodes.getNode('feedCore').receive({ count: n, run });
            },
            core5: async (run, n) => {
                RED.nodes.getNode('feedCore5').receive({ count: n, run });
            },
        };

        async function measure(name, n) {
            const run = ++runCounter;
            const sub = startSubscriber(env, TOPIC, n, run);
            await sub.ready;
            const cpuBefore = process.cpuUsage();
            const start = process.hrtime.bigint();
            const sent = variants[name](run, n);
            const end = await sub.done;
            const cpu = process.cpuUsage(cpuBefore);
            cpuPerMsg[name].push((cpu.user + cpu.system) / n);
            await sub.stop();
            // let every publisher (not only ours) drain its acknowledgements before the next
            // round, so no variant's PUBACK handling spills into another's measurement
            await sent;
            await waitFor(() => connection.state().queued === 0 && ['brk', 'brk5'].every((id) => Object.keys(coreClient(id).outgoing || {}).length === 0), 60000);
            await new Promise((r) => setTimeout(r, 300));
            return n / (Number(end - start) / 1e9);
        }

        const names = Object.keys(variants);
        // CPU time of this (publishing) process per message: steadier than msgs/s on a busy machine
        const cpuPerMsg = Object.fromEntries(names.map((n) => [n, []]));
        for (const name of names) await measure(name, 2000); // warm-up: JIT, TLS sessions
        for (const name of names) cpuPerMsg[name].length = 0;
        const rates = Object.fromEntries(names.map((n) => [n, []]));
        const orders = balancedOrders(names);
        for (let r = 0; r < rounds; r++) {
            for (const name of orders[r % orders.length]) rates[name].push(await measure(name, count));
        }

        const med = Object.fromEntries(names.map((n) => [n, median(rates[n])]));
        console.log(`QoS 1, ${count} msgs per round, ${rounds} rounds, mosquitto mutual TLS on localhost (msgs/s until the subscriber had all)`);
        for (const name of names) {
            console.log(`  ${name.padEnd(6)} median ${Math.round(med[name]).toString().padStart(6)} msgs/s, ${median(cpuPerMsg[name]).toFixed(1).padStart(5)} µs CPU/msg in the publishing process;  rounds: ${rates[name].map((x) => Math.round(x)).join(', ')}`);
        }
        console.log(`  node/bare = ${(med.node / med.bare).toFixed(2)} (target >= 0.9)`);
        console.log(`  node/core = ${(med.node / med.core).toFixed(2)} (target >= 1.0; core on its default MQTT 3.1.1)`);
        console.log(`  node/core5 = ${(med.node / med.core5).toFixed(2)} (both on MQTT 5)`);
        const cpu = Object.fromEntries(names.map((n) => [n, median(cpuPerMsg[n])]));
        console.log(`  CPU per msg: node/bare = ${(cpu.node / cpu.bare).toFixed(2)}, node/core = ${(cpu.node / cpu.core).toFixed(2)}, node/core5 = ${(cpu.node / cpu.core5).toFixed(2)} (lower is better)`);

        console.log(`  (bare MQTT 3.1.1 / bare MQTT 5 = ${(med.bare4 / med.bare).toFixed(2)})`);
        await new Promise((resolve) => bare.end(true, resolve));
        await new Promise((resolve) => bare4.end(true, resolve));
    });
}

runBench(main);
