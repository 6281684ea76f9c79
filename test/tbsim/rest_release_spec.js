'use strict';
// tbsim behaves like the ThingsBoard release it is started as (reference §9.1): every REST / auth / store /
// provisioning difference pinned per release with the exact answer of that release's source. The
// expectations are written out here from the source (tags of thingsboard/thingsboard), not read from
// tools/tbsim/release.ts. tbsim's answers are the server's, so whole messages are asserted here.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir, run, curl, login, bearer, apiKey, adminAuth, connectMqtt, waitFor, publish, end } = require('./support');
const { TESTED_RELEASES } = require('../support/releases');

const PERMISSION_DENIED = "You don't have permission to perform this operation!";

function assertError(res, status, message, errorCode, extraKeys = []) {
    assert.strictEqual(res.status, status, res.text);
    assert.deepStrictEqual(Object.keys(res.body), ['status', 'message', 'errorCode', 'timestamp', ...extraKeys]);
    assert.strictEqual(res.body.status, status);
    assert.strictEqual(res.body.message, message);
    assert.strictEqual(res.body.errorCode, errorCode);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** openssl CA and a leaf it signed; `chainPem` = leaf + CA, as a device presents it. */
async function makeChain(dir, caName, cn) {
    const ca = { certFile: path.join(dir, `${caName}.pem`), keyFile: path.join(dir, `${caName}-key.pem`) };
    let res = await run('openssl', ['req', '-x509', ...EC, '-keyout', ca.keyFile, '-out', ca.certFile, '-days', '2', '-subj', `/CN=${caName}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    assert.strictEqual(res.code, 0, res.stderr);
    const keyFile = path.join(dir, `${cn}-key.pem`);
    const csr = path.join(dir, `${cn}.csr`);
    const certFile = path.join(dir, `${cn}.pem`);
    res = await run('openssl', ['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${cn}`]);
    assert.strictEqual(res.code, 0, res.stderr);
    res = await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2']);
    assert.strictEqual(res.code, 0, res.stderr);
    const caPem = fs.readFileSync(ca.certFile, 'utf8');
    const certPem = fs.readFileSync(certFile, 'utf8');
    return { caPem, leaf: { certPem: certPem + caPem, keyPem: fs.readFileSync(keyFile, 'utf8') } };
}

const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

// What each tested release has, with where the source says so:
//  tenantDevicePath  DeviceController @GetMapping("/tenant/device")                          4.3.1.2
//  apiKeys           ApiKeyTokenAuthenticationProcessingFilter                               4.3
//  limit403          ThingsboardErrorCode.ENTITIES_LIMIT_EXCEEDED (41), EntitiesLimitExceededException 4.3
//  kickIdentical     DeviceCredentialsServiceImpl without isCredentialsChanged               before 4.2.1.1 / 4.3
//  controlChars      DeviceCredentialsDataValidator.rejectControlChars                       4.2.2.3 / 4.3.1.3
//  versions          DeviceCredentials / Device implements HasVersion                        3.8
//  jwtNulls          JwtPair without @JsonInclude(NON_NULL)                                  before 3.7
//  provisionGateway  DeviceServiceImpl.saveDevice(ProvisionRequest…) reads getGateway()      3.8
const RELEASES = {
    '3.6.4': { tenantDevicePath: false, apiKeys: false, limit403: false, kickIdentical: true, controlChars: false, versions: false, jwtNulls: true, provisionGateway: false },
    '4.2.1': { tenantDevicePath: false, apiKeys: false, limit403: false, kickIdentical: true, controlChars: false, versions: true, jwtNulls: false, provisionGateway: true },
    '4.3.1.1': { tenantDevicePath: false, apiKeys: true, limit403: true, kickIdentical: false, controlChars: false, versions: true, jwtNulls: false, provisionGateway: true },
    '4.3.1.3': { tenantDevicePath: true, apiKeys: true, limit403: true, kickIdentical: false, controlChars: true, versions: true, jwtNulls: false, provisionGateway: true },
};

const USERS = [
    { username: 'customer@thingsboard.org', password: 'customer', authority: 'CUSTOMER_USER' },
    { username: 'mfa@thingsboard.org', password: 'mfa-pass', mfa: true },
];

describe('tbsim per ThingsBoard release', function () {
    it('covers every tested release', function () {
        assert.deepStrictEqual(Object.keys(RELEASES), [...TESTED_RELEASES]);
    });

    for (const [version, has] of Object.entries(RELEASES)) {
        describe(`ThingsBoard ${version}`, function () {
            let sim;
            let token;
            let device;
            const clients = [];
            const admin = () => ({ auth: bearer(token) });

            before(async function () {
                sim = await startTbsim({ tbVersion: version, users: USERS });
                token = (await login(sim)).token;
                const created = await curl(sim, 'POST', '/api/device?accessToken=tok-dev-1', { ...admin(), body: { name: 'dev-1' } });
                assert.strictEqual(created.status, 200, created.text);
                device = created.body;
                sim.createDeviceProfile({ name: 'auto', provisionType: 'ALLOW_CREATE_NEW_DEVICES', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret' });
            });
            afterEach(async function () {
                sim.setMaxDevices(undefined);
                sim.setSubscriptionViolation(false);
                await Promise.all(clients.splice(0).map(end));
            });
            after(async function () {
                await sim.stop();
            });

            it('reports the release it behaves like', function () {
                assert.strictEqual(sim.tbVersion, version);
            });

            it(`gives tests tenant-admin access on every release (${has.apiKeys ? 'API key' : 'JWT without a login'})`, async function () {
                const logins = sim.loginCount();
                const auth = adminAuth(sim);
                assert.match(auth, has.apiKeys ? /^X-Authorization: ApiKey tb_/ : /^X-Authorization: Bearer ey/);
                const res = await curl(sim, 'GET', '/api/auth/user', { auth });
                assert.strictEqual(res.status, 200, res.text);
                assert.strictEqual(res.body.authority, 'TENANT_ADMIN');
                assert.strictEqual(sim.loginCount(), logins);
            });

            describe('device lookup by name', function () {
                it('finds a device with GET /api/tenant/devices?deviceName= (one Device; 404 errorCode 32)', async function () {
                    const found = await curl(sim, 'GET', '/api/tenant/devices?deviceName=dev-1', admin());
                    assert.strictEqual(found.status, 200, found.text);
                    assert.strictEqual(found.body.name, 'dev-1');
                    assert.deepStrictEqual(found.body.id, device.id);
                    assertError(await curl(sim, 'GET', '/api/tenant/devices?deviceName=nope', admin()), 404, "Requested item wasn't found!", 32);
                });

                if (has.tenantDevicePath) {
                    it('has GET /api/tenant/device?deviceName= (4.3.1.2+)', async function () {
                        const found = await curl(sim, 'GET', '/api/tenant/device?deviceName=dev-1', admin());
                        assert.strictEqual(found.status, 200, found.text);
                        assert.deepStrictEqual(found.body.id, device.id);
                        assertError(await curl(sim, 'GET', '/api/tenant/device?deviceName=nope', admin()), 404, "Requested item wasn't found!", 32);
                    });

                    it('pages /api/tenant/devices without a pageSize/page params condition (4.3.1.2+)', async function () {
                        assertError(await curl(sim, 'GET', '/api/tenant/devices', admin()), 400,
                            "Required request parameter 'pageSize' for method parameter type int is not present", 31);
                    });
                } else {
                    it('routes GET /api/tenant/device?deviceName= to GET /api/tenant/{tenantId}: 400 "Invalid UUID string: device"', async function () {
                        assertError(await curl(sim, 'GET', '/api/tenant/device?deviceName=dev-1', admin()), 400, 'Invalid UUID string: device', 31);
                    });

                    it('routes /api/tenant/devices without pageSize and page to GET /api/tenant/{tenantId} (params condition)', async function () {
                        assertError(await curl(sim, 'GET', '/api/tenant/devices?page=0', admin()), 400, 'Invalid UUID string: devices', 31);
                        assertError(await curl(sim, 'GET', '/api/tenant/deviceInfos', admin()), 400, 'Invalid UUID string: deviceInfos', 31);
                    });
                }

                it('serves GET /api/tenant/{tenantId} for the own tenant', async function () {
                    const { tenantId } = claimsOf(token);
                    const tenant = await curl(sim, 'GET', `/api/tenant/${tenantId}`, admin());
                    assert.strictEqual(tenant.status, 200, tenant.text);
                    assert.deepStrictEqual(tenant.body.id, { entityType: 'TENANT', id: tenantId });
                });
            });

            describe('authentication', function () {
                it(`answers the login with ${has.jwtNulls ? '{token, refreshToken, scope: null}' : '{token, refreshToken}'}`, async function () {
                    const res = await curl(sim, 'POST', '/api/auth/login', { body: sim.tenant });
                    assert.strictEqual(res.status, 200, res.text);
                    assert.deepStrictEqual(Object.keys(res.body), has.jwtNulls ? ['token', 'refreshToken', 'scope'] : ['token', 'refreshToken']);
                    if (has.jwtNulls) assert.strictEqual(res.body.scope, null);
                    assert.deepStrictEqual(claimsOf(res.body.token).scopes, ['TENANT_ADMIN']);
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

                it('logs an account with two-factor authentication in with a PRE_VERIFICATION_TOKEN that every call refuses with 403 errorCode 20', async function () {
                    const res = await curl(sim, 'POST', '/api/auth/login', { body: { username: 'mfa@thingsboard.org', password: 'mfa-pass' } });
                    assert.strictEqual(res.status, 200, res.text);
                    if (has.jwtNulls) {
                        assert.deepStrictEqual(Object.keys(res.body), ['token', 'refreshToken', 'scope']);
                        assert.strictEqual(res.body.refreshToken, null);
                    } else {
                        assert.deepStrictEqual(Object.keys(res.body), ['token', 'scope']);
                    }
                    assert.strictEqual(res.body.scope, 'PRE_VERIFICATION_TOKEN');
                    const claims = claimsOf(res.body.token);
                    assert.deepStrictEqual(claims.scopes, ['PRE_VERIFICATION_TOKEN']);
                    assert.strictEqual(claims.sub, 'mfa@thingsboard.org');
                    assert.strictEqual(claims.exp - claims.iat, 1800);
                    const pre = { auth: bearer(res.body.token) };
                    assertError(await curl(sim, 'GET', '/api/auth/user', pre), 403, PERMISSION_DENIED, 20);
                    assertError(await curl(sim, 'GET', '/api/tenant/devices?deviceName=dev-1', pre), 403, PERMISSION_DENIED, 20);
                    assertError(await curl(sim, 'POST', '/api/device', { ...pre, body: { name: 'mfa-dev' } }), 403, PERMISSION_DENIED, 20);
                    assert.strictEqual(sim.findDeviceByName('mfa-dev'), undefined);
                });

                it('lets a CUSTOMER_USER log in and refuses it with 403 errorCode 20 where TENANT_ADMIN is required', async function () {
                    const res = await curl(sim, 'POST', '/api/auth/login', { body: { username: 'customer@thingsboard.org', password: 'customer' } });
                    assert.strictEqual(res.status, 200, res.text);
                    assert.deepStrictEqual(claimsOf(res.body.token).scopes, ['CUSTOMER_USER']);
                    const customer = { auth: bearer(res.body.token) };
                    const me = await curl(sim, 'GET', '/api/auth/user', customer);
                    assert.strictEqual(me.status, 200, me.text);
                    assert.strictEqual(me.body.authority, 'CUSTOMER_USER');
                    assert.notStrictEqual(me.body.customerId.id, '13814000-1dd2-11b2-8080-808080808080');
                    // @PreAuthorize("hasAuthority('TENANT_ADMIN')")
                    assertError(await curl(sim, 'GET', '/api/tenant/devices?deviceName=dev-1', customer), 403, PERMISSION_DENIED, 20);
                    const creds = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, admin())).body;
                    assertError(await curl(sim, 'POST', '/api/device/credentials', { ...customer, body: creds }), 403, PERMISSION_DENIED, 20);
                    // TENANT_ADMIN or CUSTOMER_USER, then the entity check: the device is not assigned to the customer
                    assertError(await curl(sim, 'GET', `/api/device/${device.id.id}`, customer), 403, PERMISSION_DENIED, 20);
                    assertError(await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, customer), 403, PERMISSION_DENIED, 20);
                    // creating needs Operation.CREATE, which a customer user lacks
                    assertError(await curl(sim, 'POST', '/api/device', { ...customer, body: { name: 'customer-dev' } }), 403, PERMISSION_DENIED, 20);
                    assert.strictEqual(sim.findDeviceByName('customer-dev'), undefined);
                });
            });

            describe('entity limits', function () {
                it(`refuses a device over the tenant profile's maxDevices with ${has.limit403 ? '403 errorCode 41' : '400 errorCode 31'} "Devices limit reached"`, async function () {
                    const count = (await curl(sim, 'GET', '/api/tenant/devices?pageSize=100&page=0', admin())).body.totalElements;
                    sim.setMaxDevices(count);
                    const paths = [
                        ['/api/device', { name: 'over-limit' }],
                        ['/api/device-with-credentials', { device: { name: 'over-limit' }, credentials: { credentialsType: 'ACCESS_TOKEN', credentialsId: 'over-limit-token' } }],
                    ];
                    for (const [path, body] of paths) {
                        const res = await curl(sim, 'POST', path, { ...admin(), body });
                        if (has.limit403) {
                            assertError(res, 403, 'Devices limit reached', 41, ['entityType', 'limit']);
                            assert.strictEqual(res.body.entityType, 'DEVICE');
                            assert.strictEqual(res.body.limit, count);
                        } else {
                            assertError(res, 400, 'Devices limit reached', 31);
                        }
                    }
                    assert.strictEqual(sim.findDeviceByName('over-limit'), undefined);
                    // updating an existing device is no creation
                    const renamed = await curl(sim, 'POST', '/api/device', { ...admin(), body: { ...device, label: 'kept' } });
                    assert.strictEqual(renamed.status, 200, renamed.text);
                    // provisioning creates through the same validator: FAILURE
                    const prov = await curl(sim, 'POST', '/api/v1/provision', { body: { deviceName: 'prov-over', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret' } });
                    assert.deepStrictEqual(prov.body, { errorMsg: 'Failed to provision device!', status: 'FAILURE' });
                    sim.setMaxDevices(count + 1);
                    const fits = await curl(sim, 'POST', '/api/device', { ...admin(), body: { name: 'fits-limit' } });
                    assert.strictEqual(fits.status, 200, fits.text);
                });

                it('answers a subscription violation (ThingsBoard Cloud) with 403 errorCode 40', async function () {
                    sim.setSubscriptionViolation(true);
                    assertError(await curl(sim, 'POST', '/api/device', { ...admin(), body: { name: 'no-plan' } }), 403, 'Maximum allowed devices limit reached!', 40);
                    sim.setSubscriptionViolation({ message: 'Plan limit' });
                    assertError(await curl(sim, 'POST', '/api/device', { ...admin(), body: { name: 'no-plan' } }), 403, 'Plan limit', 40);
                    assert.strictEqual(sim.findDeviceByName('no-plan'), undefined);
                });
            });

            describe('credentials updates', function () {
                it(`${has.kickIdentical ? 'kicks' : 'keeps'} the live session when identical credentials are posted again`, async function () {
                    const { client, connack } = await connectMqtt(sim, { username: 'tok-dev-1' });
                    clients.push(client);
                    assert.strictEqual(connack.returnCode, 0);
                    const current = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, admin())).body;
                    const res = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: current });
                    assert.strictEqual(res.status, 200, res.text);
                    assert.strictEqual(res.body.credentialsId, 'tok-dev-1');
                    if (has.kickIdentical) {
                        await waitFor(() => client.seen.closed, 5000, 'session closed by the credentials update');
                    } else {
                        const { err } = await publish(client, 'v1/devices/me/telemetry', '{"t":1}');
                        assert.ifError(err);
                        assert.strictEqual(client.seen.closed, false);
                        assert.strictEqual(sim.sessions().filter((s) => s.deviceId === device.id.id).length, 1);
                    }
                });

                it('kicks the live session when the credentials change', async function () {
                    const { client, connack } = await connectMqtt(sim, { username: 'tok-dev-1' });
                    clients.push(client);
                    assert.strictEqual(connack.returnCode, 0);
                    const current = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, admin())).body;
                    const changed = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...current, credentialsId: 'tok-dev-1b' } });
                    assert.strictEqual(changed.status, 200, changed.text);
                    await waitFor(() => client.seen.closed, 5000, 'session closed by the credentials update');
                    const back = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...changed.body, credentialsId: 'tok-dev-1' } });
                    assert.strictEqual(back.status, 200, back.text);
                });

                it(`${has.controlChars ? 'refuses' : 'accepts'} control characters in credentialsId`, async function () {
                    const current = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, admin())).body;
                    const res = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...current, credentialsId: 'tok\u0001ctl' } });
                    if (has.controlChars) {
                        assertError(res, 400, 'credentialsId must not contain control characters!', 31);
                    } else {
                        assert.strictEqual(res.status, 200, res.text);
                        assert.strictEqual(res.body.credentialsId, 'tok\u0001ctl');
                        const back = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...res.body, credentialsId: 'tok-dev-1' } });
                        assert.strictEqual(back.status, 200, back.text);
                    }
                });

                it(`${has.versions ? 'carries version and answers a stale one with 409 errorCode 35' : 'has no version fields and no optimistic locking'}`, async function () {
                    const current = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, admin())).body;
                    const got = (await curl(sim, 'GET', `/api/device/${device.id.id}`, admin())).body;
                    if (has.versions) {
                        assert.strictEqual(typeof current.version, 'number');
                        assert.strictEqual(typeof got.version, 'number');
                        const stale = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...current, version: current.version + 5 } });
                        assertError(stale, 409, 'Entity was already changed by someone else', 35);
                    } else {
                        assert.ok(!('version' in current), JSON.stringify(current));
                        assert.ok(!('version' in got), JSON.stringify(got));
                        const res = await curl(sim, 'POST', '/api/device/credentials', { ...admin(), body: { ...current, version: 99 } });
                        assert.strictEqual(res.status, 200, res.text);
                    }
                });
            });

            describe('provisioning', function () {
                it('auto-provisions a device from its certificate chain (every release from 3.5)', async function () {
                    const dir = tempDir();
                    try {
                        const { caPem, leaf } = await makeChain(dir, 'Release CA', 'chain-dev');
                        sim.createDeviceProfile({ name: 'chain', provisionType: 'X509_CERTIFICATE_CHAIN', provisionDeviceSecret: caPem, allowCreateNewDevicesByX509Certificate: true });
                        const { client, connack } = await connectMqtt(sim, { cert: leaf });
                        clients.push(client);
                        assert.strictEqual(connack.returnCode, 0);
                        assert.strictEqual(sim.findDeviceByName('chain-dev').type, 'chain');
                    } finally {
                        fs.rmSync(dir, { recursive: true, force: true });
                    }
                });

                it(`${has.provisionGateway ? 'marks' : 'does not mark'} a device provisioned with "gateway": true as gateway`, async function () {
                    const prov = await curl(sim, 'POST', '/api/v1/provision', {
                        body: { deviceName: 'prov-gw', provisionDeviceKey: 'auto-key', provisionDeviceSecret: 'auto-secret', gateway: true },
                    });
                    assert.strictEqual(prov.body.status, 'SUCCESS', prov.text);
                    const found = (await curl(sim, 'GET', '/api/tenant/devices?deviceName=prov-gw', admin())).body;
                    if (has.provisionGateway) assert.deepStrictEqual(found.additionalInfo, { gateway: true });
                    else assert.strictEqual(found.additionalInfo, null);
                });
            });
        });
    }
});

