'use strict';
// Payload rules of tb-x509-mqtt-out: what is published for each accepted form, and which refusal
// (code, parameters, the phrase that tells the user what to do) for each refused one — nothing is
// sent then. Packet sizes are judged by mqtt-packet's own encoder, the one mqtt.js writes with.
const assert = require('assert');
const path = require('path');
const mqttPacket = require('mqtt-packet');
const { coded, thrownBy } = require('../support/errors');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { encodePublish, resolveTarget } = require(path.join(lib, 'thingsboard', 'telemetry-payload.js'));

/** ThingsBoard's transport.mqtt.netty.max_payload_size default (thingsboard.yml), checked by Netty's MqttDecoder against the remaining length. */
const THINGSBOARD_MAX_REMAINING_LENGTH = 65536;

const telemetry = resolveTarget('telemetry');
const attributes = resolveTarget('attributes');
const gatewayTelemetry = resolveTarget('gateway-telemetry');
const gatewayAttributes = resolveTarget('gateway-attributes');

function body(input, target = telemetry, qos = 1, protocolVersion = 5) {
    const out = encodePublish(input, target, qos, protocolVersion);
    return typeof out.body === 'string' ? out.body : out.body.toString();
}
/** `input` is refused with `code`, those `params` and `phrases` (see test/support/errors.js). */
function refused(input, target, code, params, ...phrases) {
    assert.throws(() => encodePublish(input, target || telemetry, 1, 5), coded(code, params, ...phrases));
}
function encodeError(input, target = telemetry) {
    return thrownBy(() => encodePublish(input, target, 1, 5));
}

