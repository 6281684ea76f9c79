'use strict';
// Message catalogs and help, as the runtime serves them: the en-US catalog of tb-x509-config
// is completed by the build with every runtime error and status text, so these checks read
// the built dist/ catalogs. A key en-US has and another language lacks would show users the
// raw key (or English in the middle of German); a data-i18n key without an entry shows the key.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes);
const LANGS = fs.readdirSync(path.join(root, 'locales')).filter((l) => l !== 'en-US');
const CORE_LOCALES = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'locales');

function builtCatalog(type, lang) {
    const file = path.join(root, 'dist', 'nodes', type, 'locales', lang, `${type}.json`);
    assert.ok(fs.existsSync(file), `${file} (run the build first)`);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** { 'a.b.c': 'text' } from nested objects. */
function flatten(obj, prefix = '', out = {}) {
    for (const [key, value] of Object.entries(obj)) {
        const full = prefix ? `${prefix}.${key}` : key;
        if (value !== null && typeof value === 'object') flatten(value, full, out);
        else out[full] = value;
    }
    return out;
}

const placeholders = (text) => [...String(text).matchAll(/__([A-Za-z0-9]+)__/g)].map((m) => m[1]).sort();

function lookup(catalog, key) {
    return key.split('.').reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), catalog);
}

/** Every catalog key an editor file asks for: data-i18n attributes and literal _()/RED._() keys. */
function editorKeys(type, html) {
    const keys = [];
    for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
        for (const part of m[1].split(';')) keys.push(part.replace(/^\[[^\]]+\]/, ''));
    }
    for (const m of html.matchAll(/\b_\('([^']+)'/g)) keys.push(m[1]);
    // Validators explain themselves with errors.<key> of the node's own catalog.
    for (const m of html.matchAll(/invalid\(opt, '([^']+)'\)/g)) keys.push(`${type}.errors.${m[1]}`);
    for (const m of html.matchAll(/wholeNumber\w*\([^)]*'([^']+)'\)/g)) keys.push(`${type}.errors.${m[1]}`);
    // Secret-field states of the config dialog: show('<state>') and the initial state expression.
    for (const m of html.matchAll(/show\('([^']+)'/g)) keys.push(`${type}.secret.${m[1]}`);
    const initial = /var initialState = ([^;]+);/.exec(html);
    if (initial) for (const m of initial[1].matchAll(/'(\w+)'/g)) keys.push(`${type}.secret.${m[1]}`);
    return [...new Set(keys)].filter((k) => k !== '');
}

describe('catalogs and help', function () {
    for (const type of TYPES) {
        describe(type, function () {
            const en = builtCatalog(type, 'en-US');
            const enFlat = flatten(en);

            it('has an en-US source catalog with the editor strings under its type', function () {
                const source = JSON.parse(fs.readFileSync(path.join(root, 'locales', 'en-US', `${type}.json`), 'utf8'));
                assert.ok(source[type] && typeof source[type] === 'object');
                assert.ok(typeof source[type].paletteLabel === 'string');
            });

            for (const lang of LANGS) {
                it(`${lang} has every key en-US has, with the same placeholders`, function () {
                    const other = flatten(builtCatalog(type, lang));
                    const missing = Object.keys(enFlat).filter((k) => typeof other[k] !== 'string' || other[k] === '');
                    assert.deepStrictEqual(missing, [], `${lang}/${type}.json lacks keys`);
                    const extra = Object.keys(other).filter((k) => !(k in enFlat));
                    assert.deepStrictEqual(extra, [], `${lang}/${type}.json has keys en-US does not`);
                    const wrong = Object.keys(enFlat).filter((k) => placeholders(enFlat[k]).join() !== placeholders(other[k]).join());
                    assert.deepStrictEqual(wrong, [], `${lang}/${type}.json placeholders differ`);
                });
            }

            it('resolves every catalog key the editor HTML uses, in every language', function () {
                const html = fs.readFileSync(path.join(root, 'nodes', type, `${type}.html`), 'utf8');
                const keys = editorKeys(type, html);
                assert.ok(keys.length > 5, 'the editor uses its catalog');
                for (const lang of ['en-US', ...LANGS]) {
                    const own = builtCatalog(type, lang);
                    const core = JSON.parse(fs.readFileSync(path.join(CORE_LOCALES, lang, 'messages.json'), 'utf8'));
                    const unresolved = keys.filter((key) => {
                        if (key.startsWith('node-red:')) return typeof lookup(core, key.slice('node-red:'.length)) !== 'string';
                        assert.ok(!key.includes(':'), `unexpected namespace in ${key}`);
                        // '<type>.target.' + value: a key built at run time; its section must exist
                        // (the option values themselves are checked through their data-i18n).
                        if (key.endsWith('.')) return typeof lookup(own, key.slice(0, -1)) !== 'object';
                        return typeof lookup(own, key) !== 'string';
                    });
                    assert.deepStrictEqual(unresolved, [], `${lang}: keys without an entry`);
                }
            });

            for (const lang of ['en-US', ...LANGS]) {
                it(`${lang} help: data-help-name, Details/References sections, message properties`, function () {
                    const file = path.join(root, 'locales', lang, `${type}.html`);
                    assert.ok(fs.existsSync(file), file);
                    const help = fs.readFileSync(file, 'utf8');
                    assert.deepStrictEqual([...help.matchAll(/data-help-name="([^"]+)"/g)].map((m) => m[1]), [type]);
                    // The first paragraph is the palette tooltip.
                    const intro = /^<script type="text\/html" data-help-name="[^"]+">\s*<p>([\s\S]*?)<\/p>/.exec(help);
                    assert.ok(intro && intro[1].replace(/<[^>]+>/g, '').trim().length >= 20, 'starts with an introductory <p>');
                    assert.match(help, /<dl class="message-properties">/);
                    const enHelp = fs.readFileSync(path.join(root, 'locales', 'en-US', `${type}.html`), 'utf8');
                    const sections = (h) => [...h.matchAll(/<h3>/g)].length;
                    assert.strictEqual(sections(help), sections(enHelp), 'same sections as en-US');
                    // Names, topics and values (code without spaces) stay the same in every language.
                    const codes = (h) => [...h.matchAll(/<code>([^<\s]+)<\/code>/g)].map((m) => m[1]).sort();
                    assert.deepStrictEqual(codes(help), codes(enHelp), 'same msg properties, topics and values as en-US');
                    assert.doesNotMatch(help, /\bsrc\s*=/i, 'help loads no images or scripts');
                });
            }
        });
    }

    it('en-US tb-x509-config carries exactly the runtime error and status texts of the area tables', function () {
        const en = builtCatalog('tb-x509-config', 'en-US');
        const source = JSON.parse(fs.readFileSync(path.join(root, 'locales', 'en-US', 'tb-x509-config.json'), 'utf8'));
        const lib = path.join(root, 'dist', 'nodes', 'lib');
        const areas = ['pki', 'thingsboard', 'mqtt'].map((area) => require(path.join(lib, area, 'messages.js')));
        for (const table of ['ERRORS', 'STATUS']) {
            const expected = {};
            for (const area of areas) {
                for (const [key, text] of Object.entries(area[table])) {
                    assert.ok(!(key in expected), `${table}.${key} is defined in one area only`);
                    expected[key] = text;
                }
            }
            const section = table === 'ERRORS' ? 'errors' : 'status';
            // the source catalog may add editor-side entries, never a second text for a runtime key
            const editorOnly = source[section] || {};
            for (const key of Object.keys(editorOnly)) assert.ok(!(key in expected), `${section}.${key} is not also a runtime text`);
            assert.deepStrictEqual(en[section], { ...expected, ...editorOnly });
        }
    });

    it('names error codes and status keys in one style each: ERROR_CODE, area-status-key', function () {
        const lib = path.join(root, 'dist', 'nodes', 'lib');
        for (const area of ['pki', 'thingsboard', 'mqtt']) {
            const { ERRORS, STATUS } = require(path.join(lib, area, 'messages.js'));
            const badCodes = Object.keys(ERRORS).filter((code) => !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(code));
            assert.deepStrictEqual(badCodes, [], `${area} error codes in UPPER_SNAKE_CASE`);
            // kebab-case, led by the area's word (generate-…, provision-…, mqtt-…)
            const prefixes = new Set(Object.keys(STATUS).map((key) => key.split('-')[0]));
            const badKeys = Object.keys(STATUS).filter((key) => !/^[a-z0-9]+(-[a-z0-9]+)+$/.test(key));
            assert.deepStrictEqual(badKeys, [], `${area} status keys in kebab-case`);
            assert.strictEqual(prefixes.size, 1, `${area} status keys share one prefix: ${[...prefixes].join(', ')}`);
        }
    });

    // The one place that pins whole English sentences: the other specs assert a refusal's code,
    // parameters and key phrase, and rely on these for the wording users read.
    describe('exact en-US wording of the runtime texts users see most', function () {
        const en = builtCatalog('tb-x509-config', 'en-US');
        const render = (key, params) => en.errors[key].replace(/__(\w+)__/g, (whole, name) => (name in params ? String(params[name]) : whole));
        const sentences = [
            ['TIMESTAMP_INVALID', { actual: 'a string' }, 'msg.timestamp must be milliseconds since 1970 (a number) or a Date, but it is a string.'],
            ['TIMESTAMP_NOT_SUPPORTED', { topic: 'v1/devices/me/attributes' },
                'msg.timestamp is set, but ThingsBoard takes no timestamp on v1/devices/me/attributes. Remove msg.timestamp, or use target telemetry.'],
            ['TIMESTAMP_WITH_ARRAY', {},
                'msg.timestamp is set but msg.payload is an array: one timestamp applies to one object. Send an object, or put "ts" into each entry ({"ts": …, "values": {…}}) and remove msg.timestamp.'],
            ['PAYLOAD_MISSING', {}, 'msg.payload is empty: nothing to publish. Send an object such as {"temperature": 25}.'],
            ['PAYLOAD_BARE_VALUE', { type: 'number' },
                'msg.payload is a bare number, but ThingsBoard needs an object such as {"temperature": 25}. Set the node\'s Key property to publish it as {"<key>": value}.'],
            ['PAYLOAD_WRONG_TYPE', { what: 'Telemetry', expected: 'an object or an array of objects', actual: 'a number' },
                'Telemetry needs an object or an array of objects, but msg.payload is a number.'],
            ['PAYLOAD_WRONG_TYPE', { what: 'Attributes', expected: 'one object such as {"firmware": "1.2"}', actual: 'an array' },
                'Attributes needs one object such as {"firmware": "1.2"}, but msg.payload is an array.'],
            ['GATEWAY_TELEMETRY_SHAPE', { problem: 'the value for "Dev A" is an object, not a non-empty array of objects' },
                'Gateway telemetry needs device names mapped to arrays, e.g. {"Device A": [{"temperature": 25}]}, but the value for "Dev A" is an object, not a non-empty array of objects.'],
            ['PAYLOAD_TOO_LARGE', { size: 65537, limit: 65536 },
                'The message would be 65537 bytes on the wire (topic and MQTT header included), more than the 65536 bytes ThingsBoard accepts in one message (it would close the connection). Split the payload into smaller messages.'],
            ['COMMON_NAME_EMPTY', {}, "The common name is empty: set the node's Common name (by default msg.deviceName) to the device name."],
            ['COMMON_NAME_NOT_TEXT', { actual: 'an object' },
                "The common name is an object, not text: set the node's Common name (by default msg.deviceName) to the device name."],
            ['COMMON_NAME_TOO_LONG', { commonName: 'x'.repeat(65), length: 65 }, `The common name "${'x'.repeat(65)}" is 65 characters long; X.509 allows at most 64.`],
            ['INSTALL_REFUSED', { config: 'Line 3', kind: 'inline' },
                'Config "Line 3" has its own inline identity, so a generated identity cannot be installed in it. Clear the config\'s certificate and key (credentials and file paths) or use x509-generate without this config.'],
            ['CERT_NOT_PEM', { source: 'the "cert" credential of config "Plant A"' },
                'No certificate found in the "cert" credential of config "Plant A": expected PEM text with a "-----BEGIN CERTIFICATE-----" block. Paste the certificate (not the key or a CSR) in PEM form.'],
            ['DAYS_INVALID', { days: '0' }, 'Validity "0" is not a whole number of days from 1 to 36500.'],
            ['KEY_TYPE_UNKNOWN', { keyType: 'dsa' }, 'Key type "dsa" is not supported: use "ec" or "rsa".'],
            ['CURVE_UNSUPPORTED', { curve: 'P-521' }, 'EC curve "P-521" is not supported: use P-256 or P-384.'],
            ['RSA_BITS_UNSUPPORTED', { bits: '1024' }, 'RSA key size "1024" is not supported: use 2048, 3072 or 4096.'],
            ['TOPIC_NOT_SERVED', { topic: 'sensors/t' },
                'ThingsBoard does not serve the topic "sensors/t" for devices: it would acknowledge the message and drop it. Use a ThingsBoard topic such as v1/devices/me/telemetry, v1/devices/me/attributes, v1/devices/me/rpc/response/<id> or v1/gateway/telemetry.'],
            ['TOPIC_PROTOBUF', { topic: 'v2/t/p', alternative: 'v2/t/j' }, 'Topic "v2/t/p" expects protobuf, but this node publishes JSON. Use v2/t/j instead.'],
            ['MQTT_CERT_REJECTED', { server: 'tb.example:8883', config: 'Plant A', commonName: 'dev-1', detail: 'CONNACK 0x87 Not authorized' },
                'tb.example:8883 refused the device certificate of config "Plant A" (CN "dev-1"; CONNACK 0x87 Not authorized). Register the certificate as the device\'s X.509 credentials (tb-provision, or Device → Manage credentials in ThingsBoard), and check that it has not expired.'],
        ];
        for (const [key, params, sentence] of sentences) {
            it(`${key} ${JSON.stringify(params)}`, function () {
                assert.strictEqual(render(key, params), sentence);
            });
        }

        // tb-provision's refusals, one per cause: a flow's Catch node and the debug sidebar show these.
        const refusals = [
            ['TB_NO_CONFIG', {}, 'tb-provision has no tb-x509-config, or its config node is not deployed: choose a config node and deploy.'],
            ['TB_REST_URL_MISSING', { config: 'plant' },
                'tb-x509-config "plant" has no REST URL: set it (e.g. https://thingsboard.cloud) to provision devices with method rest.'],
            ['TB_NO_ACCOUNT', { config: 'plant' },
                'tb-x509-config "plant" has no ThingsBoard account: enter a tenant username and password, or an API key, to provision devices over REST.'],
            ['TB_LOGIN_REJECTED', { username: 'tenant@example.com', config: 'plant', reason: 'Invalid username or password' },
                'ThingsBoard rejected the login for tenant@example.com (Invalid username or password): check the username and password in tb-x509-config "plant".'],
            ['TB_API_KEY_REJECTED', { config: 'plant', reason: 'Invalid username or password' },
                'ThingsBoard rejected the API key of tb-x509-config "plant" (Invalid username or password): check that the key exists, is enabled and has not expired.'],
            ['TB_LOGIN_TWO_FACTOR', { username: 'tenant@example.com', config: 'plant' },
                'The ThingsBoard account tenant@example.com of tb-x509-config "plant" has two-factor authentication, which a flow cannot complete (ThingsBoard would refuse every call with 403): use an API key (ThingsBoard 4.3 or later) or a tenant administrator account without two-factor authentication.'],
            ['TB_API_KEY_UNSUPPORTED', { address: 'tb.example.com:443', config: 'plant' },
                'ThingsBoard at tb.example.com:443 does not accept API keys: they need ThingsBoard 4.3 or later. Clear the API key of tb-x509-config "plant" and enter the username and password of a tenant administrator, or upgrade ThingsBoard.'],
            ['TB_PERMISSION_DENIED', { operation: 'GET /api/tenant/devices', config: 'plant', reason: "You don't have permission to perform this operation!" },
                'ThingsBoard denied GET /api/tenant/devices (HTTP 403: You don\'t have permission to perform this operation!): the account of tb-x509-config "plant" is not a tenant administrator. Provisioning needs a tenant administrator account (or its API key).'],
            ['TB_SUBSCRIPTION_VIOLATION', { operation: 'POST /api/device-with-credentials', config: 'plant', reason: 'Subscription is not active' },
                'ThingsBoard refused POST /api/device-with-credentials because of the subscription of the tenant (HTTP 403: Subscription is not active): the plan of the account in tb-x509-config "plant" does not allow it; check or upgrade the plan.'],
            ['TB_DEVICE_LIMIT_REACHED', { device: 'pump-7', reason: 'Devices limit reached' },
                'ThingsBoard did not create device "pump-7": the device limit of this ThingsBoard plan is reached (Devices limit reached). Delete devices that are no longer needed, or raise the limit (the plan on ThingsBoard Cloud, the tenant profile on your own server).'],
            ['TB_RATE_LIMITED', { operation: 'GET /api/tenant/devices', attempts: 4, reason: 'Too many requests for current tenant!' },
                'ThingsBoard still answered "too many requests" (HTTP 429: Too many requests for current tenant!) to GET /api/tenant/devices after 4 attempts: slow the flow down or try again later.'],
            ['TB_CONNECTION_REFUSED', { address: '127.0.0.1:8443', config: 'plant' },
                'Cannot reach ThingsBoard at 127.0.0.1:8443: the connection was refused (nothing listens there). Check the address in tb-x509-config "plant" and that the server is running.'],
            ['TB_HOST_NOT_FOUND', { address: 'no-such-host.invalid:8443', config: 'plant' },
                'Cannot reach ThingsBoard at no-such-host.invalid:8443: the host name was not found. Check the address in tb-x509-config "plant".'],
            ['TB_SERVER_CERT_UNTRUSTED', { address: 'tb.example.com:443', config: 'plant', reason: 'self-signed certificate in certificate chain' },
                'The certificate of ThingsBoard at tb.example.com:443 is not trusted (self-signed certificate in certificate chain): put the server\'s CA chain into the CA of tb-x509-config "plant".'],
            ['TB_SERVER_CERT_NAME_MISMATCH', { address: '127.0.0.1:8443', config: 'plant', reason: 'Host: not-the-server.example. is not in the cert\'s altnames' },
                'The certificate of ThingsBoard at 127.0.0.1:8443 was not issued for that host name (Host: not-the-server.example. is not in the cert\'s altnames): use the host name in the certificate, or set the server name in tb-x509-config "plant".'],
            ['TB_NO_CERTIFICATE', { config: 'plant' },
                'No certificate to provision: put one in msg.payload.certificate or msg.certificate, or give tb-x509-config "plant" an identity (certificate and key, or run x509-generate with it).'],
            ['TB_CERT_INVALID', { source: 'msg.certificate', reason: 'it is object, not PEM text' },
                'The certificate in msg.certificate is not a usable PEM certificate (it is object, not PEM text); nothing was sent to ThingsBoard.'],
            ['TB_CERT_ASSIGNED_ELSEWHERE', { device: 'rest-second' },
                'ThingsBoard did not register the certificate for device "rest-second": it is already assigned to another device. Every device needs its own certificate: generate a new one for "rest-second".'],
            ['TB_DEVICE_PROFILE_UNKNOWN', { profile: 'no-such-profile', device: 'pump-7' },
                'Device profile "no-such-profile" does not exist in ThingsBoard, so device "pump-7" was not created: create the profile first or correct the device profile of tb-provision.'],
            ['TB_DEVICE_EXISTS', { device: 'pump-7' },
                'Device "pump-7" already exists in ThingsBoard and tb-provision is set to fail when the device exists: nothing was changed.'],
            ['TB_PROVISION_SECRET_MISSING', {},
                'Method device-api needs the provision key and provision secret of a ThingsBoard device profile: enter both in tb-provision.'],
            ['TB_PROVISION_NOT_FOUND', { reason: 'Provision data was not found!' },
                'ThingsBoard found no device profile for the provision key and secret of tb-provision (NOT_FOUND: Provision data was not found!): check both, and that provisioning is enabled in that profile.'],
            ['TB_PROVISION_FAILURE', { device: 'pump-7', reason: 'Failed to provision device!' },
                'ThingsBoard refused to provision "pump-7" (FAILURE: Failed to provision device!): the device may already exist or the certificate may be in use by another device.'],
        ];
        for (const [key, params, sentence] of refusals) {
            it(`${key} ${JSON.stringify(params)}`, function () {
                assert.strictEqual(render(key, params), sentence);
            });
        }
    });

    // The short status under tb-provision after a refusal (the refusal's text is in the debug sidebar).
    describe('the status tb-provision shows for a refusal', function () {
        const en = builtCatalog('tb-x509-config', 'en-US');
        const { provisionStatusFor } = require(path.join(root, 'dist', 'nodes', 'lib', 'thingsboard', 'messages.js'));
        const statuses = [
            ['TB_LOGIN_REJECTED', 'login rejected'],
            ['TB_API_KEY_REJECTED', 'login rejected'],
            ['TB_LOGIN_TWO_FACTOR', 'two-factor login'],
            ['TB_API_KEY_UNSUPPORTED', 'API key needs 4.3'],
            ['TB_PERMISSION_DENIED', 'permission denied'],
            ['TB_SUBSCRIPTION_VIOLATION', 'plan limit'],
            ['TB_DEVICE_LIMIT_REACHED', 'device limit reached'],
            ['TB_RATE_LIMITED', 'rate limited'],
            ['TB_CERT_ASSIGNED_ELSEWHERE', 'certificate in use'],
            ['TB_DEVICE_PROFILE_UNKNOWN', 'unknown profile'],
            // a pki certificate error (CERT_*) is a bad certificate too
            ['CERT_NOT_PEM', 'invalid certificate'],
        ];
        for (const [code, text] of statuses) {
            it(`${code}: "${text}"`, function () {
                assert.strictEqual(en.status[provisionStatusFor(code)], text);
            });
        }
    });
});
