'use strict';
// tb-provision (rest) when ThingsBoard refuses: each cause gets its own error (code, params, a key
// phrase; the exact English is in error-texts_spec.js), a short status, and never a secret.
const assert = require('assert');
const { selfSigned, useSimAndNodeRed, loadProvisionFlow, provisionOnce, recordStatus } = require('./support');

/** Runs one msg expecting failure; returns the error (code, message) and the last status. */
async function refusal(flow, msg) {
    const statuses = recordStatus(flow.prov);
    const result = await provisionOnce(flow, msg);
    assert.ok(result.error, `expected an error, got ${JSON.stringify(result.msg && result.msg.payload)}`);
    await new Promise((resolve) => setImmediate(resolve));
    return { error: result.error, message: String(result.error.message), status: statuses[statuses.length - 1] };
}

/** The node's error carries the code and the translated text: each parameter must show in it. */
function assertParams(message, params) {
    for (const [name, value] of Object.entries(params)) assert.ok(message.includes(String(value)), `${name} "${value}" in: ${message}`);
}

function assertNoSecret(message, ...secrets) {
    for (const secret of secrets) assert.ok(!message.includes(secret), 'the error text holds a secret');
    assert.doesNotMatch(message, /eyJ[\w-]+\.[\w-]+/, 'no JWT in the error text');
}

describe('tb-provision (rest) refusals on ThingsBoard 4.2.1', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { simOptions: { tbVersion: '4.2.1' } });

    it('says that API keys need ThingsBoard 4.3 when the server is older', async function () {
        const apiKey = sim.apiKey;
        const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey } });
        const { error, message, status } = await refusal(flow, { deviceName: 'old-key', payload: { certificate: selfSigned(dir, 'old-key').certPem } });
        assert.strictEqual(error.code, 'TB_API_KEY_UNSUPPORTED');
        assertParams(message, { address: new URL(sim.restUrl).host, config: 'tbsim' });
        assert.match(message, /need ThingsBoard 4\.3 or later/);
        assertNoSecret(message, apiKey);
        assert.deepStrictEqual(status, { fill: 'red', shape: 'ring', text: 'API key needs 4.3' });
        assert.strictEqual(sim.findDeviceByName('old-key'), undefined);
    });
});

describe('tb-provision (rest) refusals on the newest ThingsBoard', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env));

    it('says the API key itself was refused when the server knows API keys', async function () {
        const apiKey = 'tb_not-a-valid-key-0123456789';
        const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey } });
        const { error, message, status } = await refusal(flow, { deviceName: 'bad-key', payload: { certificate: selfSigned(dir, 'bad-key').certPem } });
        assert.strictEqual(error.code, 'TB_API_KEY_REJECTED');
        assertParams(message, { config: 'tbsim', reason: 'Invalid username or password' });
        assert.match(message, /rejected the API key/);
        assertNoSecret(message, apiKey);
        assert.deepStrictEqual(status, { fill: 'red', shape: 'ring', text: 'login rejected' });
    });
});
