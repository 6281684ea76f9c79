'use strict';
// The onboarding story with independent tools: openssl makes a device certificate, mosquitto_pub is refused until
// the certificate is registered through REST (curl), then its telemetry is readable through REST.
const assert = require('assert');
const fs = require('fs');
const { startTbsim, tempDir, run, curl, apiKey, makeCert, registerCertificate } = require('./support');

function mosquittoPub(sim, cert, version, message, extra = []) {
    return run('mosquitto_pub', [
        '-h', '127.0.0.1', '-p', String(sim.mqttPort), '--cafile', sim.caFile, '--cert', cert.certFile, '--key', cert.keyFile,
        '-V', version, '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', message, '-d', ...extra,
    ]);
}

describe('tbsim MQTT with mosquitto_pub', function () {
    let sim;
    let dir;
    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('refuses an unregistered certificate (3.1.1: CONNACK 5, 5.0: CONNACK 135) and accepts it once registered', async function () {
        const cert = await makeCert(dir, 'mosq-1');
        const v3 = await mosquittoPub(sim, cert, 'mqttv311', '{"temperature":21}');
        assert.notStrictEqual(v3.code, 0);
        assert.match(v3.stdout + v3.stderr, /received CONNACK \(5\)/);
        assert.match(v3.stdout + v3.stderr, /not authori[sz]ed/i);
        const v5 = await mosquittoPub(sim, cert, 'mqttv5', '{"temperature":21}');
        assert.notStrictEqual(v5.code, 0);
        assert.match(v5.stdout + v5.stderr, /received CONNACK \(135\)/);
        assert.match(v5.stdout + v5.stderr, /Not authorized/i);

        const registered = await registerCertificate(sim, 'mosq-1', cert.certPem);
        assert.strictEqual(registered.status, 200, registered.text);
        const deviceId = registered.body.id.id;

        const ok3 = await mosquittoPub(sim, cert, 'mqttv311', '{"temperature":"22.5","ok":true}');
        assert.strictEqual(ok3.code, 0, ok3.stdout + ok3.stderr);
        assert.match(ok3.stdout, /received PUBACK/);
        const ok5 = await mosquittoPub(sim, cert, 'mqttv5', JSON.stringify({ ts: 1767225600000, values: { humidity: 40 } }));
        assert.strictEqual(ok5.code, 0, ok5.stdout + ok5.stderr);
        assert.match(ok5.stdout, /received PUBACK \(Mid: 1, RC:0\)/);

        const latest = await curl(sim, 'GET', `/api/plugins/telemetry/DEVICE/${deviceId}/values/timeseries?keys=temperature,ok,humidity`, { auth: apiKey(sim) });
        assert.strictEqual(latest.status, 200);
        assert.deepStrictEqual(latest.body.temperature.map((p) => p.value), ['22.5']);
        assert.deepStrictEqual(latest.body.ok.map((p) => p.value), ['true']);
        assert.deepStrictEqual(latest.body.humidity, [{ ts: 1767225600000, value: '40' }]);
        const strict = await curl(sim, 'GET', `/api/plugins/telemetry/DEVICE/${deviceId}/values/timeseries?keys=temperature&useStrictDataTypes=true`, { auth: apiKey(sim) });
        assert.strictEqual(strict.body.temperature[0].value, 22.5); // numeric string cast to a number on the way in
        const history = await curl(sim, 'GET', `/api/plugins/telemetry/DEVICE/${deviceId}/values/timeseries?keys=humidity&startTs=0&endTs=${Date.now() + 1000}`, { auth: apiKey(sim) });
        assert.strictEqual(history.body.humidity.length, 1);
    });

    it('refuses a registered device whose certificate is presented with a token username: certificate auth is exclusive', async function () {
        const cert = await makeCert(dir, 'mosq-2');
        // a device with an access token exists, but the presented certificate is unknown
        const created = await curl(sim, 'POST', '/api/device?accessToken=mosq2token', { auth: apiKey(sim), body: { name: 'mosq-2' } });
        assert.strictEqual(created.status, 200, created.text);
        const res = await mosquittoPub(sim, cert, 'mqttv311', '{"a":1}', ['-u', 'mosq2token']);
        assert.match(res.stdout + res.stderr, /received CONNACK \(5\)/);
        // the same token without a client certificate is accepted
        const tokenOnly = await run('mosquitto_pub', [
            '-h', '127.0.0.1', '-p', String(sim.mqttPort), '--cafile', sim.caFile, '-u', 'mosq2token',
            '-V', 'mqttv311', '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"a":1}',
        ]);
        assert.strictEqual(tokenOnly.code, 0, tokenOnly.stderr);
    });
});
