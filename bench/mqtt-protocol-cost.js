#!/usr/bin/env node
'use strict';
// What MQTT 5 costs tb-x509-mqtt-out per message, next to core mqtt out (which defaults to
// 3.1.1): CPU µs per msg of the Node-RED process and msgs/s until every msg completed
// (Complete node), for our node on MQTT 5 (its default), our node switched to 3.1.1
// (through the connection's internals: a measurement only, not a setting), and core.
//
//   node bench/mqtt-protocol-cost.js
const { startBroker, startNodeRed, feeder, waitFor, median } = require('./lib/harness');
const TOPIC = 'v1/devices/me/telemetry';
(async () => {
  const env = await startBroker(); const { pki, broker } = env;
  const flows = [
    { id: 't', type: 'tab' },
    { id: 'cfg', type: 'tb-x509-config', host: 'localhost', port: String(broker.port), caFile: pki.ca.cert, certFile: pki.device.cert, keyFile: pki.device.key },
    feeder('feedNode', 't', ['out']),
    { id: 'out', z: 't', type: 'tb-x509-mqtt-out', x: 1, y: 1, config: 'cfg', target: 'telemetry', qos: '1', wires: [] },
    { id: 'complete', z: 't', type: 'complete', x: 1, y: 1, scope: ['out', 'mqttOut'], uncaught: false, wires: [['cnt']] },
    { id: 'cnt', z: 't', type: 'function', x: 1, y: 1, outputs: 0, wires: [], func: "global.set('n', (global.get('n')||0)+1); return null;" },
    { id: 'tls', type: 'tls-config', cert: pki.device.cert, key: pki.device.key, ca: pki.ca.cert, verifyservercert: true, servername: '' },
    { id: 'brk', type: 'mqtt-broker', broker: 'localhost', port: String(broker.port), clientid: 'bench-core', usetls: true, tls: 'tls', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
    feeder('feedCore', 't', ['mqttOut']),
    { id: 'mqttOut', z: 't', type: 'mqtt out', x: 1, y: 1, topic: TOPIC, qos: '1', retain: 'false', broker: 'brk', wires: [] },
  ];
  const nr = await startNodeRed(flows); const RED = nr.RED;
  await waitFor(() => RED.nodes.getNode('cfg') && RED.nodes.getNode('brk'));
  const conn = RED.nodes.getNode('cfg').runtime.connection();
  await waitFor(() => conn.state().phase === 'connected' && RED.nodes.getNode('brk').connected);
  const g = RED.nodes.getNode('cnt').context().global;
  const N = 20000;
  async function run(feed) {
    g.set('n', 0);
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
    RED.nodes.getNode(feed).receive({ count: N, run: 1 });
    await waitFor(() => g.get('n') >= N, 60000);
    const c = process.cpuUsage(c0); const t = Number(process.hrtime.bigint() - t0) / 1e9;
    await new Promise((r) => setTimeout(r, 200));
    return { cpu: (c.user + c.system) / N, rate: N / t };
  }
  const res = { v5: [], v4: [], core: [] };
  for (let r = 0; r < 6; r++) {
    for (const v of ['v5', 'v4', 'core']) {
      if (v !== 'core') {
        const want = v === 'v5' ? 5 : 4;
        if (conn.protocolVersion !== want) { conn.protocolVersion = want; conn.attempt(); await waitFor(() => conn.state().phase === 'connected'); }
      }
      const m = await run(v === 'core' ? 'feedCore' : 'feedNode');
      if (r > 0) res[v].push(m);
    }
  }
  for (const v of Object.keys(res)) console.log(v, 'cpu µs/msg', median(res[v].map(x => x.cpu)).toFixed(1), 'acked msgs/s', Math.round(median(res[v].map(x => x.rate))));
  await nr.stop(); await env.stop(); process.exit(0);
})();
