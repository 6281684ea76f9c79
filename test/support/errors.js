'use strict';
// Judging the CodedErrors of nodes/lib: by code, parameters and the phrase that matters to the
// user, never by a whole English sentence (the exact wording is checked once, in
// test/editor/catalogs_spec.js, against the catalog users see).
const assert = require('assert');

/**
 * A validator for assert.throws / assert.rejects: `err.code` is `code`, each of `params` is in
 * `err.params` with that value, every phrase (text or RegExp) is in `err.message`, and no
 * `__placeholder__` was left unfilled.
 *
 *   assert.throws(() => encode(x), coded('PAYLOAD_TOO_LARGE', { size: 65537 }, 'bytes on the wire'));
 */
function coded(code, params = {}, ...phrases) {
    return (err) => {
        assert.strictEqual(err && err.code, code, `error code (message: ${err && err.message})`);
        for (const [name, value] of Object.entries(params)) {
            assert.ok(err.params && Object.prototype.hasOwnProperty.call(err.params, name), `${code} has parameter ${name}`);
            assert.deepStrictEqual(err.params[name], value, `${code} parameter ${name}`);
        }
        for (const phrase of phrases) {
            if (phrase instanceof RegExp) assert.match(err.message, phrase);
            else assert.ok(err.message.includes(phrase), `${code} message ${JSON.stringify(err.message)} says ${JSON.stringify(phrase)}`);
        }
        assert.doesNotMatch(err.message, /__\w+__/, `${code} message has no unfilled placeholder`);
        return true;
    };
}

/** The error `fn` throws (a test that expects one fails when nothing is thrown). */
function thrownBy(fn) {
    try {
        fn();
    } catch (err) {
        return err;
    }
    throw new assert.AssertionError({ message: 'expected an error, nothing was thrown' });
}

module.exports = { coded, thrownBy };
