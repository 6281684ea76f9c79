'use strict';
// The tbsim command line: prints what a user needs, persists the tenant with --persist, stops cleanly on signals.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { tempDir, run } = require('./support');

const CLI = path.join(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'cli.js');

function startCli(args) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`tbsim CLI did not start:\n${out}`)), 20000);
        child.stdout.on('data', () => {
            if (out.includes('Ctrl-C stops it.')) {
                clearTimeout(timer);
                const field = (name) => new RegExp(`${name}:\\s+(\\S+)`).exec(out)[1];
                resolve({ restUrl: field('REST'), mqtt: field('MQTT \\(TLS\\)'), caFile: field('CA file'), apiKey: field('API key'), out });
            }
        });
        exited.then((code) => reject(new Error(`tbsim CLI exited with ${code}:\n${out}`)));
    });
    return { child, ready, exited, output: () => out };
}

async function curlJson(info, method, urlPath, body) {
    const args = ['-s', '--cacert', info.caFile, '-X', method, '-H', `X-Authorization: ApiKey ${info.apiKey}`];
    if (body) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
    const res = await run('curl', [...args, info.restUrl + urlPath]);
    return JSON.parse(res.stdout);
}

describe('tbsim CLI', function () {
    let dir;
    before(() => (dir = tempDir()));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('prints REST URL, MQTT address, CA file, login, API key and a curl example; keeps state with --persist', async function () {
        const args = ['--rest-port', '0', '--mqtt-port', '0', '--data-dir', dir, '--persist', '--quiet'];
        const first = startCli(args);
        const info = await first.ready;
        assert.match(info.restUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.match(info.mqtt, /^127\.0\.0\.1:\d+$/);
        assert.strictEqual(info.caFile, path.join(dir, 'ca.pem'));
        assert.match(info.out, /tenant login:\s+tenant@thingsboard\.org \/ tenant/);
        assert.match(info.out, /curl --cacert \S+ -H "X-Authorization: ApiKey tb_/);
        const device = await curlJson(info, 'POST', '/api/device', { name: 'kept' });
        assert.strictEqual(device.name, 'kept');
        const ca = fs.readFileSync(info.caFile, 'utf8');
        first.child.kill('SIGTERM');
        assert.strictEqual(await first.exited, 0);
        assert.ok(fs.existsSync(path.join(dir, 'state.json')));
        assert.doesNotMatch(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), /"password"/);

        const second = startCli(args);
        const again = await second.ready;
        assert.strictEqual(again.apiKey, info.apiKey);
        assert.strictEqual(fs.readFileSync(again.caFile, 'utf8'), ca);
        const found = await curlJson(again, 'GET', '/api/tenant/device?deviceName=kept');
        assert.deepStrictEqual(found.id, device.id);
        second.child.kill('SIGINT');
        assert.strictEqual(await second.exited, 0);
    });

    it('rejects an unknown option with a usage text', async function () {
        const res = await run(process.execPath, [CLI, '--bogus']);
        assert.strictEqual(res.code, 2);
        assert.match(res.stderr, /unknown option --bogus/);
        assert.match(res.stderr, /--rest-port/);
    });
});
