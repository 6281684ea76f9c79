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

    it('behaves like the release given with --tb-version and says so; without API keys before 4.3', async function () {
        const cli = startCli(['--rest-port', '0', '--mqtt-port', '0', '--data-dir', dir, '--quiet', '--tb-version', 'v3.6.4']);
        const info = await cli.ready;
        assert.match(info.out, /behaves like:\s+ThingsBoard 3\.6\.4\n/);
        assert.match(info.out, /API key:\s+none \(ThingsBoard 3\.6\.4 has none; API keys exist from 4\.3\)/);
        assert.match(info.out, /curl --cacert \S+ -H "Content-Type: application\/json" -d '\{"username":"tenant@thingsboard\.org","password":"tenant"\}' "https:\/\/127\.0\.0\.1:\d+\/api\/auth\/login"/);
        // the release is the server's: the 4.3.1.2 lookup path is not there
        const res = await run('curl', ['-s', '--cacert', info.caFile, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ username: 'tenant@thingsboard.org', password: 'tenant' }), `${info.restUrl}/api/auth/login`]);
        const { token } = JSON.parse(res.stdout);
        const lookup = await run('curl', ['-s', '--cacert', info.caFile, '-H', `X-Authorization: Bearer ${token}`, `${info.restUrl}/api/tenant/device?deviceName=x`]);
        assert.strictEqual(JSON.parse(lookup.stdout).message, 'Invalid UUID string: device');
        cli.child.kill('SIGTERM');
        assert.strictEqual(await cli.exited, 0);
    });

    it('exits 2 with a clear message for a --tb-version that is no supported release', async function () {
        for (const [value, phrase] of [['latest', /--tb-version "latest" is not a ThingsBoard release such as 3\.6\.4/], ['3.4.4', /--tb-version 3\.4\.4: tbsim models ThingsBoard 3\.5 and later/]]) {
            const res = await run(process.execPath, [CLI, '--tb-version', value]);
            assert.strictEqual(res.code, 2, value);
            assert.match(res.stderr, phrase);
            assert.match(res.stderr, /--tb-version <v>/);
        }
        const missing = await run(process.execPath, [CLI, '--tb-version']);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /--tb-version needs a value/);
    });

    it('rejects an unknown option with a usage text', async function () {
        const res = await run(process.execPath, [CLI, '--bogus']);
        assert.strictEqual(res.code, 2);
        assert.match(res.stderr, /unknown option --bogus/);
        assert.match(res.stderr, /--rest-port/);
    });
});
