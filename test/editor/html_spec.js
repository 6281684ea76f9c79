'use strict';
// Static checks of the editor HTML, read the way the Flow Library scorecard (node-red-dev
// validate) and the Node-RED editor read it. node-red-dev swallows a parse failure and then
// silently judges an empty node set, so a definition it cannot see must fail here instead.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { definitionsInHtml } = require('../support/scorecard');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes);

// The contract (design.md): property names users' exported flows depend on.
const CONTRACT = {
    'tb-x509-config': {
        category: 'config',
        defaults: ['name', 'host', 'port', 'restUrl', 'verifyServer', 'servername', 'caFile', 'certFile', 'keyFile', 'keyStore', 'keepalive', 'identityMode', 'ca', 'maxConnections', 'idleTimeout'],
        credentials: {
            ca: 'text',
            cert: 'text',
            key: 'password',
            passphrase: 'password',
            username: 'text',
            password: 'password',
            apiKey: 'password',
            pkcs12: 'password',
            pkcs12Password: 'password',
        },
    },
    'x509-generate': {
        category: 'ThingsBoard',
        inputs: 1,
        outputs: 1,
        defaults: ['name', 'config', 'keyType', 'rsaBits', 'curve', 'commonName', 'commonNameType', 'days', 'reuse', 'renewBefore', 'includeKey'],
        credentials: {},
    },
    'tb-provision': {
        category: 'ThingsBoard',
        inputs: 1,
        outputs: 1,
        defaults: ['name', 'config', 'method', 'deviceName', 'deviceNameType', 'deviceProfile', 'label', 'ifExists', 'gateway', 'cnPattern', 'allowCreate'],
        credentials: { provisionKey: 'text', provisionSecret: 'password' },
    },
    'tb-x509-ca': {
        category: 'config',
        defaults: ['name', 'keyStore', 'days', 'certFile', 'keyFile'],
        credentials: { cert: 'text', key: 'password', passphrase: 'password' },
    },
    'tb-x509-mqtt-out': {
        category: 'ThingsBoard',
        inputs: 1,
        outputs: 0,
        defaults: ['name', 'config', 'target', 'qos', 'key', 'queueSize'],
        credentials: {},
    },
    'tb-x509-mqtt-in': {
        category: 'ThingsBoard',
        inputs: 0,
        outputs: 1,
        defaults: ['name', 'config', 'mode'],
        credentials: {},
    },
    'tb-x509-mqtt-request': {
        category: 'ThingsBoard',
        inputs: 1,
        outputs: 1,
        defaults: ['name', 'config', 'kind', 'clientKeys', 'sharedKeys', 'client', 'method', 'timeout', 'queueSize'],
        credentials: {},
    },
};

// tb-x509-config has a property "ca" (the tb-x509-ca) and a credential "ca" (the server's chain):
// the editor gives them inputs of their own and copies them in oneditprepare/oneditsave.
const OWN_INPUTS = { 'tb-x509-config': { ca: ['tb-x509-config-ca-node', 'tb-x509-config-ca-pem'] } };

/** What the runtime side declares, captured from the compiled node file with a stand-in RED. */
function runtimeCredentials(type) {
    let credentials;
    const noop = () => {};
    const fakeRed = {
        nodes: { registerType: (t, ctor, opts) => (credentials = (opts && opts.credentials) || {}), createNode: noop, getNode: noop },
        settings: {},
        httpAdmin: { get: noop, post: noop },
        auth: { needsPermission: () => noop },
        log: { info: noop, warn: noop, error: noop, debug: noop, trace: noop },
        events: { on: noop },
        util: {},
        _: (k) => k,
    };
    require(path.join(root, 'dist', 'nodes', type, `${type}.js`))(fakeRed);
    return Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, v.type]));
}

