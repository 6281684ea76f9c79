'use strict';
// tb-provision's onboarding paths against every tested ThingsBoard release (tbsim tbVersion): a new
// device, an existing one, the gateway marking, an unchanged certificate, and the device API. The
// newest release also runs the full suites in rest_spec.js and device-api_spec.js.
const assert = require('assert');
const path = require('path');
const mqtt = require('mqtt');
const { forEachRelease } = require('../support/releases');
const { selfSigned, useSimAndNodeRed, simRest, loadProvisionFlow, provisionOk } = require('./support');

const { Release } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'release.js'));

/** A device session with the certificate, open until `close()`; `closed` tells whether the server ended it. */
async function deviceSession(sim, cert) {
    const client = mqtt.connect({
        protocol: 'mqtts', host: sim.mqttHost, port: sim.mqttPort, ca: sim.caPem, cert: cert.certPem, key: cert.keyPem,
        protocolVersion: 4, reconnectPeriod: 0, clientId: `session-${cert.credentialsId.slice(0, 8)}`,
    });
    const session = { closed: false, close: () => client.end(true) };
    client.on('close', () => { session.closed = true; });
    await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
        client.once('close', () => reject(new Error('the server closed the session at CONNECT')));
    });
    return session;
}

/** Lets the server act on a request it already answered (a kick is sent right after the answer). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

forEachRelease('tb-provision onboarding', function (tbVersion) {
    let sim;
    let dir;
    const release = new Release(tbVersion);

    useSimAndNodeRed((env) => {
        ({ sim, dir } = env);
        sim.createDeviceProfile({
            name: 'self-onboarding', provisionType: 'ALLOW_CREATE_NEW_DEVICES', provisionDeviceKey: 'rel-key', provisionDeviceSecret: 'rel-secret',
        });
    }, { simOptions: { tbVersion } });

    it('rest: creates a new device with the certificate as its X.509 credentials', async function () {
        const cert = selfSigned(dir, 'rel-new');
        const flow = await loadProvisionFlow(sim);
        const msg = await provisionOk(flow, { deviceName: 'rel-new', payload: { certificate: cert.certPem } });
        const device = sim.findDeviceByName('rel-new');
        assert.deepStrictEqual(msg.payload, { deviceId: device.id, deviceName: 'rel-new', created: true, credentialsType: 'X509_CERTIFICATE' });
        assert.strictEqual(device.credentials.id, cert.credentialsId);
    });

    it('rest: replaces the access token of an existing device and marks it "Is gateway"', async function () {
        const created = await simRest(sim, 'POST', '/api/device', { name: 'rel-existing' });
        assert.strictEqual(created.status, 200, JSON.stringify(created.body));
        const cert = selfSigned(dir, 'rel-existing');
        const flow = await loadProvisionFlow(sim, { provision: { gateway: true } });
        const msg = await provisionOk(flow, { deviceName: 'rel-existing', payload: { certificate: cert.certPem } });
        assert.strictEqual(msg.payload.deviceId, created.body.id.id);
        assert.strictEqual(msg.payload.created, false);
        const device = sim.findDeviceByName('rel-existing');
        assert.strictEqual(device.credentials.type, 'X509_CERTIFICATE');
        assert.strictEqual(device.credentials.id, cert.credentialsId);
        assert.strictEqual(device.additionalInfo.gateway, true);
    });

    it('rest: leaves an unchanged certificate alone, so the device\'s live session stays up', async function () {
        const cert = selfSigned(dir, 'rel-same');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'rel-same', payload: { certificate: cert.certPem } });
        const session = await deviceSession(sim, cert);
        try {
            const logStart = sim.requestLog().length;
            const msg = await provisionOk(flow, { deviceName: 'rel-same', payload: { certificate: cert.certPem } });
            assert.strictEqual(msg.payload.created, false);
            await settle();
            assert.strictEqual(session.closed, false, 'the device session survived');
            const writes = sim.requestLog().slice(logStart).filter((r) => r.method === 'POST');
            assert.deepStrictEqual(writes, [], 'nothing written');
        } finally {
            session.close();
        }
    });

    it('device-api: provisions a new device with the certificate', async function () {
        const cert = selfSigned(dir, 'rel-api');
        const flow = await loadProvisionFlow(sim, {
            provision: { method: 'device-api', gateway: true },
            configCredentials: { ca: sim.caPem },
            provisionCredentials: { provisionKey: 'rel-key', provisionSecret: 'rel-secret' },
        });
        const msg = await provisionOk(flow, { deviceName: 'rel-api', payload: { certificate: cert.certPem } });
        assert.deepStrictEqual(msg.payload, { deviceId: null, deviceName: 'rel-api', created: true, credentialsType: 'X509_CERTIFICATE' });
        const device = sim.findDeviceByName('rel-api');
        assert.strictEqual(device.credentials.id, cert.credentialsId);
        // The request's gateway flag is read from 3.8 on; older servers create the device unmarked (README).
        assert.strictEqual(Boolean(device.additionalInfo && device.additionalInfo.gateway), release.has('provisionGatewayFlag'));
    });
});

describe('tb-provision on ThingsBoard 4.2.1, where re-posting identical credentials closes the device\'s sessions', function () {
    let sim;
    let dir;

    useSimAndNodeRed((env) => ({ sim, dir } = env), { simOptions: { tbVersion: '4.2.1' } });

    it('the server kicks a live session when the same certificate is posted again (what tb-provision avoids)', async function () {
        const cert = selfSigned(dir, 'kick-check');
        const flow = await loadProvisionFlow(sim);
        await provisionOk(flow, { deviceName: 'kick-check', payload: { certificate: cert.certPem } });
        const session = await deviceSession(sim, cert);
        try {
            const device = sim.findDeviceByName('kick-check');
            const current = await simRest(sim, 'GET', `/api/device/${device.id}/credentials`);
            const reposted = await simRest(sim, 'POST', '/api/device/credentials', {
                id: current.body.id, deviceId: current.body.deviceId, credentialsType: 'X509_CERTIFICATE', credentialsValue: cert.leafBase64,
            });
            assert.strictEqual(reposted.status, 200, JSON.stringify(reposted.body));
            await settle();
            assert.strictEqual(session.closed, true, 'identical credentials closed the session');
        } finally {
            session.close();
        }
    });
});
