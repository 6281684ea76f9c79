'use strict';
// Child processes and HTTP for the package tests: npm, the node-red binary, free ports.
const { execFile, spawn } = require('child_process');
const net = require('net');
const path = require('path');
const { getJson } = require('../support/http');

function run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
            if (err) {
                err.message += `\n${stdout}\n${stderr}`;
                return reject(err);
            }
            resolve(stdout);
        });
    });
}

function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/** The node-red binary of our devDependency (or `nodeRedDir`'s), started on a loopback port. */
async function startNodeRed({ userDir, port, nodeBin = process.execPath, nodeRedDir, args = [], env = {} }) {
    const redJs = nodeRedDir
        ? require.resolve('node-red/red.js', { paths: [nodeRedDir] })
        : require.resolve('node-red/red.js');
    const child = spawn(nodeBin, [redJs, '-u', userDir, '-p', String(port), ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 90000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`node-red exited (${child.exitCode}):\n${output}`);
        if (/Server now running at/.test(output)) {
            try {
                await getJson(url + 'settings');
                break;
            } catch (_) { /* not serving yet */ }
        }
        if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`node-red did not start within 90 s:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    return {
        url,
        output: () => output,
        async stop() {
            if (child.exitCode === null) {
                child.kill('SIGINT');
                const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
                await exited;
                clearTimeout(timer);
            }
        },
    };
}

module.exports = { run, freePort, getJson, startNodeRed, root: path.resolve(__dirname, '..', '..') };
