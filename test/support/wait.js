'use strict';
// Waiting in tests for something another process or the runtime does, without fixed sleeps.

/**
 * Polls `predicate` (it may return a promise) until it yields something truthy and resolves
 * with that value. Rejects when the predicate throws, or once more than `timeoutMs` have passed:
 * "timed out waiting for <what>", followed by `context()` (what was seen instead) when given.
 * `options` is the poll interval in ms, or { pollMs, what, context }.
 */
function pollUntil(predicate, timeoutMs = 10000, options = {}) {
    const { pollMs = 20, what = 'condition', context } = typeof options === 'number' ? { pollMs: options } : options;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
        const poll = async () => {
            let value;
            try {
                value = await predicate();
            } catch (err) {
                return reject(err);
            }
            if (value) return resolve(value);
            if (Date.now() > deadline) {
                return reject(new Error(`timed out waiting for ${what}${context ? `\n${context()}` : ''}`));
            }
            setTimeout(poll, pollMs);
        };
        void poll();
    });
}

module.exports = { pollUntil };
