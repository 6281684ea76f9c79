#!/usr/bin/env node
'use strict';
// Drains a backlog under a ThingsBoard device telemetry rate limit, against tbsim: the messages
// are queued before the connection opens, then the shared connection delivers them paced
// (getSessionLimits on the newest release; learned from closes with --tb-version 3.6.4).
// Prints the delivery rate as a ratio of the sustained limit (the smallest capacity/seconds of
// the limit's windows; pacing aims at 80 % of it), the forced disconnects and the messages lost.
//
//   node bench/rate-limit-drain.js [--count 5000] [--limit 200:1,1000:10] [--tb-version 4.3.1.3]
// Build first: npm run build
const fs = require('fs');
const path = require('path');
const { tempDir, makeCert, curl, login, bearer } = require('../test/tbsim/support');
const { startTbsim } = require('../dist/tools/tbsim/index.js');
const lib = path.resolve(__dirname, '..', 'dist', 'nodes', 'lib');
const { SharedConnection } = require(path.join(lib, 'mqtt', 'shared-connection.js'));
const { IdentityRegistry } = require(path.join(lib, 'mqtt', 'identity-registry.js'));

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : process.argv[i + 1];
}

function sustained(limit) {
    return Math.min(...limit.split(',').map((w) => { const [c, s] = w.split(':').map(Number); return c / s; }));
}

async function main() {
    const count = Number(arg('count', 5000));
    const limit = arg('limit', '200:1,1000:10');
    const tbVersion = arg('tb-version', undefined);
    const dir = tempDir('rate-drain-');
    const sim = await startTbsim({ ...(tbVersion ? { tbVersion } : {}), rateLimits: { transportDeviceTelemetryMsgRateLimit: limit } });
    try {
        // a tenant login, not an API key: those exist only from 4.3
        const cert = await makeCert(dir, 'drain-device');
        const res = await curl(sim, 'POST', '/api/device-with-credentials', {
            auth: bearer((await login(sim)).token),
            body: { device: { name: 'drain-device' }, credentials: { credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem } },
        });
        if (res.status !== 200) throw new Error(`registering the device failed: ${res.text}`);
        const deviceId = res.body.id.id;
        const identity = {
            certPem: cert.certPem, keyPem: cert.keyPem, commonName: 'drain-device', credentialsId: 'drain',
            notBefore: new Date(Date.now() - 60000), notAfter: new Date(Date.now() + 86400000),
        };
        const settings = { label: 'bench', host: 'localhost', port: sim.mqttPort, verifyServer: true, keepalive: 60, keyStoreDir: '/nonexistent' };
        const conn = new SharedConnection(settings, { current: async () => identity, caChain: async () => sim.caPem }, { configId: 'drain', registry: new IdentityRegistry() });
        let rateLimitedSeen = false;
        conn.register('out', { onState: (s) => { rateLimitedSeen ||= !!s.rateLimited; }, onWarning: () => undefined });
        const started = Date.now();
        let failed = 0;
        const done = [];
        for (let i = 0; i < count; i++) {
            done.push(new Promise((resolve) => conn.publish('out', { topic: 'v1/devices/me/telemetry', body: JSON.stringify({ i }), qos: 1, queueSize: count }, (err) => {
                if (err) failed++;
                resolve();
            })));
        }
        await Promise.all(done);
        const seconds = (Date.now() - started) / 1000;
        const stored = new Set(sim.telemetry(deviceId).map((e) => e.values.i));
        const lost = count - stored.size;
        const rate = count / seconds;
        const forced = sim.rateLimitViolations().length;
        await conn.close();
        console.log(`release ${sim.tbVersion}, limit ${limit} (sustained ${sustained(limit)} msg/s), ${count} msgs in ${seconds.toFixed(1)} s`);
        console.log(`drain rate / sustained limit: ${(rate / sustained(limit)).toFixed(2)} (goal >= 0.9; pacing aims at 0.8 of every window)`);
        console.log(`forced disconnects: ${forced} (goal <= 2)`);
        console.log(`lost: ${lost}, failed: ${failed} (goal 0)`);
        console.log(`"rate limited" status shown: ${rateLimitedSeen}`);
        process.exitCode = lost === 0 && failed === 0 ? 0 : 1;
    } finally {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
