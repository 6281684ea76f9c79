#!/usr/bin/env node
'use strict';
// Onboarding a fleet, end to end, in a real Node-RED runtime (in this process, no test helper):
//   feeder → x509-generate (fleet config with a tb-x509-ca: EC P-256, CA-signed, leaf + chain in
//   <keyStore>/<deviceName>/) → function (one telemetry value) → tb-x509-mqtt-out (fleet mode:
//   one connection per msg.deviceName, kept open) → tbsim, whose X509_CERTIFICATE_CHAIN profile
//   creates each device at its first connect.
// tbsim runs in its own process (bench/lib/tbsim-child.js) so its CPU and memory stay apart.
//
// Reports, in one run:
//   - devices/s end to end (first msg into x509-generate → last Complete, i.e. PUBACK of the
//     device's telemetry), in batches of 250 with an RSS sample after each batch;
//   - per-device key + certificate: this package's CA (in process, sequential) next to one
//     `openssl req -x509 -CA …` process per device doing the same work (EC P-256 key, leaf
//     signed by the same CA), and the ratio;
//   - RSS of this process at 0 / 250 / 500 / 750 / 1,000 open connections (after GC), the slope
//     per connection, and RSS once every connection is closed (flows replaced by an empty one),
//     then a second round with the identities reused (is the first round's memory reused?);
//   - the CPU time of this process and of tbsim during onboarding, and as the ceiling of TLS +
//     tbsim on this machine: bare mqtt.js clients (own process, identities made beforehand)
//     connecting with leaf + CA and publishing once against the same tbsim.
//
//   node --expose-gc bench/fleet.js [--devices 1000] [--openssl 50]
// Build first: npm run build
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile, fork } = require('child_process');
const { runBench, repoRoot } = require('./lib/harness');

const lib = path.join(repoRoot, 'dist', 'nodes', 'lib');
const BATCH = 250;

function arg(name, fallback) {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function run(cmd, args) {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
    });
}

