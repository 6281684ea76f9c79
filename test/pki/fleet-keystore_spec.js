'use strict';
// A fleet config's key store: one identity per device name in <keyStore>/<device dir>/,
// cert.pem leaf first then chain, key 0600; loadFleetIdentity is what fleet connections read.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { makeIdentity, makeSignedIdentity, tempDir, removeDir } = require('../support/openssl');
const { dist } = require('../support/node-red');
const { coded } = require('../support/errors');

const { FleetKeyStore, loadFleetIdentity, fleetDeviceDir } = require(path.join(dist, 'lib', 'pki', 'fleet-keystore.js'));

describe('pki fleet key store', function () {
    let dir;
    let work;
    beforeEach(async () => {
        dir = await tempDir();
        work = await tempDir();
    });
    afterEach(async () => {
        await removeDir(dir);
        await removeDir(work);
    });

    it('keeps each device in <keyStore>/<deviceName>/ (key 0600, cert.pem as given, leaf first) and loads it back', async () => {
        const issuer = await makeIdentity(work, 'x', { commonName: 'issuer-x', ca: true });
        const a = await makeSignedIdentity(work, 'a', issuer, { commonName: 'sensor-a' });
        const store = new FleetKeyStore(dir, 'Fleet');
        const changed = [];
        store.on('changed', (name, identity) => changed.push([name, identity.commonName]));
        await store.install('sensor-a', { keyPem: a.keyPem, certPem: a.certPem + issuer.certPem });

        const keyFile = path.join(dir, 'sensor-a', 'key.pem');
        const certFile = path.join(dir, 'sensor-a', 'cert.pem');
        assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
        const certs = fs.readFileSync(certFile, 'utf8').match(/-----BEGIN CERTIFICATE-----/g);
        assert.strictEqual(certs.length, 2);
        assert.deepStrictEqual(changed, [['sensor-a', 'sensor-a']]);

        const loaded = await loadFleetIdentity(dir, 'sensor-a');
        assert.strictEqual(loaded.commonName, 'sensor-a');
        assert.strictEqual(loaded.leafPem.replace(/\s/g, ''), a.certPem.replace(/\s/g, ''));
        assert.ok(loaded.certPem.startsWith(loaded.leafPem));
        assert.strictEqual(await loadFleetIdentity(dir, 'sensor-b'), undefined);
    });

    it('device names never leave the key store and never share a directory', () => {
        const names = ['../up', 'a/b', '..', '.hidden', 'C:\\x', 'a%2Fb', 'Gerät 1'];
        const dirs = names.map((n) => fleetDeviceDir(dir, n));
        for (const d of dirs) assert.strictEqual(path.dirname(d), dir, d);
        assert.strictEqual(new Set(dirs).size, names.length);
        assert.strictEqual(fleetDeviceDir(dir, 'plain-name_1.x@y'), path.join(dir, 'plain-name_1.x@y'));
        assert.throws(() => fleetDeviceDir(dir, '  '), coded('FLEET_DEVICE_NAME_EMPTY'));
    });

    it('reusable() only for the same CN with more than the asked days left; a damaged entry is not reused', async () => {
        const short = await makeIdentity(work, 's', { commonName: 'dev', days: 10 });
        const store = new FleetKeyStore(dir, 'Fleet');
        await store.install('dev', short);
        assert.ok(await store.reusable('dev', 5));
        assert.strictEqual(await store.reusable('dev', 30), undefined);
        fs.writeFileSync(path.join(dir, 'dev', 'key.pem'), 'garbage');
        assert.strictEqual(await store.reusable('dev', 5), undefined);
        await assert.rejects(store.load('dev'), coded('KEY_NOT_PEM'));
    });
});
