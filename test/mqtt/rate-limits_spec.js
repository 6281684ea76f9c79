'use strict';
// Pacing below ThingsBoard's transport rate limits, as pure functions: the getSessionLimits
// answer, what a message costs (DefaultTransportRateLimitService.checkEntityRateLimit: a message
// with data points is one telemetry message plus its data points, any other one message), the
// token buckets at 80 %, and the rate learned from closes.
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib', 'mqtt');
const { parseRateLimit, parseSessionLimits, messageCost, hasLimits } = require(path.join(lib, 'rate-limits.js'));
const { TokenBucket, LimitPacer, RatePacer, combinePacers, PACING_FRACTION } = require(path.join(lib, 'pacing.js'));
const { RateLearner, closeKind, GOOD_STRETCH_MS } = require(path.join(lib, 'rate-learner.js'));
const { RateGovernor } = require(path.join(lib, 'rate-governor.js'));
const { connectionStatus } = require(path.join(lib, 'connection-status.js'));

const entry = (topic, body) => ({ topic, body: JSON.stringify(body) });

/** How many of `make()` a pacer lets through at instant `now` before it asks to wait. */
function burst(pacer, make, now) {
    let n = 0;
    for (;;) {
        const e = make();
        if (pacer.delayFor(e, now) > 0) return n;
        pacer.take(e, now);
        n++;
        if (n > 100000) throw new Error('unbounded');
    }
}

