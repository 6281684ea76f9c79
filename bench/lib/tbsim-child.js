'use strict';
// tbsim in its own process for the benches, so its CPU time and memory are measured apart from
// the Node-RED process under test. Parent messages: { profile } creates a device profile;
// { stats } answers with CPU time, devices, open sessions and telemetry received; { stop }.
const path = require('path');
const { startTbsim } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'index.js'));

async function main() {
    const sim = await startTbsim({ restPort: 0, mqttPort: 0 });
    let telemetry = 0;
    let connects = 0;
    let open = 0;
    let maxOpen = 0;
    sim.events.on('telemetry', () => telemetry++);
    sim.events.on('connect', () => {
        connects++;
        maxOpen = Math.max(maxOpen, ++open);
    });
    sim.events.on('disconnect', () => open--);
    process.on('message', async (m) => {
        if (m.profile) {
            sim.createDeviceProfile(m.profile);
            process.send({ id: m.id, ok: true });
        } else if (m.stats) {
            process.send({ id: m.id, cpu: process.cpuUsage(), rss: process.memoryUsage().rss, telemetry, connects, open, maxOpen, sessions: sim.sessions().length });
        } else if (m.device) {
            const d = sim.findDeviceByName(m.device);
            process.send({ id: m.id, device: d ? { name: d.name, type: d.type, credentialsType: d.credentials.type } : null });
        } else if (m.stop) {
            await sim.stop();
            process.exit(0);
        }
    });
    process.send({ ready: true, mqttHost: sim.mqttHost, mqttPort: sim.mqttPort, caFile: sim.caFile, caPem: sim.caPem });
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