describe('tbsim release options', function () {
    it('refuses a maxDevices that is no whole number ≥ 0, at start and at runtime', async function () {
        for (const bad of [-1, 1.5, '3']) {
            await assert.rejects(startTbsim({ maxDevices: bad }), /tbsim maxDevices must be a whole number ≥ 0 \(0 = unlimited\)/);
        }
        const sim = await startTbsim({ maxDevices: 0 });
        try {
            assert.throws(() => sim.setMaxDevices(-2), /tbsim maxDevices must be a whole number ≥ 0/);
        } finally {
            await sim.stop();
        }
    });

    it('refuses users entries that are no account, naming the entry but never its password', async function () {
        const cases = [
            [{ username: '', password: 'x' }, /username must be a non-empty string/],
            [{ username: 'a@b.c', password: '' }, /"a@b\.c": password must be a non-empty string/],
            [{ username: 'a@b.c', password: 'secret-pw', authority: 'SYS_ADMIN' }, /"a@b\.c": authority must be TENANT_ADMIN or CUSTOMER_USER, not SYS_ADMIN/],
            [{ username: 'a@b.c', password: 'secret-pw', mfa: 'yes' }, /"a@b\.c": mfa must be true or false/],
        ];
        for (const [user, phrase] of cases) {
            const err = await startTbsim({ users: [user] }).then(() => assert.fail('started'), (e) => e);
            assert.match(err.message, phrase);
            assert.doesNotMatch(err.message, /secret-pw/);
        }
        await assert.rejects(startTbsim({ users: [{ username: 'Tenant@thingsboard.org', password: 'x' }] }), /"Tenant@thingsboard\.org" is given twice/);
    });
});
