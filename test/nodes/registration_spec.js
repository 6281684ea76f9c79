'use strict';
const assert = require('assert');
const { helper, allNodes } = require('../support/node-red');

describe('node registration', function () {
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(() => helper.unload());

    it('deploys a tb-x509-config and keeps its settings typed', async function () {
        await helper.load(allNodes, [
            { id: 'cfg', type: 'tb-x509-config', host: 'localhost', port: '18883', keepalive: '30' },
        ]);
        const cfg = helper.getNode('cfg');
        assert.strictEqual(cfg.runtime.settings.port, 18883);
        assert.strictEqual(cfg.runtime.settings.keepalive, 30);
        assert.strictEqual(cfg.runtime.settings.verifyServer, true);
    });
});
