'use strict';
// The two-way parts of the connection on fake sessions: the subscription registry (every filter on every
// session, one throwing handler does not stop the others), the gateway devices announced again on a new
// session, what tb-x509-mqtt-in makes of each push (malformed ones as text), request ids once per session,
// the request tracker (answers by id, errors passed on, timeout from PUBACK), request bodies and reply targets.
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { SubscriptionRegistry, topicMatches } = require(path.join(lib, 'mqtt', 'subscriptions.js'));
const { GatewayDevices } = require(path.join(lib, 'mqtt', 'gateway-devices.js'));
const { decodeInbound, RequestIdFilter } = require(path.join(lib, 'mqtt', 'inbound.js'));
const { RequestTracker } = require(path.join(lib, 'mqtt', 'requests.js'));
const { requestBody, answerPayload, keyList } = require(path.join(lib, 'thingsboard', 'request-payloads.js'));
const { resolveReply } = require(path.join(lib, 'thingsboard', 'reply-targets.js'));

function fakeSession() {
    const subscribed = [];
    const published = [];
    return {
        subscribed,
        published,
        subscribe(filter, done) {
            subscribed.push(filter);
            done();
        },
        publish(topic, body, qos, done) {
            published.push({ topic, body: String(body), qos });
            done();
        },
    };
}

