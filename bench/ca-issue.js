'use strict';
// Benchmark (not a test): one CA-signed EC P-256 device identity (new key + leaf signed by the CA)
// with CertificateAuthority.issue, next to openssl doing the same as processes
// (`openssl req -new -newkey ec … -nodes` + `openssl x509 -req -CA … -CAkey …`), same run, same
// machine, same CA key (openssl gets the CA that CaStore generated), interleaved; medians.
// The fleet goal: ours at least 10x faster per identity.
//   node bench/ca-issue.js            (needs a build: node scripts/build.js)
//   BENCH_RUNS=51 node bench/ca-issue.js
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { CaStore } = require(path.resolve(__dirname, '..', 'dist', 'nodes', 'lib', 'pki', 'ca-store.js'));

const RUNS = Math.max(21, Number(process.env.BENCH_RUNS) || 31);
const GOAL = 10;

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function runOpenssl(args) {
    return new Promise((resolve, reject) => execFile('openssl', args, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve())));
}

async function timeIt(fn) {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tb-x509-bench-ca-'));
    const { stdout: version } = await new Promise((resolve, reject) =>
        execFile('openssl', ['version'], (err, out) => (err ? reject(err) : resolve({ stdout: out }))),
    );
    console.log(`node ${process.version}, ${version.trim()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
    console.log('identity = new EC P-256 key + leaf signed by an EC P-256 CA; median of N runs, interleaved\n');
    try {
        const storeDir = path.join(dir, 'ca');
        const ca = await new CaStore({ name: 'Bench CA', keyStoreDir: storeDir, days: 30 }, {}).authority();
        const caCert = path.join(storeDir, 'cert.pem');
        const caKey = path.join(storeDir, 'key.pem');
        const f = (n) => path.join(dir, n);
        const ext = f('leaf.ext');
        // the same extensions ours writes, so both sides do the same work
        fs.writeFileSync(ext, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
        const opensslIdentity = async (cn) => {
            await runOpenssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f('k.pem'), '-out', f('r.csr')]);
            await runOpenssl(['x509', '-req', '-in', f('r.csr'), '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${Date.now().toString(16)}`, '-days', '365', '-extfile', ext, '-out', f('c.pem')]);
        };
        await ca.issue({ commonName: 'warmup' });
        await opensslIdentity('warmup');
        const ours = [];
        const theirs = [];
        for (let i = 0; i < RUNS; i++) {
            ours.push(await timeIt(() => ca.issue({ keyType: 'ec', curve: 'P-256', commonName: `dev-${i}`, days: 365 })));
            theirs.push(await timeIt(() => opensslIdentity(`dev-${i}`)));
        }
        // a burst, as an onboarding flow of a fleet issues them: many at once
        const burst = 200;
        const burstMs = await timeIt(() => Promise.all(Array.from({ length: burst }, (_, i) => ca.issue({ commonName: `burst-${i}` }))));
        const mo = median(ours);
        const mt = median(theirs);
        console.log(`${'N'.padStart(3)} ${'ours ms'.padStart(9)} ${'openssl ms'.padStart(11)} ${'openssl/ours'.padStart(13)}`);
        console.log(`${String(RUNS).padStart(3)} ${mo.toFixed(2).padStart(9)} ${mt.toFixed(1).padStart(11)} ${(mt / mo).toFixed(1).padStart(12)}x`);
        console.log(`\nburst: ${burst} identities issued concurrently in ${burstMs.toFixed(0)} ms (${(burstMs / burst).toFixed(2)} ms each)`);
        console.log(`goal: >= ${GOAL}x  ${mt / mo >= GOAL ? 'met' : 'NOT MET'}`);
        if (mt / mo < GOAL) process.exitCode = 1;
    } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});
