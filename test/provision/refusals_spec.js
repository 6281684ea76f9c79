'use strict';
// tb-provision (rest) when ThingsBoard refuses, against every tested release: each cause gets its own
// error (code, parameters, a key phrase; the exact English is in test/editor/catalogs_spec.js), its own short
// status, and never a secret.
const assert = require('assert');
const path = require('path');
const { forEachRelease } = require('../support/releases');
const { selfSigned, useSimAndNodeRed, simRest, loadProvisionFlow, provisionOnce, recordStatus } = require('./support');

const { Release } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'release.js'));

const CUSTOMER = { username: 'customer@thingsboard.org', password: 'Customer-Pass-1', authority: 'CUSTOMER_USER' };
const TWO_FACTOR = { username: 'secure@thingsboard.org', password: 'Secure-Pass-2', mfa: true };

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

const red = (text) => ({ fill: 'red', shape: 'ring', text });

forEachRelease('tb-provision (rest) refusals', function (tbVersion) {
    let sim;
    let dir;
    const release = new Release(tbVersion);

    useSimAndNodeRed((env) => ({ sim, dir } = env), { simOptions: { tbVersion, users: [CUSTOMER, TWO_FACTOR] } });

    const certFor = (name) => ({ deviceName: name, payload: { certificate: selfSigned(dir, name).certPem } });
    const accountFlow = (account) => loadProvisionFlow(sim, {
        configCredentials: { ca: sim.caPem, username: account.username, password: account.password },
    });

    if (release.has('apiKeys')) {
        it('says the API key itself was refused when the server knows API keys', async function () {
            const apiKey = 'tb_not-a-valid-key-0123456789';
            const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey } });
            const { error, message, status } = await refusal(flow, certFor('bad-key'));
            assert.strictEqual(error.code, 'TB_API_KEY_REJECTED');
            assertParams(message, { config: 'tbsim', reason: 'Invalid username or password' });
            assert.match(message, /rejected the API key/);
            assertNoSecret(message, apiKey);
            assert.deepStrictEqual(status, red('login rejected'));
        });
    } else {
        it('says that API keys need ThingsBoard 4.3 or later', async function () {
            const apiKey = sim.apiKey;
            const flow = await loadProvisionFlow(sim, { configCredentials: { ca: sim.caPem, apiKey } });
            const { error, message, status } = await refusal(flow, certFor('old-key'));
            assert.strictEqual(error.code, 'TB_API_KEY_UNSUPPORTED');
            assertParams(message, { address: new URL(sim.restUrl).host, config: 'tbsim' });
            assert.match(message, /need ThingsBoard 4\.3 or later/);
            assertNoSecret(message, apiKey);
            assert.deepStrictEqual(status, red('API key needs 4.3'));
            assert.strictEqual(sim.findDeviceByName('old-key'), undefined);
        });
    }

    it('tells an account with two-factor authentication to use an API key or an account without it, after the login alone', async function () {
        const flow = await accountFlow(TWO_FACTOR);
        const logStart = sim.requestLog().length;
        const { error, message, status } = await refusal(flow, certFor('two-factor'));
        assert.strictEqual(error.code, 'TB_LOGIN_TWO_FACTOR');
        assertParams(message, { username: TWO_FACTOR.username, config: 'tbsim' });
        assert.match(message, /two-factor authentication/);
        assert.match(message, /API key/);
        assertNoSecret(message, TWO_FACTOR.password);
        assert.deepStrictEqual(status, red('two-factor login'));
        assert.deepStrictEqual(sim.requestLog().slice(logStart).map((r) => `${r.method} ${r.path} ${r.status}`),
            ['POST /api/auth/login 200'], 'no call that would only answer 403');
    });

    it('says the account is not a tenant administrator (403 errorCode 20)', async function () {
        const flow = await accountFlow(CUSTOMER);
        const { error, message, status } = await refusal(flow, certFor('customer-made'));
        assert.strictEqual(error.code, 'TB_PERMISSION_DENIED');
        assertParams(message, { operation: 'GET /api/tenant/devices', config: 'tbsim', reason: "You don't have permission to perform this operation!" });
        assert.match(message, /is not a tenant administrator/);
        assertNoSecret(message, CUSTOMER.password);
        assert.deepStrictEqual(status, red('permission denied'));
        assert.strictEqual(sim.findDeviceByName('customer-made'), undefined);
    });

    it(`says the device limit of the plan is reached (${release.has('entityLimit403') ? '403 errorCode 41' : '400 "Devices limit reached"'})`, async function () {
        assert.strictEqual((await simRest(sim, 'POST', '/api/device', { name: 'within-limit' })).status, 200);
        const page = await simRest(sim, 'GET', '/api/tenant/devices?pageSize=1&page=0');
        sim.setMaxDevices(page.body.totalElements); // the plan is full now
        try {
            const flow = await loadProvisionFlow(sim);
            const { error, message, status } = await refusal(flow, certFor('one-too-many'));
            assert.strictEqual(error.code, 'TB_DEVICE_LIMIT_REACHED');
            assertParams(message, { device: 'one-too-many', reason: 'Devices limit reached' });
            assert.match(message, /device limit of this ThingsBoard plan is reached/);
            assert.deepStrictEqual(status, red('device limit reached'));
            assert.strictEqual(sim.findDeviceByName('one-too-many'), undefined);
        } finally {
            sim.setMaxDevices(undefined);
        }
    });

    it('says the subscription of the tenant refuses the call (403 errorCode 40)', async function () {
        sim.setSubscriptionViolation(true);
        try {
            const flow = await loadProvisionFlow(sim);
            const { error, message, status } = await refusal(flow, certFor('over-plan'));
            assert.strictEqual(error.code, 'TB_SUBSCRIPTION_VIOLATION');
            assertParams(message, { operation: 'POST /api/device-with-credentials', config: 'tbsim', reason: 'Maximum allowed devices limit reached!' });
            assert.match(message, /because of the subscription/);
            assert.deepStrictEqual(status, red('plan limit'));
        } finally {
            sim.setSubscriptionViolation(false);
        }
    });
});
