'use strict';
const assert = require('assert');
const path = require('path');
const lib = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'lib');
const { retryDelay, transientDelay, PERMANENT_RETRY_MS, CONTENDED_RETRY_MS } = require(path.join(lib, 'mqtt', 'reconnect-policy.js'));

const failure = (cls) => ({ class: cls, status: 'mqtt-connection-lost', detail: 'x' });

describe('reconnect policy', function () {
    it('backs off from 1 s doubling to 30 s with jitter', function () {
        assert.deepStrictEqual([0, 1, 2, 5, 9].map((n) => transientDelay(n, () => 0.5)), [1000, 2000, 4000, 30000, 30000]);
        assert.strictEqual(transientDelay(0, () => 0), 800);
        assert.strictEqual(transientDelay(0, () => 1), 1200);
    });

    it('waits by failure class: transient backs off, permanent a minute, a takeover half a minute', function () {
        const half = () => 0.5;
        assert.strictEqual(retryDelay({ failure: failure('transient'), transientAttempts: 3, retryRequested: false, random: half }), 8000);
        assert.strictEqual(retryDelay({ failure: failure('permanent'), transientAttempts: 3, retryRequested: false }), 60000);
        assert.strictEqual(retryDelay({ failure: failure('contended'), transientAttempts: 0, retryRequested: false }), 30000);
        assert.strictEqual(PERMANENT_RETRY_MS, 60000);
        assert.strictEqual(CONTENDED_RETRY_MS, 30000);
    });

    it('retries at once when a retry was asked for during the attempt, whatever the class', function () {
        for (const cls of ['transient', 'permanent', 'contended']) {
            assert.strictEqual(retryDelay({ failure: failure(cls), transientAttempts: 4, retryRequested: true }), 0, cls);
        }
    });
});
