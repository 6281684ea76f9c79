'use strict';
// Benchmark (not a test): generateIdentity next to `openssl req -x509 -newkey … -nodes` as a
// process, same run, same machine. Medians, because RSA prime search time varies a lot.
//   node bench/generate.js            (needs a build: node scripts/build.js)
//   BENCH_RUNS=31 node bench/generate.js
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { generateIdentity } = require(path.resolve(__dirname, '..', 'dist', 'nodes', 'lib', 'pki', 'generate.js'));

const RUNS = Math.max(21, Number(process.env.BENCH_RUNS) || 21);
const RSA4096_RUNS = Math.max(11, Number(process.env.BENCH_RUNS_4096) || 11);

const cases = [
    { label: 'EC P-256', runs: RUNS, ours: { keyType: 'ec', curve: 'P-256' }, newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
    { label: 'RSA-2048', runs: RUNS, ours: { keyType: 'rsa', rsaBits: 2048 }, newkey: ['-newkey', 'rsa:2048'] },
    { label: 'RSA-4096', runs: RSA4096_RUNS, ours: { keyType: 'rsa', rsaBits: 4096 }, newkey: ['-newkey', 'rsa:4096'] },
];

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function runOpenssl(args) {
    return new Promise((resolve, reject) => execFile('openssl', args, (err) => (err ? reject(err) : resolve())));
}

async function timeIt(fn) {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tb-x509-bench-'));
    const { stdout: version } = await new Promise((resolve, reject) =>
        execFile('openssl', ['version'], (err, out) => (err ? reject(err) : resolve({ stdout: out }))),
    );
    console.log(`node ${process.version}, ${version.trim()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
    console.log('identity = private key + self-signed certificate; median of N runs, interleaved\n');
    console.log(`${'case'.padEnd(10)} ${'N'.padStart(3)} ${'ours ms'.padStart(9)} ${'openssl ms'.padStart(11)} ${'openssl/ours'.padStart(13)}`);
    try {
        // warm-up: module loading and the first OpenSSL context are not what we measure
        await generateIdentity({ commonName: 'warmup' });
        await runOpenssl(['req', '-x509', ...cases[0].newkey, '-nodes', '-subj', '/CN=x', '-days', '365', '-keyout', path.join(dir, 'w.key'), '-out', path.join(dir, 'w.crt')]);
        for (const c of cases) {
            const ours = [];
            const theirs = [];
            for (let i = 0; i < c.runs; i++) {
                // interleave so machine noise hits both sides alike
                ours.push(await timeIt(() => generateIdentity({ ...c.ours, commonName: 'x', days: 365 })));
                theirs.push(
                    await timeIt(() =>
                        runOpenssl(['req', '-x509', ...c.newkey, '-nodes', '-subj', '/CN=x', '-days', '365', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')]),
                    ),
                );
            }
            const mo = median(ours);
            const mt = median(theirs);
            console.log(`${c.label.padEnd(10)} ${String(c.runs).padStart(3)} ${mo.toFixed(1).padStart(9)} ${mt.toFixed(1).padStart(11)} ${(mt / mo).toFixed(2).padStart(12)}x`);
        }
    } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});
