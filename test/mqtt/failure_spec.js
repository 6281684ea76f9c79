'use strict';
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { classifyError, classifyConnack, classifyServerDisconnect, failureError } = require(path.join(lib, 'mqtt', 'failure.js'));
const { coded } = require('../support/errors');

function err(code, message = code) {
    return Object.assign(new Error(message), { code });
}
const ctx = { config: 'Plant A', server: 'tb.example:8883', host: 'tb.example', commonName: 'dev-1' };

describe('connection failure classes', function () {
    it('network trouble is transient', function () {
        for (const [code, status] of [
            ['ECONNREFUSED', 'mqtt-connection-refused'], ['ECONNRESET', 'mqtt-connection-lost'], ['EPIPE', 'mqtt-connection-lost'],
            ['ETIMEDOUT', 'mqtt-timeout'], ['EHOSTUNREACH', 'mqtt-unreachable'], ['ENETUNREACH', 'mqtt-unreachable'],
            ['EAI_AGAIN', 'mqtt-host-not-found'],
        ]) {
            assert.deepStrictEqual([classifyError(err(code), 5).class, classifyError(err(code), 5).status], ['transient', status], code);
        }
        assert.strictEqual(classifyError(new Error('Keepalive timeout'), 5).status, 'mqtt-timeout');
    });

    it('an untrusted server, a wrong host name, a refused certificate and an unknown host are permanent', function () {
        for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED']) {
            assert.deepStrictEqual([classifyError(err(code), 5).class, classifyError(err(code), 5).status], ['permanent', 'mqtt-server-untrusted'], code);
        }
        assert.strictEqual(classifyError(err('ERR_TLS_CERT_ALTNAME_INVALID'), 5).status, 'mqtt-host-mismatch');
        assert.strictEqual(classifyError(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 5).status, 'mqtt-cert-rejected');
        assert.strictEqual(classifyError(err('ENOTFOUND'), 5).class, 'permanent');
    });

    it('CONNACK 5 (3.1.1) and 0x87 / 0x86 / 0x85 (5) mean the certificate was rejected', function () {
        assert.deepStrictEqual(classifyConnack(5, 4), { class: 'permanent', status: 'mqtt-cert-rejected', detail: 'CONNACK 5 not authorized' });
        assert.deepStrictEqual(classifyConnack(0x87, 5), { class: 'permanent', status: 'mqtt-cert-rejected', detail: 'CONNACK 0x87 Not authorized' });
        assert.strictEqual(classifyConnack(0x86, 5).status, 'mqtt-cert-rejected');
        assert.strictEqual(classifyConnack(0x85, 5).status, 'mqtt-cert-rejected');
        assert.strictEqual(classifyError(err(0x87, 'Connection refused: Not authorized'), 5).status, 'mqtt-cert-rejected');
        assert.strictEqual(classifyConnack(0x88, 5).class, 'transient');
        assert.strictEqual(classifyConnack(3, 4).class, 'transient');
    });

    it('session takeover is its own class', function () {
        assert.strictEqual(classifyServerDisconnect(0x8e).class, 'contended');
        assert.strictEqual(classifyServerDisconnect(0x98).class, 'transient');
    });

    it('names the cause for the user', function () {
        coded('MQTT_CERT_REJECTED', { server: 'tb.example:8883', config: 'Plant A', commonName: 'dev-1', detail: 'CONNACK 0x87 Not authorized' },
            'refused the device certificate', "Register the certificate as the device's X.509 credentials")(failureError(classifyConnack(0x87, 5), ctx));
        assert.strictEqual(failureError(classifyError(err('SELF_SIGNED_CERT_IN_CHAIN'), 5), ctx).code, 'MQTT_SERVER_UNTRUSTED');
    });
});
