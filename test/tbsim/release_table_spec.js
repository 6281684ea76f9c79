'use strict';
// The release table of tools/tbsim/release.ts at its edges, including the patch releases a feature was
// backported to. Each expectation comes from the source at those tags (git show <tag>:<file>), see the comments.
const assert = require('assert');
const path = require('path');
const { Release, NEWEST_RELEASE } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'release.js'));

// [feature, releases without it, releases with it]
const EDGES = [
    // DeviceController @GetMapping("/tenant/device") first in v4.3.1.2
    ['tenantDeviceByNamePath', ['4.2.2.3', '4.3', '4.3.1.1'], ['4.3.1.2', '4.3.1.3', '4.4']],
    // ApiKeyTokenAuthenticationProcessingFilter first in v4.3; no 4.2.x patch has it
    ['apiKeys', ['3.6.4', '4.2.1', '4.2.2.3'], ['4.3', '4.3.1.3']],
    // ThingsboardErrorCode.ENTITIES_LIMIT_EXCEEDED first in v4.3
    ['entityLimit403', ['4.2.2.3'], ['4.3', '4.3.0.1']],
    // DeviceCredentialsServiceImpl.isCredentialsChanged: v4.2.1.1 and v4.3 on, not v4.2.1
    ['credentialsKickOnlyWhenChanged', ['3.6.4', '4.1', '4.2', '4.2.1'], ['4.2.1.1', '4.2.2', '4.2.2.3', '4.3', '4.3.1.1']],
    // DeviceCredentialsDataValidator.rejectControlChars: only v4.2.2.3 and v4.3.1.3 among the tags
    ['credentialsControlCharCheck', ['4.2.1', '4.2.2.2', '4.3', '4.3.1.1', '4.3.1.2'], ['4.2.2.3', '4.3.1.3', '4.4']],
    // Device / DeviceCredentials implements HasVersion, ThingsboardErrorCode.VERSION_CONFLICT: v3.8 on
    ['entityVersions', ['3.6.4', '3.7'], ['3.8', '4.2.1']],
    // JwtPair @JsonInclude(NON_NULL): v3.7 on
    ['jwtPairOmitsNulls', ['3.5', '3.6.4'], ['3.7', '4.2.1']],
    // DeviceServiceImpl.saveDevice(ProvisionRequest…) reads getGateway(): v3.8 on
    ['provisionGatewayFlag', ['3.6.4', '3.7'], ['3.8', '3.8.1']],
];

describe('tbsim release table', function () {
    for (const [feature, without, withIt] of EDGES) {
        it(`${feature}: not in ${without.join(', ')}; in ${withIt.join(', ')}`, function () {
            for (const v of without) assert.strictEqual(new Release(v).has(feature), false, `${v} should not have ${feature}`);
            for (const v of withIt) assert.strictEqual(new Release(v).has(feature), true, `${v} should have ${feature}`);
        });
    }

    it('defaults to the newest release and accepts a leading v', function () {
        assert.strictEqual(new Release().version, NEWEST_RELEASE);
        assert.strictEqual(new Release('v4.2.1').version, '4.2.1');
    });

    it('refuses what is no release, and releases before 3.5, with the value in the message', function () {
        assert.throws(() => new Release('latest'), /tbVersion "latest" is not a ThingsBoard release/);
        assert.throws(() => new Release('3.4.4'), /tbVersion 3\.4\.4: tbsim models ThingsBoard 3\.5 and later/);
    });
});
