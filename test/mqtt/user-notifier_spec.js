'use strict';
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib', 'mqtt');
const { UserNotifier } = require(path.join(lib, 'user-notifier.js'));

describe('connection users', function () {
    it('logs what a user\'s callback throws through that user\'s log, and still tells the others', function () {
        const logged = [];
        const seen = [];
        const users = new UserNotifier(() => ({ phase: 'connected' }));
        users.add('bad', { onState: () => { throw new Error('status broke'); }, onWarning: () => undefined, log: { error: (t) => logged.push(t) } });
        users.add('good', { onState: (s) => seen.push(s.phase), onWarning: () => undefined });
        users.emitState();
        assert.deepStrictEqual(seen, ['connected']);
        assert.strictEqual(logged.length, 1);
        assert.match(logged[0], /status callback threw: Error: status broke/);
        users.logCallbackError('bad', 'delivery', new Error('done broke'));
        assert.match(logged[1], /delivery callback threw: Error: done broke/);
    });

    it('warns once per key, through the first user only', function () {
        const a = [];
        const b = [];
        const users = new UserNotifier(() => ({}));
        users.add('a', { onState: () => undefined, onWarning: (w) => a.push(w.message) });
        users.add('b', { onState: () => undefined, onWarning: (w) => b.push(w.message) });
        users.warnOnce('k', new Error('one'));
        users.warnOnce('k', new Error('again'));
        assert.deepStrictEqual([a, b], [['one'], []]);
    });
});
