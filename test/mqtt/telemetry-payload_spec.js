'use strict';
// Payload rules of tb-x509-mqtt-out: what is published for each accepted form, and the
// exact message for each refused one (nothing is sent then).
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { encodePublish, resolveTarget, publishRemainingLength, MAX_PACKET_REMAINING_LENGTH } = require(path.join(lib, 'thingsboard', 'telemetry-payload.js'));
const { ERRORS } = require(path.join(lib, 'mqtt', 'messages.js'));

const telemetry = resolveTarget('telemetry');
const attributes = resolveTarget('attributes');
const gatewayTelemetry = resolveTarget('gateway-telemetry');
const gatewayAttributes = resolveTarget('gateway-attributes');

function body(input, target = telemetry, qos = 1) {
    const out = encodePublish(input, target, qos, 5);
    return typeof out.body === 'string' ? out.body : out.body.toString();
}
function refused(input, target, code, message) {
    assert.throws(() => encodePublish(input, target || telemetry, 1, 5), (err) => {
        assert.strictEqual(err.code, code);
        if (message !== undefined) assert.strictEqual(err.message, message);
        return true;
    });
}

describe('telemetry payload rules', function () {
    it('publishes objects, arrays of objects and JSON text of either as JSON', function () {
        assert.strictEqual(body({ payload: { temperature: 25 } }), '{"temperature":25}');
        assert.strictEqual(body({ payload: [{ a: 1 }, { ts: 5, values: { b: 2 } }] }), '[{"a":1},{"ts":5,"values":{"b":2}}]');
        assert.strictEqual(body({ payload: ' {"temperature": 25} ' }), '{"temperature":25}');
        assert.strictEqual(body({ payload: Buffer.from('[{"a":1}]') }), '[{"a":1}]');
    });

    it('wraps a number, boolean or string with the key, never parsing the string', function () {
        assert.strictEqual(body({ payload: 21.5, key: 'temperature' }), '{"temperature":21.5}');
        assert.strictEqual(body({ payload: false, key: 'door' }), '{"door":false}');
        assert.strictEqual(body({ payload: '{"x":1}', key: 'raw' }), '{"raw":"{\\"x\\":1}"}');
        // an object is published as it is even when a key is set
        assert.strictEqual(body({ payload: { a: 1 }, key: 'k' }), '{"a":1}');
    });

    it('turns msg.timestamp (ms or Date) into {ts, values} for an object', function () {
        assert.strictEqual(body({ payload: { t: 1 }, timestamp: 1700000000000 }), '{"ts":1700000000000,"values":{"t":1}}');
        assert.strictEqual(body({ payload: { t: 1 }, timestamp: new Date(1700000000123) }), '{"ts":1700000000123,"values":{"t":1}}');
        assert.strictEqual(body({ payload: 3, key: 't', timestamp: '1700000000000' }), '{"ts":1700000000000,"values":{"t":3}}');
    });

    it('refuses an array with msg.timestamp', function () {
        refused({ payload: [{ a: 1 }], timestamp: 1 }, telemetry, 'TIMESTAMP_WITH_ARRAY', ERRORS.TIMESTAMP_WITH_ARRAY);
    });

    it('refuses a timestamp that is not ms or a Date, and a payload that has its own ts', function () {
        refused({ payload: { a: 1 }, timestamp: 'yesterday' }, telemetry, 'TIMESTAMP_INVALID',
            'msg.timestamp must be milliseconds since 1970 (a number) or a Date, but it is a string.');
        refused({ payload: { a: 1 }, timestamp: new Date('nope') }, telemetry, 'TIMESTAMP_INVALID');
        refused({ payload: { ts: 1, values: {} }, timestamp: 2 }, telemetry, 'TIMESTAMP_TWICE');
        refused({ payload: { a: 1 }, timestamp: 2 }, attributes, 'TIMESTAMP_NOT_SUPPORTED',
            'msg.timestamp is set, but ThingsBoard takes no timestamp on v1/devices/me/attributes. Remove msg.timestamp, or use target telemetry.');
    });

    it('refuses a bare number without key, naming the Key property', function () {
        refused({ payload: 42 }, telemetry, 'PAYLOAD_BARE_VALUE',
            'msg.payload is a bare number, but ThingsBoard needs an object such as {"temperature": 25}. Set the node\'s Key property to publish it as {"<key>": value}.');
        refused({ payload: true }, telemetry, 'PAYLOAD_BARE_VALUE');
    });

    it('refuses text that is not JSON, and JSON text of a number', function () {
        refused({ payload: 'hot' }, telemetry, 'PAYLOAD_NOT_JSON');
        assert.match(encodeError({ payload: 'hot' }).message, /^msg\.payload is text that is not JSON \(.+\), but ThingsBoard needs an object/);
        refused({ payload: '42' }, telemetry, 'PAYLOAD_WRONG_TYPE', 'Telemetry needs an object or an array of objects, but msg.payload is a number.');
    });

    it('refuses empty payloads, non-finite numbers, circular objects and BigInt', function () {
        refused({ payload: undefined }, telemetry, 'PAYLOAD_MISSING', ERRORS.PAYLOAD_MISSING);
        refused({ payload: '   ' }, telemetry, 'PAYLOAD_MISSING');
        refused({ payload: [] }, telemetry, 'PAYLOAD_EMPTY_ARRAY');
        refused({ payload: NaN, key: 'x' }, telemetry, 'PAYLOAD_NOT_FINITE');
        const circular = { a: 1 };
        circular.self = circular;
        refused({ payload: circular }, telemetry, 'PAYLOAD_NOT_SERIALISABLE');
        assert.match(encodeError({ payload: circular }).message, /^msg\.payload cannot be turned into JSON \(Converting circular structure to JSON\)/);
        refused({ payload: { n: 10n } }, telemetry, 'PAYLOAD_NOT_SERIALISABLE');
    });

    it('refuses arrays holding something other than objects, naming the element', function () {
        refused({ payload: [{ a: 1 }, 5] }, telemetry, 'PAYLOAD_ARRAY_ELEMENT');
        assert.match(encodeError({ payload: [{ a: 1 }, 5] }).message, /^Element 1 of the msg\.payload array is a number/);
    });

    it('takes only one object as attributes', function () {
        assert.strictEqual(body({ payload: { fw: '1.0' } }, attributes), '{"fw":"1.0"}');
        refused({ payload: [{ fw: 1 }] }, attributes, 'PAYLOAD_WRONG_TYPE',
            'Attributes needs one object such as {"firmware": "1.2"}, but msg.payload is an array.');
    });

    it('checks gateway shapes: device → array for telemetry, device → object for attributes', function () {
        assert.strictEqual(body({ payload: { 'Dev A': [{ t: 1 }] } }, gatewayTelemetry), '{"Dev A":[{"t":1}]}');
        refused({ payload: { 'Dev A': { t: 1 } } }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE',
            'Gateway telemetry needs device names mapped to arrays, e.g. {"Device A": [{"temperature": 25}]}, but the value for "Dev A" is an object, not a non-empty array of objects.');
        refused({ payload: {} }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE');
        refused({ payload: [{ t: 1 }] }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE');
        refused({ payload: { 'Dev A': [{ t: 1 }] }, timestamp: 1 }, gatewayTelemetry, 'TIMESTAMP_NOT_SUPPORTED');
        assert.strictEqual(body({ payload: { 'Dev A': { fw: '1' } } }, gatewayAttributes), '{"Dev A":{"fw":"1"}}');
        refused({ payload: { 'Dev A': [1] } }, gatewayAttributes, 'GATEWAY_ATTRIBUTES_SHAPE');
        const connect = resolveTarget('msg', 'v1/gateway/connect');
        assert.strictEqual(body({ payload: { device: 'Dev A', type: 'thermo' } }, connect), '{"device":"Dev A","type":"thermo"}');
        refused({ payload: { name: 'Dev A' } }, connect, 'GATEWAY_DEVICE_MISSING');
    });

    it('sends rpc responses as given: text as text, objects as JSON', function () {
        const rpc = resolveTarget('msg', 'v1/devices/me/rpc/response/17');
        assert.strictEqual(body({ payload: 'ok' }, rpc), 'ok');
        assert.strictEqual(body({ payload: 7 }, rpc), '7');
        assert.strictEqual(body({ payload: { result: 1 } }, rpc), '{"result":1}');
    });

    it('refuses a packet over 65536 bytes remaining length, counting topic and header', function () {
        const topic = telemetry.topic;
        const overhead = publishRemainingLength(topic, 0, 1, 5);
        assert.strictEqual(overhead, 2 + topic.length + 2 + 1);
        // {"k":"<filler>"} is 8 bytes plus the filler
        const fits = 'x'.repeat(MAX_PACKET_REMAINING_LENGTH - overhead - 8);
        assert.strictEqual(publishRemainingLength(topic, body({ payload: { k: fits } }).length, 1, 5), 65536);
        refused({ payload: { k: fits + 'x' } }, telemetry, 'PAYLOAD_TOO_LARGE',
            'The message would be 65537 bytes on the wire (topic and MQTT header included), more than the 65536 bytes ThingsBoard accepts in one message (it would close the connection). Split the payload into smaller messages.');
        // multi-byte characters count as bytes, not characters
        refused({ payload: { k: 'é'.repeat(33000) } }, telemetry, 'PAYLOAD_TOO_LARGE');
    });
});

function encodeError(input, target = telemetry) {
    try {
        encodePublish(input, target, 1, 5);
    } catch (err) {
        return err;
    }
    throw new Error('expected a refusal');
}
