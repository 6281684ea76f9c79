'use strict';
// Benchmark subscriber, in a process of its own so it does not share the publisher's event
// loop: subscribes (QoS 1), says 'ready', then reports once it has `count` messages of run `run`.
const mqtt = require('mqtt');

const { host, port, ca, cert, key, topic, count, run } = JSON.parse(process.env.BENCH_SUBSCRIBER);
const client = mqtt.connect({ protocol: 'mqtts', host, port, ca, cert, key, clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0 });
let received = 0;
const seen = new Set();
client.on('error', (err) => process.send({ error: err.message }));
client.on('message', (_topic, payload) => {
    const msg = JSON.parse(payload);
    if (msg.run !== run || seen.has(msg.i)) return;
    seen.add(msg.i);
    received++;
    if (received === count) process.send({ done: true });
});
client.on('connect', () => {
    client.subscribe(topic, { qos: 1 }, (err) => process.send(err ? { error: err.message } : { ready: true }));
});
process.on('message', (m) => {
    if (m && m.stop) client.end(true, () => process.exit(0));
});