describe('rate limits and pacing', function () {
    it('reads limit strings as capacity:seconds windows; null, empty and malformed parts give none', function () {
        assert.deepStrictEqual(parseRateLimit('100:1,3000:60'), [{ capacity: 100, seconds: 1 }, { capacity: 3000, seconds: 60 }]);
        assert.deepStrictEqual(parseRateLimit(null), []);
        assert.deepStrictEqual(parseRateLimit(''), []);
        assert.deepStrictEqual(parseRateLimit('x,10:0,5:2'), [{ capacity: 5, seconds: 2 }]);
    });

    it('reads the getSessionLimits answers of a device and of a gateway session (unset limits are null)', function () {
        const device = parseSessionLimits({ maxPayloadSize: 65536, maxInflightMessages: 100, rateLimits: { messages: '10:1,60:10', telemetryMessages: '2:60', telemetryDataPoints: null } });
        assert.deepStrictEqual(device, {
            device: { messages: [{ capacity: 10, seconds: 1 }, { capacity: 60, seconds: 10 }], telemetryMessages: [{ capacity: 2, seconds: 60 }], telemetryDataPoints: [] },
        });
        const gateway = parseSessionLimits({
            maxPayloadSize: 65536, maxInflightMessages: 100,
            rateLimits: { messages: null, telemetryMessages: '7:1', telemetryDataPoints: null },
            gatewayRateLimits: { messages: '20:1', telemetryMessages: null, telemetryDataPoints: null },
        });
        assert.deepStrictEqual(gateway.gateway.messages, [{ capacity: 20, seconds: 1 }]);
        assert.deepStrictEqual(gateway.device.telemetryMessages, [{ capacity: 7, seconds: 1 }]);
        const none = parseSessionLimits({ maxPayloadSize: 65536, maxInflightMessages: 100, rateLimits: { messages: null, telemetryMessages: null, telemetryDataPoints: null } });
        assert.strictEqual(hasLimits(none), false);
        assert.strictEqual(parseSessionLimits({ error: 'timeout' }), undefined, 'the RPC timeout of a server without getSessionLimits');
    });

    it('costs a message as ThingsBoard counts it', function () {
        assert.deepStrictEqual(messageCost('v1/devices/me/telemetry', '{"a":1,"b":2}'), { scope: 'device', messages: 0, telemetryMessages: 1, dataPoints: 2 });
        assert.deepStrictEqual(messageCost('v1/devices/me/telemetry', JSON.stringify([{ a: 1 }, { ts: 1, values: { b: 2, c: 3 } }])).dataPoints, 3);
        assert.deepStrictEqual(messageCost('v1/devices/me/attributes', '{"fw":"1"}'), { scope: 'device', messages: 0, telemetryMessages: 1, dataPoints: 1 });
        assert.deepStrictEqual(messageCost('v1/devices/me/rpc/response/7', '{"ok":true}'), { scope: 'device', messages: 1, telemetryMessages: 0, dataPoints: 0 });
        // per device behind the gateway, against the gateway's limits
        assert.deepStrictEqual(messageCost('v1/gateway/telemetry', JSON.stringify({ A: [{ t: 1 }, { ts: 1, values: { u: 1, v: 2 } }], B: [{ t: 2 }] })),
            { scope: 'gateway', messages: 0, telemetryMessages: 2, dataPoints: 4 });
        assert.deepStrictEqual(messageCost('v1/gateway/connect', '{"device":"A"}'), { scope: 'gateway', messages: 1, telemetryMessages: 0, dataPoints: 0 });
    });

    it('token buckets start full, refill greedily and report how long to wait', function () {
        const b = new TokenBucket(4, 2, 0);
        assert.strictEqual(b.wait(4, 0), 0);
        b.take(4, 0);
        assert.strictEqual(b.wait(1, 0), 500, 'two tokens per second');
        assert.strictEqual(b.wait(1, 500), 0);
        assert.strictEqual(b.wait(9, 500), 1500, 'more than the capacity waits for a full bucket');
        assert.strictEqual(new TokenBucket(3, 1, 0, false).wait(1, 0), 1000, 'an empty bucket');
    });

    it('paces at 80 % of every window, telemetry and other messages in their own buckets', function () {
        assert.strictEqual(PACING_FRACTION, 0.8);
        const limits = parseSessionLimits({ rateLimits: { messages: '10:1', telemetryMessages: '100:1,50:10', telemetryDataPoints: '200:1' } });
        const pacer = new LimitPacer(limits, 0);
        assert.strictEqual(burst(pacer, () => entry('v1/devices/me/rpc/response/1', {}), 0), 8, '80 % of 10');
        assert.strictEqual(burst(pacer, () => entry('v1/devices/me/telemetry', { a: 1 }), 0), 40, '80 % of the 50:10 window');
        const points = new LimitPacer(limits, 0);
        assert.strictEqual(burst(points, () => entry('v1/devices/me/telemetry', { a: 1, b: 2, c: 3, d: 4 }), 0), 40, '160 data points / 4');
        // after the burst the sustained rate is 80 % of 50 per 10 s: one message every 250 ms
        assert.strictEqual(pacer.delayFor(entry('v1/devices/me/telemetry', { a: 1 }), 0), 250);
    });

    it('a gateway session paces v1/gateway/* by the gateway limits and its own messages by its device limits', function () {
        const limits = parseSessionLimits({ rateLimits: { messages: null, telemetryMessages: '10:1', telemetryDataPoints: null }, gatewayRateLimits: { messages: null, telemetryMessages: '100:1', telemetryDataPoints: null } });
        const pacer = new LimitPacer(limits, 0);
        assert.strictEqual(burst(pacer, () => entry('v1/devices/me/telemetry', { a: 1 }), 0), 8);
        assert.strictEqual(burst(pacer, () => entry('v1/gateway/telemetry', { A: [{ a: 1 }], B: [{ a: 1 }] }), 0), 40, 'two device messages each');
    });

    it('combines pacers: a message goes when each lets it, and takes from each', function () {
        const a = new RatePacer(2, 0);
        const b = new RatePacer(4, 0);
        const both = combinePacers([a, undefined, b]);
        const e = entry('t', {});
        assert.strictEqual(both.delayFor(e, 0), 500, 'the learned bucket starts empty');
        assert.strictEqual(both.delayFor(e, 500), 0);
        both.take(e, 500);
        assert.strictEqual(b.delayFor(e, 500), 0, 'b had 2 tokens, one taken');
        assert.strictEqual(combinePacers([undefined]), undefined);
    });

    it('learns half of what the server accepted from a rate-limit close, halves again, and rises only after a good stretch', function () {
        const learner = new RateLearner();
        learner.onSession(0);
        for (let t = 0; t < 2000; t += 10) learner.onDelivered(t); // 200 acknowledged in 2 s
        assert.strictEqual(learner.onRateLimitClose(2000), 50, 'half of 100/s');
        learner.onSession(2100); // a CONNACK resets nothing
        assert.strictEqual(learner.rate, 50);
        assert.strictEqual(learner.closes, 1);
        for (let t = 2100; t < 4100; t += 20) learner.onDelivered(t); // 100 in 2 s = 50/s
        assert.strictEqual(learner.onRateLimitClose(4100), 25);
        assert.strictEqual(learner.closes, 2);
        let t = 4200;
        learner.onSession(t);
        while (t < 4200 + GOOD_STRETCH_MS) learner.onDelivered((t += 100));
        assert.strictEqual(learner.closes, 0, 'the backoff starts over after a good stretch');
        assert.strictEqual(learner.rate, 31.25, 'and the rate rises by a quarter');
    });

    it('tells rate-limit closes from others', function () {
        assert.strictEqual(closeKind({ serverDisconnect: 0x83 }, 5), 'rate-limit');
        assert.strictEqual(closeKind({ serverDisconnect: 0x83 }, 0), 'other', 'nothing in flight');
        assert.strictEqual(closeKind({ serverDisconnect: 0x8e }, 5), 'other', 'session taken over');
        assert.strictEqual(closeKind({}, 5), 'bare');
        assert.strictEqual(closeKind({ error: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }, 5), 'other');
    });

    it('counts a bare close as a rate limit only when the session before it ended the same way', function () {
        const pacers = [];
        const outbox = { queue: { size: 0 }, setPacer: (p) => pacers.push(p) };
        const governor = new RateGovernor(outbox, 10);
        assert.strictEqual(governor.onClosed({}, 3), undefined, 'one bare close: maybe a broker restart');
        assert.strictEqual(governor.onClosed({ error: new Error('ECONNREFUSED') }, 0), undefined);
        assert.strictEqual(governor.onClosed({}, 3), undefined, 'the refused connect in between broke the series');
        assert.ok(governor.onClosed({}, 3) >= 0, 'two in a row: a rate limit (reconnect delay returned)');
        assert.ok(governor.learnedRate > 0);
        assert.ok(pacers[pacers.length - 1], 'a pacer was set');
    });

    it('shows "rate limited" (yellow) while connected and pacing with messages waiting', function () {
        assert.deepStrictEqual(connectionStatus({ phase: 'connected', queued: 12, rateLimited: true }),
            { fill: 'yellow', shape: 'dot', key: 'mqtt-rate-limited', english: 'rate limited, queued __count__', params: { count: 12 }, reasonKey: undefined });
        assert.strictEqual(connectionStatus({ phase: 'connected', queued: 0, rateLimited: true }).key, 'mqtt-connected');
    });
});
