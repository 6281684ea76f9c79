'use strict';
// The broker-restart delivery scenario against the mosquitto of ./mosquitto.js: messages
// {"i": 0…count-1} are sent, half before and half while the broker is down; each must be
// completed once and arrive, in order of first arrival, at an independent subscriber whose
// persistent session survives the restart.
//
//   const order = await orderSubscriber({ pki, broker, topic: 'plant/#', clientId: 'order-sub' });
//   await sendAcrossRestart({ broker, send: (i) => …, down: () => …, queued: () => … });
//   assertEachOnce(completedIndices, 2000);
//   await order.allArrived(2000);
const assert = require('assert');
const mqtt = require('mqtt');
const { pollUntil } = require('./wait');

const range = (count) => Array.from({ length: count }, (_, i) => i);

/**
 * A subscriber to `topic` with device2's certificate and a persistent session (clean: false),
 * recording the `i` of each JSON payload. `end()` closes it.
 */
async function orderSubscriber({ pki, broker, topic, clientId, protocolVersion = 4 }) {
    const client = mqtt.connect({
        protocol: 'mqtts', host: 'localhost', port: broker.port, ca: pki.ca.certPem, cert: pki.device2.certPem, key: pki.device2.keyPem,
        clientId, clean: false, reconnectPeriod: 100, protocolVersion,
        // MQTT 5 ends a session at disconnect unless it asks for an expiry
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
    });
    client.on('error', () => undefined); // reconnects while the broker is down
    const firstArrival = [];
    const seen = new Set();
    let arrivals = 0;
    client.on('message', (_topic, payload) => {
        arrivals++;
        const { i } = JSON.parse(payload.toString());
        if (!seen.has(i)) {
            seen.add(i);
            firstArrival.push(i);
        }
    });
    await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
    });
    await new Promise((resolve, reject) => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    return {
        firstArrival,
        arrivals: () => arrivals,
        /** Waits until `count` distinct messages arrived, then asserts they came in order 0…count-1. */
        async allArrived(count, timeoutMs = 20000) {
            await pollUntil(() => seen.size >= count, timeoutMs, { pollMs: 50, what: `${count} distinct messages`, context: () => `got ${seen.size}` });
            assert.deepStrictEqual(firstArrival, range(count), 'order of first arrival');
            assert.ok(arrivals >= count);
        },
        end: () => new Promise((resolve) => client.end(true, resolve)),
    };
}

/**
 * Sends 0…count/2-1, stops the broker and awaits `down()` (the sender noticed), sends the rest,
 * awaits `queued()` (they wait for the connection), starts the broker again and awaits `restarted()`.
 */
async function sendAcrossRestart({ broker, count = 2000, send, down, queued, restarted = async () => undefined }) {
    const half = Math.floor(count / 2);
    for (let i = 0; i < half; i++) send(i);
    await broker.stop();
    await down();
    for (let i = half; i < count; i++) send(i);
    await queued();
    await broker.start();
    await restarted();
}

/** Each index 0…count-1 appears exactly once in `indices` (every message completed once). */
function assertEachOnce(indices, count, what = 'every message completed exactly once') {
    const times = new Array(count).fill(0);
    for (const i of indices) times[i]++;
    const wrong = range(count).filter((i) => times[i] !== 1).map((i) => `${i}×${times[i]}`);
    assert.deepStrictEqual(wrong.slice(0, 20), [], what);
}

module.exports = { orderSubscriber, sendAcrossRestart, assertEachOnce };
