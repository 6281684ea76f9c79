'use strict';
// Smoke test of `npm start` (dist/tools/demo/start.js) on free ports: tbsim + Node-RED with the
// onboarding and streaming examples; the curl command it prints reads the telemetry back.
const assert = require('assert');
const { spawn, execFile } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { root, waitFor } = require('./support');
const { nodeRedInstall } = require('../support/node-red-install');

function curl(command) {
    return new Promise((resolve, reject) => {
        execFile('bash', ['-c', command], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    });
}

function answers(url) {
    return new Promise((resolve) => {
        http.get(url, (res) => {
            res.resume();
            resolve(true);
        }).on('error', () => resolve(false));
    });
}

describe('npm start (demo)', function () {
    this.timeout(120000);
    let tmp;
    let demo;

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-x509-demo-'));
    });
    after(() => {
        if (demo && demo.exitCode === null) demo.kill('SIGKILL');
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('onboards sensor-1, streams its readings to tbsim, prints a working curl command, and stops on Ctrl-C', async function () {
        demo = spawn(process.execPath, [path.join(root, 'dist', 'tools', 'demo', 'start.js'),
            '--rest-port', '0', '--mqtt-port', '0', '--node-red-port', '0',
            '--data-dir', path.join(tmp, 'tbsim'), '--user-dir', path.join(tmp, 'demo'),
            ...(nodeRedInstall().dir ? ['--node-red-dir', nodeRedInstall().dir] : [])], { cwd: tmp });
        let output = '';
        demo.stdout.on('data', (d) => (output += d));
        demo.stderr.on('data', (d) => (output += d));
        const exited = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })));

        const editor = await waitFor('the editor URL', () => /Node-RED editor\s+(http:\/\/\S+)/.exec(output), 60000)
            .catch((err) => { throw new Error(`${err.message}\n${output}`); });
        assert.ok(await answers(editor[1]), 'the editor answers');
        const version = /\(Node-RED v(\d+)\./.exec(output);
        assert.strictEqual(version && version[1], nodeRedInstall().version.split('.')[0], 'the demo runs the Node-RED under test');
        // Credentials stay out of the flow file; they are in the encrypted credentials file.
        const flowText = fs.readFileSync(path.join(tmp, 'demo', 'flows.json'), 'utf8');
        assert.doesNotMatch(flowText, /BEGIN CERTIFICATE|tenant@thingsboard\.org/);
        assert.ok(JSON.parse(fs.readFileSync(path.join(tmp, 'demo', 'flows_cred.json'), 'utf8')).$);

        const printed = await waitFor('the telemetry curl command', () =>
            /Read the latest values from tbsim with:\n(curl [^\n]*\\\n[^\n]*)/.exec(output), 60000)
            .catch((err) => { throw new Error(`${err.message}\n${output}`); });
        const reply = JSON.parse(await curl(printed[1].replace('\\\n', ' ')));
        assert.ok(Array.isArray(reply.temperature) && reply.temperature.length === 1, JSON.stringify(reply));
        assert.ok(Array.isArray(reply.humidity) && reply.humidity.length === 1, JSON.stringify(reply));
        assert.ok(Number.isFinite(Number(reply.temperature[0].value)));

        demo.kill('SIGINT');
        const { code } = await exited;
        assert.strictEqual(code, 0, output);
        assert.strictEqual(await answers(editor[1]), false, 'Node-RED stopped');
        assert.ok(fs.existsSync(path.join(tmp, 'tbsim', 'state.json')), 'tbsim state persisted in the data dir');
    });
});
