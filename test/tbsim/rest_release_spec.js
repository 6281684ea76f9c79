'use strict';
// tbsim behaves like the ThingsBoard release it is started as (reference §9.1): every REST / auth
// difference pinned per release with the exact answer of that release's source. The expectations are
// written out here from the source, not read from tools/tbsim/release.ts.
const assert = require('assert');
const { startTbsim, curl, login, bearer, apiKey } = require('./support');
const { TESTED_RELEASES } = require('../support/releases');

function assertError(res, status, message, errorCode) {
    assert.strictEqual(res.status, status, res.text);
    assert.deepStrictEqual(Object.keys(res.body), ['status', 'message', 'errorCode', 'timestamp']);
    assert.strictEqual(res.body.status, status);
    assert.strictEqual(res.body.message, message);
    assert.strictEqual(res.body.errorCode, errorCode);
}

// What each tested release has (git tags of thingsboard/thingsboard, see the comments per row).
const RELEASES = {
    //          /api/tenant/device (DeviceController, 4.3.1.2)   API keys (ApiKeyTokenAuthenticationProcessingFilter, 4.3)
    '3.6.4': { tenantDevicePath: false, apiKeys: false },
    '4.2.1': { tenantDevicePath: false, apiKeys: false },
    '4.3.1.1': { tenantDevicePath: false, apiKeys: true },
    '4.3.1.3': { tenantDevicePath: true, apiKeys: true },
};

describe('tbsim REST per ThingsBoard release', function () {
    it('covers every tested release', function () {
        assert.deepStrictEqual(Object.keys(RELEASES), [...TESTED_RELEASES]);
    });

    for (const [version, has] of Object.entries(RELEASES)) {
        describe(`ThingsBoard ${version}`, function () {
            let sim;
            let token;

            before(async function () {
                sim = await startTbsim({ tbVersion: version });
                token = (await login(sim)).token;
                const created = await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'dev-1' } });
                assert.strictEqual(created.status, 200, created.text);
            });
            after(async function () {
                await sim.stop();
            });

            it('reports the release it behaves like', function () {
                assert.strictEqual(sim.tbVersion, version);
            });

            it('finds a device by name with GET /api/tenant/devices?deviceName= (one Device; 404 errorCode 32)', async function () {
                const found = await curl(sim, 'GET', '/api/tenant/devices?deviceName=dev-1', { auth: bearer(token) });
                assert.strictEqual(found.status, 200, found.text);
                assert.strictEqual(found.body.name, 'dev-1');
                assert.strictEqual(found.body.id.entityType, 'DEVICE');
                assertError(await curl(sim, 'GET', '/api/tenant/devices?deviceName=nope', { auth: bearer(token) }), 404, "Requested item wasn't found!", 32);
            });

            if (has.tenantDevicePath) {
                it('has GET /api/tenant/device?deviceName= (4.3.1.2+)', async function () {
                    const found = await curl(sim, 'GET', '/api/tenant/device?deviceName=dev-1', { auth: bearer(token) });
                    assert.strictEqual(found.status, 200, found.text);
                    assert.strictEqual(found.body.name, 'dev-1');
                    assertError(await curl(sim, 'GET', '/api/tenant/device?deviceName=nope', { auth: bearer(token) }), 404, "Requested item wasn't found!", 32);
                });

                it('pages /api/tenant/devices without the pageSize/page params condition (4.3.1.2+)', async function () {
                    assertError(await curl(sim, 'GET', '/api/tenant/devices', { auth: bearer(token) }), 400,
                        "Required request parameter 'pageSize' for method parameter type int is not present", 31);
                });
            } else {
                it('routes GET /api/tenant/device?deviceName= to GET /api/tenant/{tenantId}: 400 "Invalid UUID string: device"', async function () {
                    assertError(await curl(sim, 'GET', '/api/tenant/device?deviceName=dev-1', { auth: bearer(token) }), 400, 'Invalid UUID string: device', 31);
                });

                it('routes /api/tenant/devices without pageSize and page to GET /api/tenant/{tenantId} (params condition)', async function () {
                    assertError(await curl(sim, 'GET', '/api/tenant/devices?page=0', { auth: bearer(token) }), 400, 'Invalid UUID string: devices', 31);
                    assertError(await curl(sim, 'GET', '/api/tenant/deviceInfos', { auth: bearer(token) }), 400, 'Invalid UUID string: deviceInfos', 31);
                });
            }

            it('serves GET /api/tenant/{tenantId} for the own tenant', async function () {
                const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
                const tenant = await curl(sim, 'GET', `/api/tenant/${claims.tenantId}`, { auth: bearer(token) });
                assert.strictEqual(tenant.status, 200, tenant.text);
                assert.deepStrictEqual(tenant.body.id, { entityType: 'TENANT', id: claims.tenantId });
            });

            it('accepts a JWT in X-Authorization and in Authorization, both with "Bearer "', async function () {
                for (const auth of [bearer(token), `Authorization: Bearer ${token}`]) {
                    const res = await curl(sim, 'GET', '/api/auth/user', { auth });
                    assert.strictEqual(res.status, 200, `${auth.split(':')[0]}: ${res.text}`);
                    assert.strictEqual(res.body.authority, 'TENANT_ADMIN');
                }
            });

            if (has.apiKeys) {
                it('accepts X-Authorization: ApiKey (4.3+) and refuses a wrong key as bad credentials', async function () {
                    const res = await curl(sim, 'GET', '/api/auth/user', { auth: apiKey(sim) });
                    assert.strictEqual(res.status, 200, res.text);
                    assert.strictEqual(res.body.authority, 'TENANT_ADMIN');
                    assertError(await curl(sim, 'GET', '/api/auth/user', { auth: 'X-Authorization: ApiKey tb_wrong' }), 401, 'Invalid username or password', 10);
                });
            } else {
                it('answers an API key with 401 "Invalid username or password" errorCode 10 (the JWT filter reads it as a malformed JWT)', async function () {
                    for (const auth of [apiKey(sim), `Authorization: ApiKey ${sim.apiKey}`]) {
                        assertError(await curl(sim, 'GET', '/api/auth/user', { auth }), 401, 'Invalid username or password', 10);
                        assertError(await curl(sim, 'GET', '/api/tenant/devices?deviceName=dev-1', { auth }), 401, 'Invalid username or password', 10);
                    }
                });
            }
        });
    }
});