const buf = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('connection subscriptions and two-way messages', function () {
    describe('topicMatches', function () {
        it('matches + for one level and # for the rest, nothing else', function () {
            assert.strictEqual(topicMatches('v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/request/17'), true);
            assert.strictEqual(topicMatches('v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/request/17/x'), false);
            assert.strictEqual(topicMatches('v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/response/17'), false);
            assert.strictEqual(topicMatches('v1/gateway/attributes', 'v1/gateway/attributes/response'), false);
            assert.strictEqual(topicMatches('v1/#', 'v1/gateway/rpc'), true);
        });
    });

    describe('SubscriptionRegistry', function () {
        it('subscribes every filter once on each new session, and a filter added to a live session at once', function () {
            const registry = new SubscriptionRegistry(() => undefined);
            registry.add('a', 'v1/devices/me/rpc/request/+', () => undefined);
            registry.add('b', 'v1/devices/me/rpc/request/+', () => undefined);
            const first = fakeSession();
            registry.onSessionUp(first);
            assert.deepStrictEqual(first.subscribed, ['v1/devices/me/rpc/request/+']);
            registry.add('c', 'v1/devices/me/attributes', () => undefined);
            assert.deepStrictEqual(first.subscribed, ['v1/devices/me/rpc/request/+', 'v1/devices/me/attributes']);
            registry.onSessionDown();
            const second = fakeSession();
            registry.onSessionUp(second);
            assert.deepStrictEqual(second.subscribed.sort(), ['v1/devices/me/attributes', 'v1/devices/me/rpc/request/+']);
            assert.strictEqual(registry.sessionNumber, 2);
        });

        it('hands a publish to every matching handler; one that throws is reported and the others still get it', function () {
            const errors = [];
            const registry = new SubscriptionRegistry((userId, err) => errors.push([userId, err.message]));
            const got = [];
            registry.add('bad', 'v1/devices/me/attributes', () => { throw new Error('boom'); });
            registry.add('good', 'v1/devices/me/attributes', (topic, payload, session) => got.push([topic, payload.toString(), session]));
            registry.onSessionUp(fakeSession());
            assert.strictEqual(registry.dispatch('v1/devices/me/attributes', buf({ a: 1 })), true);
            assert.deepStrictEqual(got, [['v1/devices/me/attributes', '{"a":1}', 1]]);
            assert.deepStrictEqual(errors, [['bad', 'boom']]);
            assert.strictEqual(registry.dispatch('v1/devices/me/telemetry', buf({})), false);
        });

        it('forgets the handlers of a user that left', function () {
            const registry = new SubscriptionRegistry(() => undefined);
            const got = [];
            registry.add('a', 'v1/gateway/rpc', () => got.push('a'));
            registry.removeUser('a');
            assert.strictEqual(registry.dispatch('v1/gateway/rpc', buf({})), false);
            assert.deepStrictEqual(registry.filters, []);
            assert.deepStrictEqual(got, []);
        });
    });

    describe('GatewayDevices', function () {
        it('announces on a new session every device connected (explicitly or by its telemetry) and not disconnected', function () {
            const devices = new GatewayDevices();
            devices.onDelivered('v1/gateway/connect', JSON.stringify({ device: 'Pump 1', type: 'pump' }));
            devices.onDelivered('v1/gateway/telemetry', JSON.stringify({ 'Boiler 2': [{ t: 1 }], 'Pump 1': [{ t: 2 }] }));
            devices.onDelivered('v1/gateway/connect', JSON.stringify({ device: 'Valve 3' }));
            devices.onDelivered('v1/gateway/disconnect', JSON.stringify({ device: 'Valve 3' }));
            devices.onDelivered('v1/gateway/connect', 'not json');
            const session = fakeSession();
            devices.announce(session);
            assert.deepStrictEqual(session.published, [
                { topic: 'v1/gateway/connect', body: '{"device":"Pump 1","type":"pump"}', qos: 1 },
                { topic: 'v1/gateway/connect', body: '{"device":"Boiler 2"}', qos: 1 },
            ]);
        });
    });

    describe('decodeInbound', function () {
        it('rpc: params, method, the request id and the reply topic; text when the body is not JSON', function () {
            assert.deepStrictEqual(decodeInbound('rpc', 'v1/devices/me/rpc/request/5', buf({ method: 'setValve', params: { open: true } })), {
                payload: { open: true }, method: 'setValve', requestId: 5, topic: 'v1/devices/me/rpc/response/5',
            });
            assert.deepStrictEqual(decodeInbound('rpc', 'v1/devices/me/rpc/request/6', buf('not json {')), {
                payload: 'not json {', requestId: 6, topic: 'v1/devices/me/rpc/response/6',
            });
        });

        it('attributes: the values, and the deleted keys apart', function () {
            assert.deepStrictEqual(decodeInbound('attributes', 'v1/devices/me/attributes', buf({ interval: 5, deleted: ['mode'] })), {
                payload: { interval: 5 }, deleted: ['mode'], topic: 'v1/devices/me/attributes',
            });
            assert.deepStrictEqual(decodeInbound('attributes', 'v1/devices/me/attributes', buf('[1')), { payload: '[1', topic: 'v1/devices/me/attributes' });
        });

        it('gateway modes: msg.device, and the request id from data.id', function () {
            assert.deepStrictEqual(decodeInbound('gateway-rpc', 'v1/gateway/rpc', buf({ device: 'Pump 1', data: { id: 9, method: 'stop', params: {} } })), {
                payload: {}, method: 'stop', requestId: 9, device: 'Pump 1', topic: 'v1/gateway/rpc',
            });
            assert.deepStrictEqual(decodeInbound('gateway-attributes', 'v1/gateway/attributes', buf({ device: 'Pump 1', data: { limit: 3 } })), {
                payload: { limit: 3 }, device: 'Pump 1', topic: 'v1/gateway/attributes',
            });
            assert.deepStrictEqual(decodeInbound('gateway-rpc', 'v1/gateway/rpc', buf('oops')), { payload: 'oops', topic: 'v1/gateway/rpc' });
        });
    });

    describe('RequestIdFilter', function () {
        it('lets an id through once per session and per device, and again in a new session', function () {
            const once = new RequestIdFilter();
            assert.deepStrictEqual([once.firstTime(1, 5), once.firstTime(1, 5), once.firstTime(1, 5, 'Pump 1'), once.firstTime(2, 5), once.firstTime(2, undefined), once.firstTime(2, undefined)],
                [true, false, true, true, true, true]);
        });
    });

    describe('RequestTracker', function () {
        function fakeConnection() {
            const listeners = [];
            const published = [];
            return {
                server: 'tb:8883',
                listeners,
                published,
                listen(userId, filter, handler) {
                    listeners.push({ filter, handler });
                },
                publish(userId, request, callback) {
                    published.push({ ...request, callback });
                },
                deliver(topic, payload) {
                    for (const l of listeners) if (topicMatches(l.filter, topic)) l.handler(topic, buf(payload), 1);
                },
            };
        }

        it('matches answers to their request by id, the gateway form by the id in the body', function () {
            const conn = fakeConnection();
            const tracker = new RequestTracker(conn);
            const answers = [];
            tracker.send('n', { kind: 'attributes', body: { sharedKeys: 'a' }, timeoutMs: 10000, queueSize: 10 }, (err, answer) => answers.push(['attr', err, String(answer)]));
            tracker.send('n', { kind: 'rpc', body: { method: 'm', params: {} }, timeoutMs: 10000, queueSize: 10 }, (err, answer) => answers.push(['rpc', err, String(answer)]));
            tracker.send('n', { kind: 'gateway-attributes', body: { device: 'D', client: false, key: 'k' }, timeoutMs: 10000, queueSize: 10 }, (err, answer) => answers.push(['gw', err, String(answer)]));
            assert.deepStrictEqual(conn.published.map((p) => [p.topic, p.body, p.qos]), [
                ['v1/devices/me/attributes/request/1', '{"sharedKeys":"a"}', 1],
                ['v1/devices/me/rpc/request/2', '{"method":"m","params":{}}', 1],
                ['v1/gateway/attributes/request', '{"id":3,"device":"D","client":false,"key":"k"}', 1],
            ]);
            conn.deliver('v1/devices/me/rpc/response/2', { r: 1 });
            conn.deliver('v1/devices/me/attributes/response/99', { shared: {} });
            conn.deliver('v1/gateway/attributes/response', { id: 3, device: 'D', value: 7 });
            conn.deliver('v1/devices/me/attributes/response/1', { shared: { a: 1 } });
            assert.deepStrictEqual(answers, [
                ['rpc', undefined, '{"r":1}'],
                ['gw', undefined, '{"id":3,"device":"D","value":7}'],
                ['attr', undefined, '{"shared":{"a":1}}'],
            ]);
            assert.strictEqual(tracker.waiting, 0);
        });

        it('passes a failed send on, and fails an unanswered request after its timeout, counted from PUBACK', async function () {
            const conn = fakeConnection();
            const tracker = new RequestTracker(conn);
            const results = [];
            tracker.send('n', { kind: 'rpc', body: { method: 'm', params: {} }, timeoutMs: 20, queueSize: 10 }, (err) => results.push(err));
            tracker.send('n', { kind: 'rpc', body: { method: 'm', params: {} }, timeoutMs: 20, queueSize: 10 }, (err) => results.push(err));
            const refused = Object.assign(new Error('queue full'), { code: 'MQTT_QUEUE_FULL' });
            conn.published[1].callback(refused);
            assert.deepStrictEqual(results, [refused]);
            // not acknowledged yet: no timeout runs
            await new Promise((r) => setTimeout(r, 60));
            assert.strictEqual(results.length, 1);
            conn.published[0].callback();
            await new Promise((r) => setTimeout(r, 100));
            assert.strictEqual(results.length, 2);
            assert.strictEqual(results[1].code, 'MQTT_REQUEST_TIMEOUT');
            assert.strictEqual(results[1].params.topic, 'v1/devices/me/rpc/request/1');
            assert.match(results[1].message, /No answer/);
        });
    });

    describe('request bodies and answers', function () {
        it('joins device attribute keys into comma-separated texts, asks a gateway device with key or keys', function () {
            assert.deepStrictEqual(requestBody('attributes', { clientKeys: ['fw', ' serial '], sharedKeys: 'interval,' }), { clientKeys: 'fw,serial', sharedKeys: 'interval' });
            assert.deepStrictEqual(requestBody('attributes', {}), {});
            assert.deepStrictEqual(requestBody('gateway-attributes', { device: 'D', sharedKeys: 'limit' }), { device: 'D', client: false, key: 'limit' });
            assert.deepStrictEqual(requestBody('gateway-attributes', { device: 'D', clientKeys: 'a,b', client: true }), { device: 'D', client: true, keys: ['a', 'b'] });
            assert.throws(() => requestBody('gateway-attributes', { sharedKeys: 'x' }), (err) => err.code === 'MQTT_REQUEST_NO_DEVICE');
            assert.throws(() => requestBody('gateway-attributes', { device: 'D' }), (err) => err.code === 'MQTT_REQUEST_NO_KEYS');
            assert.throws(() => requestBody('rpc', { params: {} }), (err) => err.code === 'MQTT_REQUEST_NO_METHOD');
            assert.throws(() => keyList('clientKeys', 5), (err) => err.code === 'MQTT_REQUEST_KEYS_INVALID' && err.params.field === 'clientKeys');
        });

        it('fills in the section ThingsBoard leaves out, and names a single gateway value by its key', function () {
            assert.deepStrictEqual(answerPayload('attributes', buf({ shared: { a: 1 } }), {}), { client: {}, shared: { a: 1 } });
            assert.deepStrictEqual(answerPayload('gateway-attributes', buf({ id: 1, device: 'D', value: 3 }), { key: 'limit' }), { limit: 3 });
            assert.deepStrictEqual(answerPayload('gateway-attributes', buf({ id: 1, device: 'D', values: { a: 1, b: 2 } }), { keys: ['a', 'b'] }), { a: 1, b: 2 });
            assert.strictEqual(answerPayload('rpc', buf('plain'), {}), 'plain');
        });
    });

    describe('reply targets', function () {
        it('answers on the request id topic, wraps gateway replies, takes a device name as text', function () {
            assert.deepStrictEqual(resolveReply('rpc-response', { payload: { ok: 1 }, requestId: '12' }).target, { topic: 'v1/devices/me/rpc/response/12', kind: 'text' });
            assert.deepStrictEqual(resolveReply('gateway-rpc-response', { payload: { ok: 1 }, requestId: 4, device: 'D' }).payload, { device: 'D', id: 4, data: { ok: 1 } });
            assert.deepStrictEqual(resolveReply('gateway-connect', { payload: 'Pump 1' }).payload, { device: 'Pump 1' });
            assert.deepStrictEqual(resolveReply('gateway-disconnect', { device: 'Pump 1' }).payload, { device: 'Pump 1' });
        });

        it('refuses a reply without its request id or device, naming the field', function () {
            assert.throws(() => resolveReply('rpc-response', { payload: 1 }), (err) => err.code === 'REPLY_REQUEST_ID_MISSING' && err.params.actual === 'missing' && /msg\.requestId/.test(err.message));
            assert.throws(() => resolveReply('rpc-response', { payload: 1, requestId: 1.5 }), (err) => err.code === 'REPLY_REQUEST_ID_MISSING');
            assert.throws(() => resolveReply('gateway-rpc-response', { payload: 1, requestId: 1 }), (err) => err.code === 'REPLY_DEVICE_MISSING' && /msg\.device/.test(err.message));
            assert.throws(() => resolveReply('gateway-rpc-response', { requestId: 1, device: 'D' }), (err) => err.code === 'PAYLOAD_MISSING');
        });
    });
});
