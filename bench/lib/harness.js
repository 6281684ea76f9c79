'use strict';
// Shared by the MQTT benchmarks: a mutual-TLS mosquitto with openssl-made keys, a subscriber
// process, and Node-RED started in-process (RED.init/RED.start, no test helper: its spies
// collapse throughput) with this package installed in the userDir by symlink.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { makePki, startMosquitto } = require('../../test/support/mosquitto');

const repoRoot = path.resolve(__dirname, '..', '..');
const packageName = require(path.join(repoRoot, 'package.json')).name;

async function startBroker() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbx509-bench-'));
    const pki = makePki(dir);
    const broker = await startMosquitto({ pki });
    return {
        dir, pki, broker,
        /** stops mosquitto and removes its files */
        async stop() {
            await broker.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** Starts the subscriber child and resolves when it is subscribed; `.done` resolves at `count` messages. */
function startSubscriber({ pki, broker }, topic, count, run) {
    const env = {
        ...process.env,
        BENCH_SUBSCRIBER: JSON.stringify({
            host: 'localhost', port: broker.port, ca: pki.ca.certPem, cert: pki.device2.certPem, key: pki.device2.keyPem, topic, count, run,
        }),
    };
    const child = fork(path.join(__dirname, 'subscriber.js'), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let resolveDone, rejectDone;
    const done = new Promise((resolve, reject) => { resolveDone = resolve; rejectDone = reject; });
    const ready = new Promise((resolve, reject) => {
        child.on('message', (m) => {
            if (m.ready) resolve();
            else if (m.done) resolveDone(process.hrtime.bigint());
            else if (m.error) { reject(new Error(m.error)); rejectDone(new Error(m.error)); }
        });
        child.once('exit', (code) => { reject(new Error(`subscriber exited ${code}`)); rejectDone(new Error(`subscriber exited ${code}`)); });
    });
    ready.catch(() => undefined);
    done.catch(() => undefined);
    return {
        ready, done,
        stop: () => new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', resolve);
            child.send({ stop: true });
            setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        }),
    };
}

/** Node-RED in this process with `flows`; returns RED. */
async function startNodeRed(flows, { logLevel = 'warn' } = {}) {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbx509-bench-nr-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', packageName), 'dir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    const RED = require('node-red');
    RED.init(undefined, {
        userDir,
        flowFile: 'flows.json',
        credentialSecret: false,
        httpAdminRoot: false,
        httpNodeRoot: false,
        logging: { console: { level: logLevel, metrics: false, audit: false } },
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false, ui: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        editorTheme: { projects: { enabled: false } },
    });
    await RED.start();
    return {
        RED,
        userDir,
        async stop() {
            await RED.stop();
            fs.rmSync(userDir, { recursive: true, force: true });
        },
    };
}

/** A function node that sends `msg.count` messages {run, i} in a loop when it receives a msg. */
function feeder(id, z, wires) {
    return {
        id, z, type: 'function', name: 'feeder', x: 100, y: 100, outputs: 1, wires: [wires],
        // send(msg, false): each msg is new, so Node-RED need not clone it (same for every variant)
        func: 'const n = msg.count; const run = msg.run;\nfor (let i = 0; i < n; i++) node.send({ payload: { run, i, temperature: 21.5 } }, false);\nreturn null;',
    };
}

function waitFor(predicate, timeoutMs = 20000) {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const poll = () => {
            if (predicate()) return resolve();
            if (Date.now() - start > timeoutMs) return reject(new Error('timed out waiting'));
            setTimeout(poll, 20);
        };
        poll();
    });
}

/**
 * The frame of an MQTT bench: a fresh broker, then `bench(env, startFlows)` where `startFlows(flows)`
 * starts Node-RED with those flows; whatever was started is stopped afterwards, also on failure.
 */
async function withBrokerAndNodeRed(bench) {
    const env = await startBroker();
    let nr;
    try {
        return await bench(env, async (flows) => (nr = await startNodeRed(flows)));
    } finally {
        if (nr) await nr.stop();
        await env.stop();
    }
}

/** A bench script's entry point: exit 0 once `main` resolves; print the error and exit 1 if it rejects. */
function runBench(main) {
    main().then(() => process.exit(0), (err) => {
        console.error(err);
        process.exit(1);
    });
}

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

module.exports = { startBroker, startSubscriber, startNodeRed, withBrokerAndNodeRed, runBench, feeder, waitFor, median, repoRoot };
