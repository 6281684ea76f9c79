'use strict';
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { checkTopic } = require(path.join(lib, 'thingsboard', 'topics.js'));
const { resolveTarget } = require(path.join(lib, 'thingsboard', 'telemetry-payload.js'));
const { coded } = require('../support/errors');

describe('ThingsBoard topics', function () {
    it('maps each target to its topic', function () {
        assert.deepStrictEqual(resolveTarget('telemetry'), { topic: 'v1/devices/me/telemetry', kind: 'telemetry' });
        assert.deepStrictEqual(resolveTarget('attributes'), { topic: 'v1/devices/me/attributes', kind: 'attributes' });
        assert.deepStrictEqual(resolveTarget('gateway-telemetry'), { topic: 'v1/gateway/telemetry', kind: 'gateway-telemetry' });
        assert.deepStrictEqual(resolveTarget('gateway-attributes'), { topic: 'v1/gateway/attributes', kind: 'gateway-attributes' });
        assert.throws(() => resolveTarget('state'), { code: 'TARGET_UNKNOWN' });
    });

    it('accepts the topics ThingsBoard serves, with request ids where it parses them', function () {
        const served = [
            'v1/devices/me/telemetry', 'v1/devices/me/attributes', 'v1/devices/me/claim',
            'v1/devices/me/rpc/response/5', 'v1/devices/me/rpc/request/12', 'v1/devices/me/attributes/request/1',
            'v1/gateway/connect', 'v1/gateway/disconnect', 'v1/gateway/telemetry', 'v1/gateway/attributes',
            'v1/gateway/attributes/request', 'v1/gateway/rpc', 'v1/gateway/claim',
            'v2/t', 'v2/t/j', 'v2/a', 'v2/a/j', 'v2/r/res/3', 'v2/r/res/j/3', 'v2/r/req/4', 'v2/a/req/j/9',
            'v2/fw/request/1/chunk/0',
        ];
        for (const topic of served) assert.strictEqual(checkTopic(topic).served, true, topic);
    });

    it('refuses topics ThingsBoard would acknowledge and drop', function () {
        const unknown = [
            'v1/devices/me/telemetry/', 'v1/devices/me/Telemetry', 'v1/devices/me/rpc/response/', 'v1/devices/me/rpc/response/abc',
            'v1/devices/me/rpc/response/+', 'v1/devices/me/attributes/response/1', 'v1/gateway/telemetry/x',
            'v1/devices/dev1/telemetry', 'sensors/temperature', '', 'v1/devices/me/rpc/response/99999999999',
        ];
        for (const topic of unknown) assert.deepStrictEqual(checkTopic(topic), { served: false, reason: 'unknown' }, topic);
        assert.throws(() => resolveTarget('msg', 'sensors/t'),
            coded('TOPIC_NOT_SERVED', { topic: 'sensors/t' }, 'it would acknowledge the message and drop it', 'v1/devices/me/telemetry'));
    });

    it('points protobuf topics to their JSON form and provisioning to tb-provision', function () {
        assert.deepStrictEqual(checkTopic('v2/t/p'), { served: false, reason: 'protobuf', jsonAlternative: 'v2/t/j' });
        assert.throws(() => resolveTarget('msg', 'v2/t/p'),
            coded('TOPIC_PROTOBUF', { topic: 'v2/t/p', alternative: 'v2/t/j' }, 'expects protobuf', 'Use v2/t/j instead'));
        assert.throws(() => resolveTarget('msg', '/provision/request'), { code: 'TOPIC_PROVISION' });
        assert.throws(() => resolveTarget('msg', undefined), { code: 'TOPIC_MISSING' });
        assert.throws(() => resolveTarget('msg', '  '), { code: 'TOPIC_MISSING' });
    });
});
