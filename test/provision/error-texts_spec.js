'use strict';
// The exact English of the errors a refused REST call gives, one per cause (the other specs check code,
// parameters and a key phrase). Written out here, not read from the message table, so a changed text
// is a visible decision.
const assert = require('assert');
const path = require('path');

const { fail, provisionStatusFor, STATUS } = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib', 'thingsboard', 'messages.js'));

const TEXTS = [
    ['TB_LOGIN_TWO_FACTOR', { username: 'tenant@example.com', config: 'plant' },
        'The ThingsBoard account tenant@example.com of tb-x509-config "plant" has two-factor authentication, which a flow cannot complete (ThingsBoard would refuse every call with 403): use an API key (ThingsBoard 4.3 or later) or a tenant administrator account without two-factor authentication.',
        'two-factor login'],
    ['TB_API_KEY_UNSUPPORTED', { address: 'tb.example.com:443', config: 'plant' },
        'ThingsBoard at tb.example.com:443 does not accept API keys: they need ThingsBoard 4.3 or later. Clear the API key of tb-x509-config "plant" and enter the username and password of a tenant administrator, or upgrade ThingsBoard.',
        'API key needs 4.3'],
    ['TB_API_KEY_REJECTED', { config: 'plant', reason: 'Invalid username or password' },
        'ThingsBoard rejected the API key of tb-x509-config "plant" (Invalid username or password): check that the key exists, is enabled and has not expired.',
        'login rejected'],
    ['TB_PERMISSION_DENIED', { operation: 'GET /api/tenant/devices', config: 'plant', reason: "You don't have permission to perform this operation!" },
        'ThingsBoard denied GET /api/tenant/devices (HTTP 403: You don\'t have permission to perform this operation!): the account of tb-x509-config "plant" is not a tenant administrator. Provisioning needs a tenant administrator account (or its API key).',
        'permission denied'],
    ['TB_SUBSCRIPTION_VIOLATION', { operation: 'POST /api/device-with-credentials', config: 'plant', reason: 'Subscription is not active' },
        'ThingsBoard refused POST /api/device-with-credentials because of the subscription of the tenant (HTTP 403: Subscription is not active): the plan of the account in tb-x509-config "plant" does not allow it; check or upgrade the plan.',
        'plan limit'],
    ['TB_DEVICE_LIMIT_REACHED', { device: 'pump-7', reason: 'Devices limit reached' },
        'ThingsBoard did not create device "pump-7": the device limit of this ThingsBoard plan is reached (Devices limit reached). Delete devices that are no longer needed, or raise the limit (the plan on ThingsBoard Cloud, the tenant profile on your own server).',
        'device limit reached'],
];

describe('tb-provision refusal texts', function () {
    for (const [code, params, english, status] of TEXTS) {
        it(`${code}: its text and status`, function () {
            const error = fail(code, params);
            assert.strictEqual(error.code, code);
            assert.strictEqual(error.message, english);
            assert.strictEqual(STATUS[provisionStatusFor(code)], status);
        });
    }
});
