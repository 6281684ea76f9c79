'use strict';
// tbsim REST API as an independent client (curl) sees it: ThingsBoard's paths, JSON and error bodies.
const assert = require('assert');
const fs = require('fs');
const { startTbsim, tempDir, curl, login, bearer, apiKey, makeCert, opensslCredentialsId, registerCertificate } = require('./support');

function assertError(res, status, message, errorCode) {
    assert.strictEqual(res.status, status, res.text);
    assert.deepStrictEqual(Object.keys(res.body), ['status', 'message', 'errorCode', 'timestamp']);
    assert.strictEqual(res.body.status, status);
    assert.strictEqual(res.body.message, message);
    assert.strictEqual(res.body.errorCode, errorCode);
    assert.strictEqual(typeof res.body.timestamp, 'number');
}

describe('tbsim REST', function () {
    let sim;
    let dir;
    let token;

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
        token = (await login(sim)).token;
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('authentication', function () {
        it('logs in and returns an HS512 JWT pair whose access token carries the reference claims', async function () {
            const before = sim.loginCount();
            const res = await curl(sim, 'POST', '/api/auth/login', { body: { username: 'tenant@thingsboard.org', password: 'tenant' } });
            assert.strictEqual(res.status, 200);
            assert.deepStrictEqual(Object.keys(res.body), ['token', 'refreshToken']);
            const [head, payload] = res.body.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
            assert.strictEqual(head.alg, 'HS512');
            assert.strictEqual(payload.sub, 'tenant@thingsboard.org');
            assert.deepStrictEqual(payload.scopes, ['TENANT_ADMIN']);
            assert.strictEqual(payload.iss, 'thingsboard.io');
            assert.strictEqual(payload.exp - payload.iat, 9000);
            assert.ok(payload.tenantId && payload.userId);
            assert.strictEqual(sim.loginCount(), before + 1);
        });

        it('answers wrong credentials with 401 "Invalid username or password" errorCode 10', async function () {
            const res = await curl(sim, 'POST', '/api/auth/login', { body: { username: 'tenant@thingsboard.org', password: 'nope' } });
            assertError(res, 401, 'Invalid username or password', 10);
        });

        it('answers a blank password and a GET on login the way the login filter does', async function () {
            assertError(await curl(sim, 'POST', '/api/auth/login', { body: { username: 'x', password: '' } }), 401, 'Authentication failed', 10);
            assertError(await curl(sim, 'GET', '/api/auth/login'), 401, 'Authentication method not supported', 10);
        });

        it('rejects a missing header with "Authentication failed", a malformed token as bad credentials and a foreign signature as expired', async function () {
            assertError(await curl(sim, 'GET', '/api/auth/user'), 401, 'Authentication failed', 10);
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: bearer('not-a-jwt') }), 401, 'Invalid username or password', 10);
            // jjwt's SignatureException ends as JwtExpiredTokenException, the answer of a server whose key changed
            const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: bearer(forged) }), 401, 'Token has expired', 11);
        });

        it('accepts X-Authorization Bearer, Authorization Bearer and X-Authorization ApiKey', async function () {
            for (const auth of [bearer(token), `Authorization: Bearer ${token}`, apiKey(sim)]) {
                const res = await curl(sim, 'GET', '/api/auth/user', { auth });
                assert.strictEqual(res.status, 200, auth);
                assert.strictEqual(res.body.authority, 'TENANT_ADMIN');
                assert.strictEqual(res.body.email, 'tenant@thingsboard.org');
            }
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: 'X-Authorization: ApiKey tb_wrong' }), 401, 'Invalid username or password', 10);
        });

        it('expires access tokens on demand (401 errorCode 11) and refreshes them with the refresh token', async function () {
            const pair = await login(sim);
            sim.expireAccessTokens();
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: bearer(pair.token) }), 401, 'Token has expired', 11);
            const refreshed = await curl(sim, 'POST', '/api/auth/token', { body: { refreshToken: pair.refreshToken } });
            assert.strictEqual(refreshed.status, 200);
            assert.notStrictEqual(refreshed.body.token, pair.token);
            assert.strictEqual((await curl(sim, 'GET', '/api/auth/user', { auth: bearer(refreshed.body.token) })).status, 200);
            token = refreshed.body.token;
        });

        it('honours exp of the JWT itself', async function () {
            const shortSim = await startTbsim({ accessTokenTtlSeconds: 2 });
            try {
                const pair = await login(shortSim);
                assert.strictEqual((await curl(shortSim, 'GET', '/api/auth/user', { auth: bearer(pair.token) })).status, 200);
                const { exp } = JSON.parse(Buffer.from(pair.token.split('.')[1], 'base64url').toString());
                await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
                assertError(await curl(shortSim, 'GET', '/api/auth/user', { auth: bearer(pair.token) }), 401, 'Token has expired', 11);
            } finally {
                await shortSim.stop();
            }
        });

        it('answers 429 errorCode 33 while rate limited, login excepted, then recovers', async function () {
            sim.setRateLimit({ next429: 2 });
            assert.strictEqual((await curl(sim, 'POST', '/api/auth/login', { body: sim.tenant })).status, 200);
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: apiKey(sim) }), 429, 'Too many requests for current tenant!', 33);
            assertError(await curl(sim, 'GET', '/api/auth/user', { auth: apiKey(sim) }), 429, 'Too many requests for current tenant!', 33);
            assert.strictEqual((await curl(sim, 'GET', '/api/auth/user', { auth: apiKey(sim) })).status, 200);
            const statuses = sim.requestLog().filter((r) => r.path === '/api/auth/user').map((r) => r.status);
            assert.deepStrictEqual(statuses.slice(-3), [429, 429, 200]);
        });
    });

    describe('devices and credentials', function () {
        it('creates a device with access-token credentials and finds it by name on both lookup paths', async function () {
            const created = await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'rest-1', type: 'thermostat', label: 'Hall' } });
            assert.strictEqual(created.status, 200);
            assert.strictEqual(created.body.id.entityType, 'DEVICE');
            assert.strictEqual(created.body.type, 'thermostat');
            assert.strictEqual(created.body.label, 'Hall');
            assert.strictEqual(created.body.customerId.id, '13814000-1dd2-11b2-8080-808080808080');
            for (const p of ['/api/tenant/device?deviceName=rest-1', '/api/tenant/devices?deviceName=rest-1']) {
                const found = await curl(sim, 'GET', p, { auth: bearer(token) });
                assert.strictEqual(found.status, 200);
                assert.deepStrictEqual(found.body.id, created.body.id);
            }
            const creds = await curl(sim, 'GET', `/api/device/${created.body.id.id}/credentials`, { auth: bearer(token) });
            assert.strictEqual(creds.body.credentialsType, 'ACCESS_TOKEN');
            assert.match(creds.body.credentialsId, /^[A-Za-z0-9]{20}$/);
            assert.deepStrictEqual(Object.keys(creds.body.id), ['id']);
            // type selects a profile by name and creates it when missing, as ThingsBoard does
            const profiles = await curl(sim, 'GET', '/api/deviceProfiles?pageSize=10&page=0&textSearch=thermo', { auth: bearer(token) });
            assert.deepStrictEqual(profiles.body.data.map((p) => p.name), ['thermostat']);
            assert.strictEqual(profiles.body.data[0].id.id, created.body.deviceProfileId.id);
        });

        it('answers unknown names with 404 errorCode 32 and duplicate names with 400 errorCode 31', async function () {
            assertError(await curl(sim, 'GET', '/api/tenant/device?deviceName=nope', { auth: bearer(token) }), 404, "Requested item wasn't found!", 32);
            await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'dup-name' } });
            assertError(
                await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'dup-name' } }),
                400,
                'Device with such name already exists!',
                31,
            );
            const uniq = await curl(sim, 'POST', '/api/device?nameConflictPolicy=UNIQUIFY&uniquifyStrategy=INCREMENTAL', {
                auth: bearer(token),
                body: { name: 'dup-name' },
            });
            assert.strictEqual(uniq.body.name, 'dup-name_1');
        });

        it('registers an X.509 certificate with the credentials id ThingsBoard computes (SHA3-256 of base64 DER)', async function () {
            const cert = await makeCert(dir, 'x509-one');
            const res = await registerCertificate(sim, 'x509-one', cert.certPem.replace(/\n/g, '\r\n'));
            assert.strictEqual(res.status, 200, res.text);
            const creds = await curl(sim, 'GET', `/api/device/${res.body.id.id}/credentials`, { auth: bearer(token) });
            assert.strictEqual(creds.body.credentialsType, 'X509_CERTIFICATE');
            assert.strictEqual(creds.body.credentialsId, await opensslCredentialsId(cert.certFile));
            assert.doesNotMatch(creds.body.credentialsValue, /BEGIN|\n|\r/);
        });

        it('keeps spaces when hashing, so an indented PEM gets a different id (the Swagger pitfall)', async function () {
            const cert = await makeCert(dir, 'x509-spaces');
            const indented = cert.certPem.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
            const res = await registerCertificate(sim, 'x509-spaces', indented);
            assert.strictEqual(res.status, 200);
            assert.notStrictEqual(sim.findDeviceByName('x509-spaces').credentials.id, await opensslCredentialsId(cert.certFile));
        });

        it('refuses a certificate already assigned to another device and rolls the device back', async function () {
            const cert = await makeCert(dir, 'x509-dup');
            assert.strictEqual((await registerCertificate(sim, 'x509-dup-a', cert.certPem)).status, 200);
            const res = await registerCertificate(sim, 'x509-dup-b', cert.certPem);
            assertError(res, 400, 'Device credentials are already assigned to another device!', 31);
            assert.strictEqual(sim.findDeviceByName('x509-dup-b'), undefined);
            assert.strictEqual((await curl(sim, 'GET', '/api/tenant/device?deviceName=x509-dup-b', { auth: bearer(token) })).status, 404);
        });

        it('updates credentials only with the credentials id, with the reference messages', async function () {
            const device = (await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'rotate-me' } })).body;
            const current = (await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, { auth: bearer(token) })).body;
            const cert = await makeCert(dir, 'rotate-me');
            const update = { deviceId: device.id, credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem };

            assertError(
                await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: update }),
                400,
                'Credentials for this device are already specified!',
                31,
            );
            assertError(
                await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: { ...update, id: { id: device.id.id } } }),
                400,
                'Unable to update non-existent device credentials!',
                31,
            );
            assertError(
                await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: { ...update, id: current.id, credentialsType: undefined } }),
                400,
                'Device credentials type should be specified',
                31,
            );
            assertError(
                await curl(sim, 'POST', '/api/device/credentials', {
                    auth: bearer(token),
                    body: { ...update, id: current.id, deviceId: { entityType: 'DEVICE', id: '5b2f7f2e-0000-4000-8000-000000000000' } },
                }),
                404,
                'Device with id [5b2f7f2e-0000-4000-8000-000000000000] is not found',
                32,
            );
            const ok = await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: { ...update, id: current.id } });
            assert.strictEqual(ok.status, 200, ok.text);
            assert.strictEqual(ok.body.id.id, current.id.id);
            assert.strictEqual(ok.body.credentialsId, await opensslCredentialsId(cert.certFile));
            // idempotent: the same certificate again on the same device
            const again = await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: { ...update, id: current.id } });
            assert.strictEqual(again.status, 200);
            // the same certificate on another device is refused
            const other = (await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'rotate-other' } })).body;
            const otherCreds = (await curl(sim, 'GET', `/api/device/${other.id.id}/credentials`, { auth: bearer(token) })).body;
            assertError(
                await curl(sim, 'POST', '/api/device/credentials', {
                    auth: bearer(token),
                    body: { ...otherCreds, credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.certPem },
                }),
                400,
                'Device credentials are already assigned to another device!',
                31,
            );
        });

        it('lists devices as PageData, gets and deletes by id', async function () {
            const pageRes = await curl(sim, 'GET', '/api/tenant/devices?pageSize=2&page=0', { auth: bearer(token) });
            assert.deepStrictEqual(Object.keys(pageRes.body), ['data', 'totalPages', 'totalElements', 'hasNext']);
            assert.strictEqual(pageRes.body.data.length, 2);
            assert.strictEqual(pageRes.body.hasNext, true);
            assertError(await curl(sim, 'GET', '/api/tenant/devices?page=0', { auth: bearer(token) }), 400,
                "Required request parameter 'pageSize' for method parameter type int is not present", 31);
            const device = (await curl(sim, 'POST', '/api/device', { auth: bearer(token), body: { name: 'to-delete' } })).body;
            assert.strictEqual((await curl(sim, 'GET', `/api/device/${device.id.id}`, { auth: bearer(token) })).body.name, 'to-delete');
            const del = await curl(sim, 'DELETE', `/api/device/${device.id.id}`, { auth: bearer(token) });
            assert.strictEqual(del.status, 200);
            assert.strictEqual(del.text, '');
            // checkDeviceId → checkEntityId: the entity's own not-found text
            assertError(await curl(sim, 'GET', `/api/device/${device.id.id}`, { auth: bearer(token) }), 404, `Device with id [${device.id.id}] is not found`, 32);
            assertError(await curl(sim, 'GET', `/api/device/${device.id.id}/credentials`, { auth: bearer(token) }), 404, `Device with id [${device.id.id}] is not found`, 32);
            // TelemetryController's AccessValidator answers with a plain-text body
            const telemetry = await curl(sim, 'GET', `/api/plugins/telemetry/DEVICE/${device.id.id}/values/timeseries`, { auth: bearer(token) });
            assert.strictEqual(telemetry.status, 404);
            assert.strictEqual(telemetry.text, "Device with requested id wasn't found!");
            assertError(await curl(sim, 'GET', '/api/device/not-a-uuid', { auth: bearer(token) }), 400, 'Invalid UUID string: not-a-uuid', 31);
        });

        it('rejects an unknown device profile id', async function () {
            assertError(
                await curl(sim, 'POST', '/api/device', {
                    auth: bearer(token),
                    body: { name: 'bad-profile', deviceProfileId: { entityType: 'DEVICE_PROFILE', id: '5b2f7f2e-0000-4000-8000-000000000001' } },
                }),
                400,
                'Device is referencing non existing device profile!',
                31,
            );
            const unknown = '5b2f7f2e-0000-4000-8000-000000000002';
            for (const [method, path] of [['GET', `/api/deviceProfile/${unknown}`], ['GET', `/api/deviceProfileInfo/${unknown}`], ['DELETE', `/api/deviceProfile/${unknown}`]]) {
                assertError(await curl(sim, method, path, { auth: bearer(token) }), 404, `Device profile with id [${unknown}] is not found`, 32);
            }
        });

        it('checks the device of a credentials update first: no deviceId is an invalid entity id', async function () {
            assertError(
                await curl(sim, 'POST', '/api/device/credentials', { auth: bearer(token), body: { credentialsType: 'ACCESS_TOKEN', credentialsId: 'x' } }),
                400,
                'Invalid entity id',
                31,
            );
        });
    });

    describe('device profiles', function () {
        it('creates provisioning profiles and serves the default profile info', async function () {
            const res = await curl(sim, 'POST', '/api/deviceProfile', {
                auth: bearer(token),
                body: {
                    name: 'prov-rest',
                    type: 'DEFAULT',
                    transportType: 'DEFAULT',
                    provisionType: 'ALLOW_CREATE_NEW_DEVICES',
                    provisionDeviceKey: 'key-rest',
                    profileData: { provisionConfiguration: { type: 'ALLOW_CREATE_NEW_DEVICES', provisionDeviceSecret: 'secret-rest' } },
                },
            });
            assert.strictEqual(res.status, 200, res.text);
            assert.strictEqual(res.body.provisionDeviceKey, 'key-rest');
            assert.strictEqual(res.body.profileData.provisionConfiguration.provisionDeviceSecret, 'secret-rest');
            const got = await curl(sim, 'GET', `/api/deviceProfile/${res.body.id.id}`, { auth: bearer(token) });
            assert.strictEqual(got.body.name, 'prov-rest');
            const def = await curl(sim, 'GET', '/api/deviceProfileInfo/default', { auth: bearer(token) });
            assert.strictEqual(def.body.name, 'default');
            const infos = await curl(sim, 'GET', '/api/deviceProfileInfos?pageSize=50&page=0&textSearch=prov-rest', { auth: bearer(token) });
            assert.deepStrictEqual(infos.body.data.map((p) => p.name), ['prov-rest']);
            const again = { name: 'prov-rest', type: 'DEFAULT', transportType: 'DEFAULT' };
            assertError(await curl(sim, 'POST', '/api/deviceProfile', { auth: bearer(token), body: again }), 400,
                'Device profile with such name already exists!', 31);
        });
    });

    describe('public endpoints', function () {
        it('serves the MQTT server CA without authentication', async function () {
            const res = await curl(sim, 'GET', '/api/device-connectivity/mqtts/certificate/download');
            assert.strictEqual(res.status, 200);
            assert.strictEqual(res.text, fs.readFileSync(sim.caFile, 'utf8'));
            assert.match(res.text, /^-----BEGIN CERTIFICATE-----/);
        });

        it('serves REST over HTTPS with a certificate curl trusts only through the tbsim CA', async function () {
            const { run } = require('./support');
            const untrusted = await run('curl', ['-s', '-o', '/dev/null', `${sim.restUrl}/api/auth/user`]);
            assert.strictEqual(untrusted.code, 60); // peer certificate cannot be authenticated with known CA certificates
        });

        it('gives every instance its own CA, so another tbsim CA does not trust this server', async function () {
            const other = await startTbsim();
            try {
                assert.notStrictEqual(other.caPem, sim.caPem);
                const { run } = require('./support');
                const res = await run('curl', ['-s', '-o', '/dev/null', '--cacert', other.caFile, `${sim.restUrl}/api/auth/user`]);
                assert.strictEqual(res.code, 60);
            } finally {
                await other.stop();
            }
        });

        it('can serve plain HTTP when asked', async function () {
            const plain = await startTbsim({ restTls: false });
            try {
                assert.match(plain.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
                const { run } = require('./support');
                const res = await run('curl', ['-s', '-H', 'Content-Type: application/json', '-d', JSON.stringify(plain.tenant), `${plain.restUrl}/api/auth/login`]);
                assert.ok(JSON.parse(res.stdout).token);
            } finally {
                await plain.stop();
            }
        });
    });
});
