'use strict';
// The outbox on a fake session: the order of writes, pacing, and the PUBACK watchdog that
// declares a session broken and fails a message after its last send.
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib', 'mqtt');
const { Outbox, notAcknowledged } = require(path.join(lib, 'outbox.js'));

function fakeSession() {
    const writes = [];
    return {
        writes,
        publish(topic, body, qos, done) {
            writes.push({ topic, body, qos, done });
        },
    };
}

function outbox(options = {}) {
    const events = { stalls: [], paced: [] };
    const box = new Outbox({
        onCallbackError: (e, err) => { throw err; },
        onStall: (exhausted) => events.stalls.push(exhausted.map((e) => e.body)),
        onPaced: (p) => events.paced.push(p),
    }, { ackTimeoutMs: 40, maxSends: 3, ...options });
    return { box, events };
}

const until = async (predicate) => {
    for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(predicate(), 'condition reached');
};

describe('outbox', function () {
    it('writes in order of arrival, holds while detached, and writes what was in flight again on the next session', function () {
        const { box } = outbox({ ackTimeoutMs: 60000 });
        const done = [];
        for (const n of [1, 2, 3]) box.add('u', 't', String(n), 1, (err) => done.push([n, err && err.code]));
        const s1 = fakeSession();
        box.attach(s1, 1);
        assert.deepStrictEqual(s1.writes.map((w) => w.body), ['1', '2', '3']);
        s1.writes[1].done(); // 2 acknowledged
        box.detach();
        box.add('u', 't', '4', 1, (err) => done.push([4, err && err.code]));
        const s2 = fakeSession();
        box.attach(s2, 2);
        assert.deepStrictEqual(s2.writes.map((w) => w.body), ['1', '3', '4']);
        s1.writes[0].done(); // a late acknowledgement from the old session is ignored
        s2.writes[0].done(Object.assign(new Error('refused'), { code: 0x90 }));
        assert.deepStrictEqual(done, [[2, undefined], [1, 'MQTT_PUBLISH_REFUSED']]);
    });

    it('reports a stalled session, and the message whose third send went unacknowledged', async function () {
        const { box, events } = outbox();
        let result;
        box.add('u', 'v1/gateway/telemetry', 'gw', 1, (err) => (result = err));
        for (let generation = 1; generation <= 3; generation++) {
            box.attach(fakeSession(), generation);
            await until(() => events.stalls.length === generation);
            box.detach();
        }
        assert.deepStrictEqual(events.stalls, [[], [], ['gw']], 'exhausted only after the third send');
        assert.strictEqual(result, undefined, 'the owner fails it, not the outbox');
        const [entry] = [...box.queue.pending()];
        assert.strictEqual(entry.sends, 3);
        const err = notAcknowledged(entry, box.options, { config: 'Plant A', commonName: 'gw-1', server: 'tb:8883' });
        assert.strictEqual(err.code, 'MQTT_GATEWAY_NOT_ACKNOWLEDGED');
        assert.strictEqual(notAcknowledged({ ...entry, topic: 'v1/devices/me/telemetry' }, box.options, { config: 'c', commonName: 'n', server: 's' }).code, 'MQTT_NOT_ACKNOWLEDGED');
    });

    it('does not call a session stalled while acknowledgements come', async function () {
        const { box, events } = outbox({ ackTimeoutMs: 30 });
        const s = fakeSession();
        box.attach(s, 1);
        for (let i = 0; i < 6; i++) {
            box.add('u', 't', String(i), 1, () => undefined);
            await new Promise((r) => setTimeout(r, 10));
            s.writes[i].done();
        }
        await new Promise((r) => setTimeout(r, 60));
        assert.deepStrictEqual(events.stalls, []);
        assert.strictEqual(box.queue.size, 0);
        box.detach();
    });

    it('holds messages back while the pacer says wait, and says so', async function () {
        const { box, events } = outbox({ ackTimeoutMs: 60000 });
        let allowed = 1;
        box.setPacer({ delayFor: () => (allowed > 0 ? 0 : 5), take: () => allowed-- });
        const s = fakeSession();
        box.attach(s, 1);
        for (const n of [1, 2, 3]) box.add('u', 't', String(n), 0, () => undefined);
        assert.deepStrictEqual(s.writes.map((w) => w.body), ['1']);
        assert.strictEqual(box.isPaced, true);
        assert.strictEqual(box.refusal('u', 2, true, 'tb:8883').code, 'MQTT_QUEUE_FULL_RATE_LIMITED');
        allowed = 5;
        await until(() => s.writes.length === 3);
        assert.deepStrictEqual(s.writes.map((w) => w.body), ['1', '2', '3']);
        assert.deepStrictEqual(events.paced, [true, false]);
        box.detach();
    });
});