function startSimChild() {
    const child = fork(path.join(__dirname, 'lib', 'tbsim-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let nextId = 0;
    const waiting = new Map();
    let resolveReady;
    const ready = new Promise((resolve, reject) => {
        resolveReady = resolve;
        child.once('exit', (code) => reject(new Error(`tbsim exited ${code}`)));
    });
    child.on('message', (m) => {
        if (m.ready) resolveReady(m);
        else if (waiting.has(m.id)) {
            waiting.get(m.id)(m);
            waiting.delete(m.id);
        }
    });
    const request = (msg) => new Promise((resolve) => {
        const id = ++nextId;
        waiting.set(id, resolve);
        child.send({ ...msg, id });
    });
    return {
        ready, request, pid: child.pid,
        stop: () => new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', resolve);
            child.send({ stop: true });
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    };
}

async function opensslCa(dir) {
    const keyFile = path.join(dir, 'ca-key.pem');
    const certFile = path.join(dir, 'ca.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '30', '-subj', '/CN=Bench Fleet CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    // the extensions of the leaves this package issues (certificate-builder.ts profile 'leaf')
    const leafConfig = path.join(dir, 'leaf.cnf');
    fs.writeFileSync(leafConfig, '[req]\ndistinguished_name=dn\nx509_extensions=leaf\nprompt=no\n[dn]\n[leaf]\n'
        + 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
        + 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    return { keyFile, certFile, leafConfig, certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
}

/** ms per device: this package's CA issuing key + leaf, one after another. */
async function timeOurs(ca, count) {
    const { CertificateAuthority } = require(path.join(lib, 'pki', 'ca.js'));
    const authority = CertificateAuthority.fromPem(ca.certPem, ca.keyPem, undefined, { certSource: 'bench', keySource: 'bench', ca: 'bench' });
    for (let i = 0; i < 20; i++) await authority.issue({ keyType: 'ec', curve: 'P-256', commonName: `warm-${i}`, days: 30 });
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await authority.issue({ keyType: 'ec', curve: 'P-256', commonName: `ours-${i}.fleet.example`, days: 30 });
    return Number(process.hrtime.bigint() - start) / 1e6 / count;
}

/** ms per device: one openssl process per device making the key and the CA-signed leaf. */
async function timeOpenssl(ca, dir, count) {
    const out = path.join(dir, 'openssl-out');
    fs.mkdirSync(out, { recursive: true });
    const one = (i) => run('openssl', ['req', '-x509', '-config', ca.leafConfig, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', path.join(out, `${i}.key`), '-out', path.join(out, `${i}.pem`), '-subj', `/CN=openssl-${i}.fleet.example`, '-days', '30',
        '-CA', ca.certFile, '-CAkey', ca.keyFile]);
    for (let i = 0; i < 3; i++) await one(`warm-${i}`);
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await one(i);
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / count;
    await run('openssl', ['verify', '-CAfile', ca.certFile, path.join(out, '0.pem')]);
    return ms;
}

/**
 * The ceiling the machine and tbsim set: bare mqtt.js clients (identities issued beforehand,
 * leaf + CA in the handshake, one QoS 1 publish each) against the same tbsim.
 */
async function bareClients(ca, info, count) {
    // in a process of its own, so its memory does not move this process's RSS baseline
    const child = fork(__filename, ['--bare-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const result = new Promise((resolve, reject) => {
        child.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        child.once('exit', (code) => reject(new Error(`bare clients exited ${code}`)));
    });
    child.send({ ca: { certPem: ca.certPem, keyPem: ca.keyPem }, info, count });
    return result;
}

async function bareChild({ ca, info, count }) {
    const mqtt = require('mqtt');
    const { CertificateAuthority } = require(path.join(lib, 'pki', 'ca.js'));
    const authority = CertificateAuthority.fromPem(ca.certPem, ca.keyPem, undefined, { certSource: 'bench', keySource: 'bench', ca: 'bench' });
    const identities = [];
    for (let i = 0; i < count; i++) identities.push(await authority.issue({ keyType: 'ec', curve: 'P-256', commonName: `bare-${i}.fleet.example`, days: 30 }));
    const clients = [];
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(identities.map((id, i) => new Promise((resolve, reject) => {
        const client = mqtt.connect({
            protocol: 'mqtts', host: info.mqttHost, port: info.mqttPort, ca: info.caPem, cert: id.certPem + id.chainPem, key: id.keyPem,
            clientId: `bare-${i}`, protocolVersion: 5, reconnectPeriod: 0,
        });
        clients.push(client);
        client.on('connect', () => client.publish('v1/devices/me/telemetry', '{"online":1}', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
        client.on('error', reject);
    })));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = cpuMs(process.cpuUsage(cpu0));
    await Promise.all(clients.map((c) => new Promise((resolve) => c.end(true, resolve))));
    return { perSecond: count / (ms / 1000), cpuPerDevice: cpu / count };
}

async function rssAfterGc() {
    for (let i = 0; i < 3; i++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 200));
    }
    return process.memoryUsage();
}

function flows(sim, ca, keyStore, caStore) {
    return [
        { id: 'tab', type: 'tab', label: 'fleet' },
        { id: 'ca', type: 'tb-x509-ca', name: 'Bench Fleet CA', keyStore: caStore, certFile: ca.certFile, keyFile: ca.keyFile },
        {
            id: 'cfg', type: 'tb-x509-config', name: 'bench fleet', host: sim.mqttHost, port: String(sim.mqttPort), caFile: sim.caFile,
            identityMode: 'fleet', ca: 'ca', keyStore, maxConnections: '1000', idleTimeout: '3600',
        },
        {
            id: 'feeder', z: 'tab', type: 'function', x: 100, y: 100, outputs: 1, wires: [['gen']],
            func: 'for (let i = msg.from; i < msg.to; i++) node.send({ deviceName: `dev-${i}.fleet.example` }, false);\nreturn null;',
        },
        { id: 'gen', z: 'tab', type: 'x509-generate', x: 200, y: 100, config: 'cfg', commonNameType: 'msg', commonName: 'deviceName', keyType: 'ec', curve: 'P-256', days: '30', wires: [['value']] },
        { id: 'value', z: 'tab', type: 'function', x: 300, y: 100, outputs: 1, func: 'global.get("bench").generated();\nmsg.payload = { online: 1 };\nreturn msg;', wires: [['out']] },
        { id: 'out', z: 'tab', type: 'tb-x509-mqtt-out', x: 400, y: 100, config: 'cfg', target: 'telemetry', qos: '1', queueSize: '1000', wires: [] },
        { id: 'complete', z: 'tab', type: 'complete', x: 400, y: 200, scope: ['out'], uncaught: false, wires: [['onDone']] },
        { id: 'onDone', z: 'tab', type: 'function', x: 500, y: 200, outputs: 0, func: 'global.get("bench").done(msg.deviceName);\nreturn null;', wires: [] },
        { id: 'catch', z: 'tab', type: 'catch', x: 400, y: 300, scope: ['gen', 'out'], uncaught: false, wires: [['onError']] },
        { id: 'onError', z: 'tab', type: 'function', x: 500, y: 300, outputs: 0, func: 'global.get("bench").error(msg.error);\nreturn null;', wires: [] },
    ];
}

async function startNodeRed(bench) {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbx509-bench-fleet-nr-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    const packageName = require(path.join(repoRoot, 'package.json')).name;
    fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', packageName), 'dir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    const RED = require('node-red');
    RED.init(undefined, {
        userDir, flowFile: 'flows.json', credentialSecret: false, httpAdminRoot: false, httpNodeRoot: false,
        functionGlobalContext: { bench },
        logging: { console: { level: 'warn', metrics: false, audit: false } },
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false, ui: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        editorTheme: { projects: { enabled: false } },
    });
    await RED.start();
    return { RED, userDir };
}

function waitFor(predicate, timeoutMs, what) {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const poll = () => {
            if (predicate()) return resolve();
            if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
            setTimeout(poll, 10);
        };
        poll();
    });
}

/** `--profile <file>`: a V8 CPU profile of the onboarding batches only (open it in Chrome DevTools). */
function profileTo(file) {
    if (!file) return { stop: async () => undefined };
    const inspector = require('inspector');
    const session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.start');
    return {
        stop: () => new Promise((resolve) => session.post('Profiler.stop', (err, result) => {
            if (!err) fs.writeFileSync(file, JSON.stringify(result.profile));
            session.disconnect();
            resolve();
        })),
    };
}

async function waitForAsync(probe, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

const cpuMs = (u) => (u.user + u.system) / 1000;
const kib = (bytes) => bytes / 1024;
const mib = (bytes) => (bytes / 1048576).toFixed(1);

async function main() {
    if (typeof global.gc !== 'function') {
        // RSS is only comparable after a full GC: run again with --expose-gc
        const child = fork(__filename, process.argv.slice(2), { execArgv: ['--expose-gc'], stdio: 'inherit' });
        const code = await new Promise((resolve) => child.once('exit', resolve));
        process.exit(code ?? 1);
    }
    const devices = arg('devices', 1000);
    const opensslCount = arg('openssl', 50);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbx509-bench-fleet-'));
    const sim = startSimChild();
    let nr;
    try {
        const info = await sim.ready;
        const ca = await opensslCa(dir);
        await sim.request({
            profile: {
                name: 'bench-fleet', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: ca.certPem,
                certificateRegExPattern: '(.*)\\.fleet\\.example', allowCreateNewDevicesByX509Certificate: true,
            },
        });

        const bare = await bareClients(ca, info, BATCH);
        await waitForAsync(async () => (await sim.request({ stats: true })).open === 0, 10000, 'bare clients gone');
        const before = await sim.request({ stats: true });
        const oursMs = await timeOurs(ca, 200);
        const opensslMs = await timeOpenssl(ca, dir, opensslCount);

        let done = 0;
        let generated = 0;
        let generatedAt = 0n;
        const errors = [];
        const bench = {
            done: () => done++,
            generated: () => {
                generated++;
                generatedAt = process.hrtime.bigint();
            },
            error: (e) => errors.push(e && e.message),
        };
        nr = await startNodeRed(bench);
        await nr.RED.nodes.setFlows(flows(info, ca, path.join(dir, 'fleet'), path.join(dir, 'ca-store')), {}, 'full');
        const feeder = await (async () => {
            await waitFor(() => nr.RED.nodes.getNode('feeder'), 10000, 'flows started');
            return nr.RED.nodes.getNode('feeder');
        })();

        const rss = [{ open: 0, ...(await rssAfterGc()) }];
        const batches = [];
        const profiler = profileTo(process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined);
        const cpuStart = process.cpuUsage();
        const simCpuStart = cpuMs((await sim.request({ stats: true })).cpu);
        for (let from = 0; from < devices; from += BATCH) {
            const to = Math.min(devices, from + BATCH);
            const cpu0 = process.cpuUsage();
            const sim0 = cpuMs((await sim.request({ stats: true })).cpu);
            const t0 = process.hrtime.bigint();
            feeder.receive({ from, to });
            await waitFor(() => done + errors.length >= to, 300000, `${to} devices onboarded`);
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            const stats = await sim.request({ stats: true });
            batches.push({ from, to, ms, generatedMs: Number(generatedAt - t0) / 1e6, cpuMs: cpuMs(process.cpuUsage(cpu0)), simCpuMs: cpuMs(stats.cpu) - sim0 });
            if (errors.length) throw new Error(`onboarding failed: ${errors.slice(0, 3).join(' | ')}`);
            assert.strictEqual(stats.open, to, `tbsim has ${to} sessions open`);
            rss.push({ open: to, ...(await rssAfterGc()) });
        }
        const cpuTotal = cpuMs(process.cpuUsage(cpuStart));
        await profiler.stop();
        const stats = await sim.request({ stats: true });
        const simCpuTotal = cpuMs(stats.cpu) - simCpuStart;
        assert.strictEqual(stats.telemetry - before.telemetry, devices, 'one telemetry message per device reached tbsim');
        assert.strictEqual(stats.connects - before.connects, devices, 'one connection per device');
        const sample = await sim.request({ device: `dev-${devices - 1}` });
        assert.ok(sample.device && sample.device.type === 'bench-fleet', 'the device was created by chain provisioning with the CN-derived name');

        // all connections closed: the fleet config is removed by deploying an empty flow
        await nr.RED.nodes.setFlows([], {}, 'full');
        const until = Date.now() + 30000;
        while ((await sim.request({ stats: true })).open > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        const openAfter = (await sim.request({ stats: true })).open;
        const memClosed = await rssAfterGc();
        const rssClosed = memClosed.rss;

        // a second round with the same key store (identities reused): memory kept by the first round
        // is reused, not added to, when RSS at 1,000 and after closing stay where the first round left them
        const doneBefore = done;
        await nr.RED.nodes.setFlows(flows(info, ca, path.join(dir, 'fleet'), path.join(dir, 'ca-store')), {}, 'full');
        await waitFor(() => nr.RED.nodes.getNode('feeder'), 10000, 'flows started again');
        nr.RED.nodes.getNode('feeder').receive({ from: 0, to: devices });
        await waitFor(() => done + errors.length >= doneBefore + devices, 300000, 'second round');
        if (errors.length) throw new Error(`second round failed: ${errors.slice(0, 3).join(' | ')}`);
        const memAgain = await rssAfterGc();
        const rssAgain = memAgain.rss;
        await nr.RED.nodes.setFlows([], {}, 'full');
        await waitForAsync(async () => (await sim.request({ stats: true })).open === 0, 30000, 'second round closed');
        const memClosedAgain = await rssAfterGc();
        const rssClosedAgain = memClosedAgain.rss;

        const onboardMs = batches.reduce((s, b) => s + b.ms, 0);
        const perSecond = devices / (onboardMs / 1000);
        const first = rss[0].rss;
        const last = rss[rss.length - 1];
        const slopeKiB = kib(last.rss - first) / last.open;
        const heapSlopeKiB = kib(last.heapUsed + last.external - rss[0].heapUsed - rss[0].external) / last.open;
        console.log(`fleet onboarding, ${devices} devices (EC P-256, CA-signed, chain-provisioned on first connect, one telemetry msg each, connections kept open)`);
        console.log(`Node-RED ${require('node-red/package.json').version} in this process, tbsim in its own process; ${os.cpus().length} CPUs, Node ${process.version}`);
        console.log('');
        for (const b of batches) {
            console.log(`  devices ${String(b.from).padStart(4)}–${String(b.to).padEnd(4)}  ${(b.ms / 1000).toFixed(2)} s (identities by ${(b.generatedMs / 1000).toFixed(2)} s)  ${((b.to - b.from) / (b.ms / 1000)).toFixed(0).padStart(4)} devices/s   CPU: Node-RED ${(b.cpuMs / b.ms * 100).toFixed(0)} %, tbsim ${(b.simCpuMs / b.ms * 100).toFixed(0)} % of one core`);
        }
        console.log(`end to end: ${perSecond.toFixed(0)} devices/s (${(onboardMs / 1000).toFixed(2)} s for ${devices}; goal ≥ 200/s)`);
        console.log(`ceiling of TLS + tbsim here: bare mqtt.js clients (identities made beforehand) reach ${bare.perSecond.toFixed(0)} devices/s against the same tbsim, ${bare.cpuPerDevice.toFixed(1)} ms client CPU per device; the flow spends ${(cpuTotal / devices).toFixed(1)} ms per device`);
        console.log(`CPU during onboarding: Node-RED process ${(cpuTotal / 1000).toFixed(2)} s, tbsim ${(simCpuTotal / 1000).toFixed(2)} s (${(simCpuTotal / (cpuTotal + simCpuTotal) * 100).toFixed(0)} % of the CPU used)`);
        console.log('');
        console.log(`key + certificate per device: this package ${oursMs.toFixed(2)} ms, openssl process ${opensslMs.toFixed(2)} ms  →  ${(opensslMs / oursMs).toFixed(1)}× faster (goal ≥ 10×)`);
        console.log('');
        for (const r of rss) console.log(`  RSS at ${String(r.open).padStart(4)} open connections: ${mib(r.rss)} MiB (JS heap ${mib(r.heapUsed)} MiB, external ${mib(r.external)} MiB)`);
        const marginal = rss.length > 2 ? kib(last.rss - rss[1].rss) / (last.open - rss[1].open) : slopeKiB;
        console.log(`RSS slope: ${slopeKiB.toFixed(1)} KiB per connection from 0 (goal ≤ 100 KiB), ${marginal.toFixed(1)} KiB from ${rss[1].open} on (after the first batch warmed up); of it JS heap + external: ${heapSlopeKiB.toFixed(1)} KiB`);
        const back = (rssClosed - first) / first * 100;
        console.log(`all closed (${openAfter} sessions left on tbsim): RSS ${mib(rssClosed)} MiB, ${back >= 0 ? '+' : ''}${back.toFixed(1)} % of the start (goal within 10 %); JS heap ${mib(memClosed.heapUsed)} MiB`);
        console.log(`second round, identities reused: RSS ${mib(rssAgain)} MiB at ${devices} open connections (JS heap ${mib(memAgain.heapUsed)} MiB), ${mib(rssClosedAgain)} MiB closed again (JS heap ${mib(memClosedAgain.heapUsed)} MiB; the first round's memory reused, not grown: ${rssClosedAgain <= rssClosed * 1.05 ? 'yes' : 'no'})`);
        console.log(`machine load average during the run: ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (other work on the ${os.cpus().length} CPUs skews absolute figures; the ratios are from the same run)`);
    } finally {
        if (nr) {
            await nr.RED.stop();
            fs.rmSync(nr.userDir, { recursive: true, force: true });
        }
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (process.argv.includes('--bare-child')) {
    process.once('message', (m) => bareChild(m).then(
        (result) => process.send(result, () => process.exit(0)),
        (err) => process.send({ error: String(err && err.stack) }, () => process.exit(1)),
    ));
} else {
    runBench(main);
}