describe('editor HTML', function () {
    for (const type of TYPES) {
        describe(type, function () {
            const file = path.join(root, 'nodes', type, `${type}.html`);
            const html = fs.readFileSync(file, 'utf8');
            const contract = CONTRACT[type];
            const { defs, errors, blocks } = definitionsInHtml(html);
            const def = defs[type];

            it('parses as node-red-dev parses it, with literal category/color/icon/inputs/outputs', function () {
                assert.deepStrictEqual(errors, []);
                assert.deepStrictEqual(Object.keys(defs), [type], 'exactly one registerType, for its own type');
                assert.strictEqual(def.category, contract.category);
                if (contract.category !== 'config') {
                    assert.strictEqual(def.inputs, contract.inputs);
                    assert.strictEqual(def.outputs, contract.outputs);
                    assert.match(def.color, /^#[0-9A-Fa-f]{6}$/);
                    assert.ok(fs.existsSync(path.join(root, 'icons', def.icon)), `icons/${def.icon} exists`);
                }
            });

            it('also parses as a script (no syntax the browser would reject)', function () {
                for (const block of blocks) assert.doesNotThrow(() => new Function(block));
            });

            it('declares every contract property in defaults and credentials', function () {
                assert.deepStrictEqual([...def.defaults].sort(), [...contract.defaults].sort());
                assert.deepStrictEqual([...(def.credentials || [])].sort(), Object.keys(contract.credentials).sort());
            });

            it('declares the same credential types as the runtime node', function () {
                assert.deepStrictEqual(def.credentialTypes || {}, contract.credentials, 'editor');
                assert.deepStrictEqual(runtimeCredentials(type), contract.credentials, 'runtime');
            });

            it('has an edit template for its type and an input for every property', function () {
                const templates = [...html.matchAll(/data-template-name="([^"]+)"/g)].map((m) => m[1]);
                assert.deepStrictEqual(templates, [type]);
                const prefix = contract.category === 'config' ? 'node-config-input-' : 'node-input-';
                const ids = new Set([...html.matchAll(/id="([^"]+)"/g)].map((m) => m[1]));
                const own = OWN_INPUTS[type] || {};
                for (const prop of [...contract.defaults, ...Object.keys(contract.credentials)]) {
                    if (own[prop]) {
                        // Node-RED reads property and credential of one name from one input id: such a
                        // name must have no standard input at all, and its own inputs instead.
                        assert.ok(!ids.has(prefix + prop), `no ${prefix}${prop}: property and credential "${prop}" would share it`);
                        for (const id of own[prop]) assert.ok(ids.has(id), `${id} in the template`);
                        continue;
                    }
                    assert.ok(ids.has(prefix + prop), `${prefix}${prop} in the template`);
                }
            });

            it('loads nothing from outside the editor', function () {
                assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
                assert.doesNotMatch(html, /@import|url\(\s*["']?(https?:)?\/\//i);
            });

            it('is what the build puts next to the compiled node file', function () {
                const js = path.join(root, pkg['node-red'].nodes[type]);
                const built = js.replace(/\.js$/, '.html');
                assert.ok(fs.existsSync(js), `${js} (run the build first)`);
                assert.strictEqual(fs.readFileSync(built, 'utf8'), html);
            });
        });
    }

    it('uses one colour and unique icon files for the family', function () {
        const flowTypes = TYPES.filter((t) => CONTRACT[t].category !== 'config');
        const parsed = flowTypes.map((t) => definitionsInHtml(fs.readFileSync(path.join(root, 'nodes', t, `${t}.html`), 'utf8')).defs[t]);
        assert.strictEqual(new Set(parsed.map((d) => d.color)).size, 1);
        assert.strictEqual(new Set(parsed.map((d) => d.icon)).size, flowTypes.length);
        for (const d of parsed) assert.match(d.icon, /^tb-x509-[a-z-]+\.svg$/, 'prefixed: icon names are global in Node-RED');
    });

    it('ships icons as white-on-transparent SVG, 40x60', function () {
        for (const icon of fs.readdirSync(path.join(root, 'icons'))) {
            const svg = fs.readFileSync(path.join(root, 'icons', icon), 'utf8');
            assert.match(icon, /\.svg$/);
            assert.match(svg, /<svg[^>]*width="40"[^>]*height="60"/, icon);
            const fills = [...svg.matchAll(/fill="([^"]+)"/g)].map((m) => m[1].toLowerCase());
            assert.ok(fills.length > 0, icon);
            for (const fill of fills) assert.ok(['#fff', '#ffffff', 'white'].includes(fill), `${icon}: fill ${fill}`);
            assert.doesNotMatch(svg, /<rect[^>]*width="40"[^>]*height="60"/, `${icon}: no background`);
        }
    });
});
