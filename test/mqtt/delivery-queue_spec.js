'use strict';
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { DeliveryQueue } = require(path.join(lib, 'mqtt', 'delivery-queue.js'));

function entry(queue, userId, n, log) {
    return queue.add({ userId, topic: 't', body: String(n), qos: 1, callback: (err) => log.push([n, err ? err.message : 'ok']) });
}

describe('delivery queue', function () {
    it('keeps order of first arrival across a broken connection, and settles each entry once', function () {
        const q = new DeliveryQueue();
        const log = [];
        const e = [1, 2, 3, 4].map((n) => entry(q, 'a', n, log));
        e[0].sentOn = 1; e[1].sentOn = 1; // in flight on connection 1
        q.settle(e[1]); // acked out of order
        q.requeueInFlight(); // connection 1 broke
        assert.deepStrictEqual([...q.pending()].map((x) => x.body), ['1', '3', '4']);
        assert.ok([...q.pending()].every((x) => x.sentOn === 0));
        assert.strictEqual(q.settle(e[1]), false, 'second settle is ignored');
        assert.strictEqual(q.size, 3);
        assert.strictEqual(q.countFor('a'), 3);
        assert.deepStrictEqual(log, [[2, 'ok']]);
    });

    it('fails everything at once with the cause', function () {
        const q = new DeliveryQueue();
        const log = [];
        [1, 2].forEach((n) => entry(q, 'a', n, log));
        q.failAll(new Error('certificate rejected'));
        assert.deepStrictEqual(log, [[1, 'certificate rejected'], [2, 'certificate rejected']]);
        assert.strictEqual(q.size, 0);
        assert.deepStrictEqual([...q.pending()], []);
    });

    it('counts per user and drops a closed user\'s waiting entries without calling them', function () {
        const q = new DeliveryQueue();
        const log = [];
        const a1 = entry(q, 'a', 1, log);
        entry(q, 'b', 2, log);
        entry(q, 'a', 3, log);
        a1.sentOn = 7;
        assert.strictEqual(q.countFor('a'), 2);
        assert.strictEqual(q.dropUser('a'), 1, 'only the waiting one');
        assert.strictEqual(q.countFor('a'), 1);
        assert.deepStrictEqual([...q.pending()].map((x) => x.body), ['1', '2']);
        assert.deepStrictEqual(log, []);
    });

    it('stays compact over many entries: settled entries do not pile up in memory', function () {
        const q = new DeliveryQueue();
        const log = [];
        // a steady stream: one new message per acknowledgement, always one in flight
        let oldest = entry(q, 'a', 0, log);
        let largest = 0;
        for (let i = 1; i <= 20000; i++) {
            const next = entry(q, 'a', i, log);
            q.settle(oldest);
            oldest = next;
            largest = Math.max(largest, q.footprint);
        }
        assert.ok(largest < 2100, `backing array grew to ${largest} entries for 1 unsettled`);
        assert.strictEqual(q.size, 1);
        q.settle(oldest);
        assert.strictEqual(q.footprint, 0, 'nothing retained once everything settled');
        assert.strictEqual(log.length, 20001);
    });

    it('logs a sender callback that throws, and goes on delivering the others', function () {
        const thrown = [];
        const q = new DeliveryQueue((e, err) => thrown.push([e.body, err.message]));
        const log = [];
        q.add({ userId: 'a', topic: 't', body: 'bad', qos: 1, callback: () => { throw new Error('boom'); } });
        entry(q, 'a', 2, log);
        q.failAll(new Error('closed'));
        assert.deepStrictEqual(thrown, [['bad', 'boom']]);
        assert.deepStrictEqual(log, [[2, 'closed']]);
    });
});