/** The remaining length of the PUBLISH mqtt-packet writes for this topic and body. */
function wireRemainingLength(topic, payload, qos, protocolVersion) {
    const packet = mqttPacket.generate(
        { cmd: 'publish', topic, payload, qos, messageId: qos > 0 ? 1 : undefined, retain: false, dup: false },
        { protocolVersion },
    );
    // fixed header: 1 byte type/flags, then the remaining length as a variable-length integer
    let value = 0;
    let offset = 1;
    for (let shift = 0; ; shift += 7, offset++) {
        value += (packet[offset] & 0x7f) << shift;
        if ((packet[offset] & 0x80) === 0) break;
    }
    assert.strictEqual(packet.length, offset + 1 + value, 'the remaining length covers the rest of the packet');
    return value;
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
        refused({ payload: [{ a: 1 }], timestamp: 1 }, telemetry, 'TIMESTAMP_WITH_ARRAY', {}, 'remove msg.timestamp');
    });

    it('refuses a timestamp that is not ms or a Date, and a payload that has its own ts', function () {
        refused({ payload: { a: 1 }, timestamp: 'yesterday' }, telemetry, 'TIMESTAMP_INVALID', { actual: 'a string' }, 'milliseconds since 1970');
        refused({ payload: { a: 1 }, timestamp: new Date('nope') }, telemetry, 'TIMESTAMP_INVALID', { actual: 'an invalid date' });
        refused({ payload: { a: 1 }, timestamp: -1 }, telemetry, 'TIMESTAMP_INVALID', { actual: '-1' });
        refused({ payload: { ts: 1, values: {} }, timestamp: 2 }, telemetry, 'TIMESTAMP_TWICE', {}, 'Remove one of the two timestamps');
        refused({ payload: { a: 1 }, timestamp: 2 }, attributes, 'TIMESTAMP_NOT_SUPPORTED', { topic: 'v1/devices/me/attributes' }, 'use target telemetry');
    });

    it('refuses a bare number without key, naming the Key property', function () {
        refused({ payload: 42 }, telemetry, 'PAYLOAD_BARE_VALUE', { type: 'number' }, "Set the node's Key property");
        refused({ payload: true }, telemetry, 'PAYLOAD_BARE_VALUE', { type: 'boolean' });
    });

    it('refuses text that is not JSON, and JSON text of a number', function () {
        refused({ payload: 'hot' }, telemetry, 'PAYLOAD_NOT_JSON', {}, 'not JSON', "Set the node's Key property");
        // the parser's own reason is passed on, whatever its wording
        assert.ok(encodeError({ payload: 'hot' }).params.reason.length > 0);
        refused({ payload: '42' }, telemetry, 'PAYLOAD_WRONG_TYPE', { what: 'Telemetry', expected: 'an object or an array of objects', actual: 'a number' });
    });

    it('refuses empty payloads, non-finite numbers, circular objects and BigInt', function () {
        refused({ payload: undefined }, telemetry, 'PAYLOAD_MISSING', {}, 'nothing to publish');
        refused({ payload: null }, telemetry, 'PAYLOAD_MISSING');
        refused({ payload: '   ' }, telemetry, 'PAYLOAD_MISSING');
        refused({ payload: [] }, telemetry, 'PAYLOAD_EMPTY_ARRAY', {}, 'nothing to publish');
        refused({ payload: NaN, key: 'x' }, telemetry, 'PAYLOAD_NOT_FINITE', { value: 'NaN' }, 'finite number');
        refused({ payload: Infinity, key: 'x' }, telemetry, 'PAYLOAD_NOT_FINITE', { value: 'Infinity' });
        const circular = { a: 1 };
        circular.self = circular;
        refused({ payload: circular }, telemetry, 'PAYLOAD_NOT_SERIALISABLE', {}, 'circular references');
        // one line of the engine's reason, not its multi-line path description
        assert.match(encodeError({ payload: circular }).params.reason, /^[^\n]*circular[^\n]*$/i);
        refused({ payload: { n: 10n } }, telemetry, 'PAYLOAD_NOT_SERIALISABLE');
    });

    it('refuses arrays holding something other than objects, naming the element', function () {
        refused({ payload: [{ a: 1 }, 5] }, telemetry, 'PAYLOAD_ARRAY_ELEMENT', { index: 1, actual: 'a number' });
        refused({ payload: [{ a: 1 }, [{ b: 2 }]] }, telemetry, 'PAYLOAD_ARRAY_ELEMENT', { index: 1, actual: 'an array' });
    });

    it('takes only one object as attributes', function () {
        assert.strictEqual(body({ payload: { fw: '1.0' } }, attributes), '{"fw":"1.0"}');
        refused({ payload: [{ fw: 1 }] }, attributes, 'PAYLOAD_WRONG_TYPE', { what: 'Attributes', actual: 'an array' });
    });

    it('checks gateway shapes: device → array for telemetry, device → object for attributes', function () {
        assert.strictEqual(body({ payload: { 'Dev A': [{ t: 1 }] } }, gatewayTelemetry), '{"Dev A":[{"t":1}]}');
        refused({ payload: { 'Dev A': { t: 1 } } }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE',
            { problem: 'the value for "Dev A" is an object, not a non-empty array of objects' });
        refused({ payload: { 'Dev A': [] } }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE',
            { problem: 'the value for "Dev A" is an array, not a non-empty array of objects' });
        refused({ payload: {} }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE', { problem: 'msg.payload names no device' });
        refused({ payload: [{ t: 1 }] }, gatewayTelemetry, 'GATEWAY_TELEMETRY_SHAPE', { problem: 'msg.payload is an array' });
        refused({ payload: { 'Dev A': [{ t: 1 }] }, timestamp: 1 }, gatewayTelemetry, 'TIMESTAMP_NOT_SUPPORTED', { topic: 'v1/gateway/telemetry' });
        assert.strictEqual(body({ payload: { 'Dev A': { fw: '1' } } }, gatewayAttributes), '{"Dev A":{"fw":"1"}}');
        refused({ payload: { 'Dev A': [1] } }, gatewayAttributes, 'GATEWAY_ATTRIBUTES_SHAPE',
            { problem: 'the value for "Dev A" is an array, not an object' });
        const connect = resolveTarget('msg', 'v1/gateway/connect');
        assert.strictEqual(body({ payload: { device: 'Dev A', type: 'thermo' } }, connect), '{"device":"Dev A","type":"thermo"}');
        refused({ payload: { name: 'Dev A' } }, connect, 'GATEWAY_DEVICE_MISSING', { topic: 'v1/gateway/connect' });
    });

    it('sends rpc responses as given: text as text, objects as JSON', function () {
        const rpc = resolveTarget('msg', 'v1/devices/me/rpc/response/17');
        assert.strictEqual(body({ payload: 'ok' }, rpc), 'ok');
        assert.strictEqual(body({ payload: 7 }, rpc), '7');
        assert.strictEqual(body({ payload: { result: 1 } }, rpc), '{"result":1}');
    });

    describe('refuses a packet whose remaining length exceeds ThingsBoard\'s 65536 bytes', function () {
        /** {"k":"<filler>"}: the largest filler whose PUBLISH mqtt-packet writes within the limit. */
        function largestFiller(topic, qos, protocolVersion, char = 'x') {
            const base = wireRemainingLength(topic, JSON.stringify({ k: '' }), qos, protocolVersion);
            const filler = char.repeat(Math.floor((THINGSBOARD_MAX_REMAINING_LENGTH - base) / Buffer.byteLength(char)));
            assert.strictEqual(wireRemainingLength(topic, JSON.stringify({ k: filler }), qos, protocolVersion),
                THINGSBOARD_MAX_REMAINING_LENGTH - ((THINGSBOARD_MAX_REMAINING_LENGTH - base) % Buffer.byteLength(char)));
            return filler;
        }

        for (const [qos, protocolVersion] of [[1, 5], [0, 5], [1, 4], [0, 4]]) {
            it(`counts topic, packet id and properties as mqtt-packet writes them (QoS ${qos}, MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, function () {
                const fits = largestFiller(telemetry.topic, qos, protocolVersion);
                assert.strictEqual(body({ payload: { k: fits } }, telemetry, qos, protocolVersion).length, fits.length + 8);
                assert.throws(() => encodePublish({ payload: { k: fits + 'x' } }, telemetry, qos, protocolVersion),
                    coded('PAYLOAD_TOO_LARGE', { size: THINGSBOARD_MAX_REMAINING_LENGTH + 1, limit: THINGSBOARD_MAX_REMAINING_LENGTH }, 'Split the payload'));
            });
        }

        it('counts multi-byte characters as bytes, in JSON and in text bodies', function () {
            const fits = largestFiller(telemetry.topic, 1, 5, 'é');
            assert.ok(body({ payload: { k: fits } }));
            refused({ payload: { k: fits + 'é' } }, telemetry, 'PAYLOAD_TOO_LARGE');
            const topic = 'v1/devices/me/rpc/response/17';
            const rpc = resolveTarget('msg', topic);
            const room = THINGSBOARD_MAX_REMAINING_LENGTH - wireRemainingLength(topic, '', 1, 5);
            const text = 'ä'.repeat(room / 2);
            assert.strictEqual(wireRemainingLength(topic, text, 1, 5), THINGSBOARD_MAX_REMAINING_LENGTH);
            assert.strictEqual(body({ payload: text }, rpc), text);
            assert.throws(() => encodePublish({ payload: text + 'x' }, rpc, 1, 5), coded('PAYLOAD_TOO_LARGE', { size: THINGSBOARD_MAX_REMAINING_LENGTH + 1 }));
        });
    });
});
