'use strict';
// The ThingsBoard releases a suite runs against (tools/tbsim/release.ts): every one of them for the
// paths users depend on (onboarding, streaming), the newest alone for the rest.
const path = require('path');
const { TESTED_RELEASES, NEWEST_RELEASE } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'release.js'));

/** describe(`${title} — ThingsBoard <v>`, body(v)) once per tested release. */
function forEachRelease(title, body) {
    for (const version of TESTED_RELEASES) {
        describe(`${title} — ThingsBoard ${version}`, function () {
            body.call(this, version);
        });
    }
}

module.exports = { TESTED_RELEASES, NEWEST_RELEASE, forEachRelease };
