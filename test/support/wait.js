'use strict';
// Waiting in tests for something another process or the runtime does, without fixed sleeps.

/**
 * Polls `predicate` every `pollMs` until it returns something truthy and resolves with that
 * value; rejects with "timed out waiting" once more than `timeoutMs` have passed.
 */
function pollUntil(predicate, timeoutMs, pollMs = 20) {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const poll = () => {
            const value = predicate();
            if (value) return resolve(value);
            if (Date.now() - start > timeoutMs) return reject(new Error('timed out waiting'));
            setTimeout(poll, pollMs);
        };
        poll();
    });
}

module.exports = { pollUntil };
