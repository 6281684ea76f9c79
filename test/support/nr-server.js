'use strict';
// A real Node-RED for browser tests, in a child process of its own (the editor must not share
// the test process's event loop or module cache). It loads this package the way users install
// it: <userDir>/node_modules/node-red-contrib-thingsboard-x509 points at the repository, so the
// runtime reads package.json's node-red section, dist/ node files, icons, locales and examples/.
//
//   const nr = await startNodeRed({ flows: [...] });   // nr.url, nr.userDir, nr.logs()
//   await nr.stop();                                    // stops Node-RED, removes the userDir
//
// Runs the Node-RED under test (node-red-install.js), like test/support/node-red.js.
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');
const { getJson } = require('./http');
const { nodeRedInstall, repoRoot } = require('./node-red-install');

const packageName = require(path.join(repoRoot, 'package.json')).name;
const CONFIG_ENV = 'TB_NR_SERVER_CONFIG';

/** Starts Node-RED with a fresh userDir; resolves once the admin API answers. */
async function startNodeRed({ flows = [], credentialSecret = 'browser-test-secret' } = {}) {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-x509-nr-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', packageName), 'dir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));

    let output = '';
    const child = spawn(process.execPath, [__filename], {
        env: { ...process.env, [CONFIG_ENV]: JSON.stringify({ userDir, credentialSecret }) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));

    const cleanup = () => fs.rmSync(userDir, { recursive: true, force: true });
    let port;
    try {
        port = await new Promise((resolve, reject) => {
            child.once('message', (m) => (m && m.port ? resolve(m.port) : reject(new Error(m && m.error))));
            exited.then((code) => reject(new Error(`Node-RED exited (${code}) before it was ready:\n${output}`)));
        });
        const url = `http://127.0.0.1:${port}/`;
        // The module list proves the runtime has loaded and registered the nodes.
        const nodeSets = await getJson(`${url}nodes`, { timeoutMs: 5000 });
        const ours = nodeSets.filter((set) => set.module === packageName);
        const failed = ours.filter((set) => !set.enabled || set.err);
        if (ours.length === 0 || failed.length) {
            throw new Error(`Node-RED did not load ${packageName}: ${JSON.stringify(failed)}\n${output}`);
        }
    } catch (err) {
        child.kill('SIGKILL');
        await exited;
        cleanup();
        throw err;
    }

    return {
        url: `http://127.0.0.1:${port}/`,
        userDir,
        logs: () => output,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                child.send({ stop: true });
                const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
                await exited;
                clearTimeout(timer);
            }
            cleanup();
        },
    };
}

/** Child side: Node-RED's own embedding API on a server listening on a free loopback port. */
async function runChild() {
    const { userDir, credentialSecret } = JSON.parse(process.env[CONFIG_ENV]);
    const RED = require(nodeRedInstall().main);
    const server = http.createServer();
    RED.init(server, {
        userDir,
        flowFile: 'flows.json',
        credentialSecret,
        uiHost: '127.0.0.1',
        httpAdminRoot: '/',
        httpNodeRoot: false,
        logging: { console: { level: 'warn', metrics: false, audit: false } },
        // Nothing may reach the internet, and no consent or tour popup may cover the editor.
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false, ui: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        editorTheme: { tours: false, projects: { enabled: false } },
    });
    server.on('request', RED.httpAdmin);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    await RED.start();
    process.on('message', async (m) => {
        if (!m || !m.stop) return;
        try {
            await RED.stop();
        } finally {
            server.close();
            process.exit(0);
        }
    });
    process.send({ port: server.address().port });
}

if (require.main === module) {
    runChild().catch((err) => {
        if (process.send) process.send({ error: err.stack || String(err) });
        process.exit(1);
    });
}

module.exports = { startNodeRed, packageName, repoRoot };
