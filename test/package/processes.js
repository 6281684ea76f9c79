'use strict';
// Child processes and HTTP for the package tests: npm, the node-red binary, free ports.
const { execFile, spawn } = require('child_process');
const path = require('path');
const { getJson } = require('../support/http');
const { freePort } = require('../support/ports');
const { pollUntil } = require('../support/wait');
const { nodeRedInstall } = require('../support/node-red-install');

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

/** The node-red binary of the Node-RED under test (or `nodeRedDir`'s), started on a loopback port. */
async function startNodeRed({ userDir, port, nodeBin = process.execPath, nodeRedDir, args = [], env = {} }) {
    const redJs = nodeRedDir ? require.resolve('node-red/red.js', { paths: [nodeRedDir] }) : nodeRedInstall().redJs;
    const child = spawn(nodeBin, [redJs, '-u', userDir, '-p', String(port), ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const url = `http://127.0.0.1:${port}/`;
    const serving = async () => {
        if (child.exitCode !== null) throw new Error(`node-red exited (${child.exitCode}):\n${output}`);
        if (!/Server now running at/.test(output)) return false;
        return getJson(url + 'settings').then(() => true, () => false);
    };
    try {
        await pollUntil(serving, 90000, { pollMs: 200, what: 'node-red to start', context: () => output });
    } catch (err) {
        child.kill('SIGKILL');
        throw err;
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
