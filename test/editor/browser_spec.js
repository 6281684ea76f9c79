'use strict';
// The editor as users meet it: a real Node-RED (test/support/nr-server.js) loading this package
// from <userDir>/node_modules, driven in headless Debian chromium. Screenshots of every dialog go
// to test-artifacts/screenshots/ for a human look.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { startNodeRed, repoRoot, packageName } = require('../support/nr-server');

const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
];
const SCREENSHOTS = path.join(repoRoot, 'test-artifacts', 'screenshots');
const FLOW_TYPES = ['x509-generate', 'tb-provision', 'tb-x509-mqtt-out', 'tb-x509-mqtt-in', 'tb-x509-mqtt-request'];

describe('editor in a browser', function () {
    this.timeout(120000);
    let nr;
    let browser;

    before(async function () {
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        nr = await startNodeRed();
        browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    });
    after(async function () {
        if (browser) await browser.close();
        if (nr) await nr.stop();
    });

    /**
     * Opens the editor in a fresh context. Every request that leaves 127.0.0.1 is recorded and
     * aborted; console errors and uncaught page errors are recorded too.
     */
    async function openEditor(locale = 'en-US', colorScheme = 'light') {
        const context = await browser.newContext({ locale, colorScheme, viewport: { width: 1400, height: 900 } });
        // Node-RED 5 keeps the theme choice (light/dark/auto) in localStorage; 'auto' follows the browser.
        if (colorScheme === 'dark') await context.addInitScript(() => localStorage.setItem('view-dark-theme', 'auto'));
        const external = [];
        const errors = [];
        await context.route('**/*', (route) => {
            const url = new URL(route.request().url());
            if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
            external.push(url.href);
            return route.abort();
        });
        const page = await context.newPage();
        page.on('console', (m) => {
            if (m.type() === 'error') errors.push(`console: ${m.text()}`);
        });
        page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
        await page.goto(nr.url);
        await page.waitForFunction(
            (types) =>
                window.RED &&
                RED.nodes &&
                types.every((t) => RED.nodes.getType(t)) &&
                document.querySelector('.red-ui-palette-node[data-palette-type="tb-x509-mqtt-out"]') &&
                RED.workspaces.active(),
            FLOW_TYPES,
        );
        return { context, page, external, errors };
    }

    async function shot(page, name, locator) {
        await page.mouse.move(1, 1); // no hover tooltip over the picture
        await page.waitForTimeout(700); // let the tray slide-in animation finish before the picture
        const file = path.join(SCREENSHOTS, `${name}.png`);
        if (locator) await locator.screenshot({ path: file });
        else await page.screenshot({ path: file });
    }

    /** Drags a node of `type` from the palette onto the current tab and opens its edit dialog. */
    let dropY = 120;
    async function editNewNode(page, type) {
        const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
        dropY += 60;
        await page.dragAndDrop(`.red-ui-palette-node[data-palette-type="${type}"]`, '#red-ui-workspace-chart', {
            targetPosition: { x: 320, y: dropY },
        });
        const id = await page.evaluate(
            ({ type, before }) => {
                const node = RED.nodes.filterNodes({ type }).find((n) => !before.includes(n.id));
                RED.editor.edit(node);
                return node.id;
            },
            { type, before },
        );
        await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
        return id;
    }

    async function closeDialog(page, button = '#node-dialog-cancel') {
        await page.click(button);
        await page.waitForSelector(button, { state: 'detached' });
    }

    const visible = (page, selector) => page.locator(selector).first().isVisible();
    const hasError = (page, selector) => page.$eval(selector, (el) => el.classList.contains('input-error'));

    async function setValue(page, selector, value) {
        await page.fill(selector, value);
        await page.press(selector, 'End'); // keyup: the editor validates on change/keyup/paste
    }

    /** Hovers over a field and waits until its validation tooltip shows the explanation. */
    async function expectTooltip(page, selector, expected) {
        await page.mouse.move(0, 0);
        await page.hover(selector);
        await page.locator('.red-ui-popover', { hasText: expected }).first().waitFor({ state: 'visible', timeout: 5000 });
    }

    it('lists the three flow nodes in the palette under ThingsBoard, without errors or internet requests', async function () {
        const { context, page, external, errors } = await openEditor();
        try {
            const entries = await page.evaluate((types) => {
                return types.map((t) => {
                    const el = document.querySelector(`.red-ui-palette-node[data-palette-type="${t}"]`);
                    const category = el.closest('.red-ui-palette-category');
                    return {
                        type: t,
                        label: el.querySelector('.red-ui-palette-label').textContent.trim(),
                        category: category.querySelector('.red-ui-palette-header').textContent.trim(),
                        icon: getComputedStyle(el.querySelector('.red-ui-palette-icon')).backgroundImage,
                    };
                });
            }, FLOW_TYPES);
            for (const entry of entries) {
                assert.strictEqual(entry.category, 'ThingsBoard', `${entry.type} category`);
                assert.notStrictEqual(entry.label, entry.type, `${entry.type} has a palette label from the catalog`);
                assert.match(entry.icon, /icons\/node-red-contrib-thingsboard-x509\/tb-x509-[a-z]+\.svg/, entry.type);
            }
            // The config node is not in the palette, only in the config sidebar.
            assert.strictEqual(await page.$('.red-ui-palette-node[data-palette-type="tb-x509-config"]'), null);
            // Icons actually load (a 404 would leave the palette showing a blank square).
            const iconStatus = await page.evaluate(async () => {
                const urls = ['tb-x509-certificate.svg', 'tb-x509-provision.svg', 'tb-x509-publish.svg'].map(
                    (f) => `icons/node-red-contrib-thingsboard-x509/${f}`,
                );
                return Promise.all(urls.map((u) => fetch(u).then((r) => r.status)));
            });
            assert.deepStrictEqual(iconStatus, [200, 200, 200]);
            await shot(page, 'palette', page.locator('#red-ui-palette-ThingsBoard'));
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, [], 'the editor must load nothing from the internet');
        } finally {
            await context.close();
        }
    });

    it('x509-generate: dialog opens, shows curve or RSA size by key type, marks days 0 invalid', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            await editNewNode(page, 'x509-generate');
            assert.strictEqual(await page.inputValue('#node-input-keyType'), 'ec');
            assert.strictEqual(await visible(page, '#node-input-curve'), true);
            assert.strictEqual(await visible(page, '#node-input-rsaBits'), false);
            assert.strictEqual(await page.inputValue('#node-input-commonNameType'), 'msg');
            assert.strictEqual(await page.inputValue('#node-input-commonName'), 'deviceName');
            assert.strictEqual(await visible(page, '#x509-generate-includeKey-warning'), false);
            await shot(page, 'x509-generate-ec', page.locator('.red-ui-tray').last());

            await page.selectOption('#node-input-keyType', 'rsa');
            assert.strictEqual(await visible(page, '#node-input-rsaBits'), true);
            assert.strictEqual(await visible(page, '#node-input-curve'), false);
            assert.strictEqual(await page.inputValue('#node-input-rsaBits'), '4096');

            await page.check('#node-input-includeKey');
            assert.strictEqual(await visible(page, '#x509-generate-includeKey-warning'), true);

            assert.strictEqual(await hasError(page, '#node-input-days'), false);
            await setValue(page, '#node-input-days', '0');
            assert.strictEqual(await hasError(page, '#node-input-days'), true);
            await expectTooltip(page, '#node-input-days', /at least 1/);
            await shot(page, 'x509-generate-rsa-invalid-days', page.locator('.red-ui-tray').last());
            await setValue(page, '#node-input-days', '30');
            assert.strictEqual(await hasError(page, '#node-input-days'), false);

            // An empty fixed common name is flagged; msg.deviceName is the default and valid.
            await page.evaluate(() => $('#node-input-commonName').typedInput('type', 'str'));
            await page.evaluate(() => $('#node-input-commonName').typedInput('value', '').trigger('change'));
            assert.strictEqual(await hasError(page, '#node-input-commonName'), true);

            await closeDialog(page);
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('tb-provision: REST fields for rest, provision key and secret for device-api', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            await editNewNode(page, 'tb-provision');
            assert.strictEqual(await page.inputValue('#node-input-method'), 'rest');
            for (const f of ['deviceProfile', 'label', 'ifExists']) {
                assert.strictEqual(await visible(page, `#node-input-${f}`), true, f);
            }
            assert.strictEqual(await visible(page, '#node-input-gateway'), true, 'gateway (rest)');
            assert.strictEqual(await page.isChecked('#node-input-gateway'), false, 'gateway is off by default');
            assert.strictEqual(await visible(page, '#node-input-provisionKey'), false);
            assert.strictEqual(await visible(page, '#node-input-provisionSecret'), false);
            // config is required for tb-provision: an empty picker is flagged.
            assert.strictEqual(await hasError(page, '#node-input-config'), true);
            await shot(page, 'tb-provision-rest', page.locator('.red-ui-tray').last());

            await page.selectOption('#node-input-method', 'device-api');
            assert.strictEqual(await visible(page, '#node-input-provisionKey'), true);
            assert.strictEqual(await visible(page, '#node-input-provisionSecret'), true);
            for (const f of ['deviceProfile', 'label', 'ifExists']) {
                assert.strictEqual(await visible(page, `#node-input-${f}`), false, f);
            }
            assert.strictEqual(await visible(page, '#node-input-gateway'), true, 'gateway (device-api)');
            assert.strictEqual(await page.getAttribute('#node-input-provisionSecret', 'type'), 'password');
            assert.strictEqual(await hasError(page, '#node-input-provisionKey'), true, 'device-api needs a provision key');
            await setValue(page, '#node-input-provisionKey', 'abc123');
            assert.strictEqual(await hasError(page, '#node-input-provisionKey'), false);
            await shot(page, 'tb-provision-device-api', page.locator('.red-ui-tray').last());
            await closeDialog(page);
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('tb-x509-mqtt-out: dialog opens with its defaults and validates the queue size', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            await editNewNode(page, 'tb-x509-mqtt-out');
            assert.strictEqual(await page.inputValue('#node-input-target'), 'telemetry');
            assert.strictEqual(await page.inputValue('#node-input-qos'), '1');
            assert.strictEqual(await page.inputValue('#node-input-queueSize'), '1000');
            assert.strictEqual(await page.textContent('#tb-x509-mqtt-out-topic'), 'v1/devices/me/telemetry');
            await page.selectOption('#node-input-target', 'gateway-attributes');
            assert.strictEqual(await page.textContent('#tb-x509-mqtt-out-topic'), 'v1/gateway/attributes');
            await setValue(page, '#node-input-queueSize', '0');
            assert.strictEqual(await hasError(page, '#node-input-queueSize'), true);
            await expectTooltip(page, '#node-input-queueSize', /at least 1/);
            await setValue(page, '#node-input-queueSize', '50');
            assert.strictEqual(await hasError(page, '#node-input-queueSize'), false);
            await page.selectOption('#node-input-target', 'telemetry');
            await shot(page, 'tb-x509-mqtt-out', page.locator('.red-ui-tray').last());
            await closeDialog(page);
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('tb-x509-mqtt-in: dialog opens with mode rpc, shows each mode\'s topic and how to reply', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            await editNewNode(page, 'tb-x509-mqtt-in');
            assert.strictEqual(await page.inputValue('#node-input-mode'), 'rpc');
            assert.strictEqual(await page.textContent('#tb-x509-mqtt-in-topic'), 'v1/devices/me/rpc/request/+');
            assert.match(await page.textContent('#tb-x509-mqtt-in-reply'), /msg\.requestId/);
            await page.selectOption('#node-input-mode', 'gateway-rpc');
            assert.strictEqual(await page.textContent('#tb-x509-mqtt-in-topic'), 'v1/gateway/rpc');
            assert.match(await page.textContent('#tb-x509-mqtt-in-reply'), /msg\.device/);
            await page.selectOption('#node-input-mode', 'rpc');
            await shot(page, 'tb-x509-mqtt-in', page.locator('.red-ui-tray').last());
            await closeDialog(page);
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('tb-x509-mqtt-request: dialog shows the fields of each kind and validates the timeout', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            await editNewNode(page, 'tb-x509-mqtt-request');
            assert.strictEqual(await page.inputValue('#node-input-kind'), 'attributes');
            assert.strictEqual(await page.inputValue('#node-input-timeout'), '10');
            assert.strictEqual(await visible(page, '#node-input-clientKeys'), true);
            assert.strictEqual(await visible(page, '#node-input-method'), false);
            await page.selectOption('#node-input-kind', 'rpc');
            assert.strictEqual(await visible(page, '#node-input-method'), true);
            assert.strictEqual(await visible(page, '#node-input-clientKeys'), false);
            await page.selectOption('#node-input-kind', 'gateway-attributes');
            assert.strictEqual(await visible(page, '#node-input-client'), true);
            await setValue(page, '#node-input-timeout', '0');
            assert.strictEqual(await hasError(page, '#node-input-timeout'), true);
            await expectTooltip(page, '#node-input-timeout', /at least 0.1/);
            await setValue(page, '#node-input-timeout', '10');
            assert.strictEqual(await hasError(page, '#node-input-timeout'), false);
            await page.selectOption('#node-input-kind', 'attributes');
            await shot(page, 'tb-x509-mqtt-request', page.locator('.red-ui-tray').last());
            await closeDialog(page);
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('tb-x509-config: tabs, unsafe-verification warning, port/URL validators, secrets never shown', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            const outId = await editNewNode(page, 'tb-x509-mqtt-out');
            await page.click('#node-input-btn-config-add'); // the + next to the config picker
            await page.waitForSelector('#node-config-dialog-ok', { state: 'visible' });
            await page.waitForSelector('#node-config-input-host', { state: 'visible' });
            const tray = page.locator('.red-ui-tray').last();

            assert.strictEqual(await page.inputValue('#node-config-input-port'), '8883');
            assert.strictEqual(await page.inputValue('#node-config-input-keepalive'), '60');
            assert.strictEqual(await page.isChecked('#node-config-input-verifyServer'), true);
            assert.strictEqual(await visible(page, '#tb-x509-config-verify-warning'), false);
            assert.strictEqual(await hasError(page, '#node-config-input-host'), true, 'host is required');
            await shot(page, 'tb-x509-config-server', tray);

            await setValue(page, '#node-config-input-host', 'mqtts://broker.example:8883');
            assert.strictEqual(await hasError(page, '#node-config-input-host'), true);
            await expectTooltip(page, '#node-config-input-host', /host name only/);
            await setValue(page, '#node-config-input-host', 'mqtt.example.test');
            assert.strictEqual(await hasError(page, '#node-config-input-host'), false);

            await setValue(page, '#node-config-input-port', 'abc');
            assert.strictEqual(await hasError(page, '#node-config-input-port'), true);
            await expectTooltip(page, '#node-config-input-port', /1 to 65535/);
            await setValue(page, '#node-config-input-restUrl', 'thingsboard.example');
            assert.strictEqual(await hasError(page, '#node-config-input-restUrl'), true);
            await page.uncheck('#node-config-input-verifyServer');
            assert.strictEqual(await visible(page, '#tb-x509-config-verify-warning'), true);
            assert.match(await page.textContent('#tb-x509-config-verify-warning'), /Unsafe/);
            await shot(page, 'tb-x509-config-server-invalid-unverified', tray);

            await setValue(page, '#node-config-input-port', '8883');
            await setValue(page, '#node-config-input-restUrl', 'https://thingsboard.example');
            assert.strictEqual(await hasError(page, '#node-config-input-port'), false);
            assert.strictEqual(await hasError(page, '#node-config-input-restUrl'), false);
            await page.check('#node-config-input-verifyServer');

            await page.click('a[href="#tb-x509-config-tab-identity"]');
            assert.strictEqual(await visible(page, '#node-config-input-cert'), true);
            assert.strictEqual(await visible(page, '#node-config-input-host'), false);
            const placeholder = await page.getAttribute('#node-config-input-keyStore', 'placeholder');
            assert.match(placeholder, /tb-x509\/[0-9a-f]{16}/);
            assert.strictEqual(await page.getAttribute('[data-state]#tb-x509-config-key-state', 'data-state'), 'none');

            // Uploads go through FileReader: PEM text for the certificate, base64 for PKCS#12.
            const pem = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
            await page.setInputFiles('#tb-x509-config-cert-upload', { name: 'device.pem', mimeType: 'text/plain', buffer: Buffer.from(pem) });
            await page.waitForFunction((v) => $('#node-config-input-cert').val() === v, pem);
            const p12 = Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff, 0x00, 0x7f]);
            await page.setInputFiles('#tb-x509-config-pkcs12-upload', { name: 'device.p12', mimeType: 'application/x-pkcs12', buffer: p12 });
            await page.waitForFunction((v) => $('#node-config-input-pkcs12').val() === v, p12.toString('base64'));
            assert.match(await page.textContent('#tb-x509-config-pkcs12-state'), /device\.p12/);
            const key = '-----BEGIN PRIVATE KEY-----\nMIGHtest\n-----END PRIVATE KEY-----\n';
            await page.fill('#tb-x509-config-key-paste', key);
            assert.strictEqual(await page.inputValue('#node-config-input-key'), key);
            assert.strictEqual(await page.getAttribute('#tb-x509-config-key-state', 'data-state'), 'pasted');
            const masking = await page.$eval('#tb-x509-config-key-paste', (el) => getComputedStyle(el).webkitTextSecurity);
            assert.strictEqual(masking, 'disc', 'a pasted key is masked on screen');
            await shot(page, 'tb-x509-config-identity', tray);

            await page.click('a[href="#tb-x509-config-tab-account"]');
            assert.strictEqual(await page.getAttribute('#node-config-input-password', 'type'), 'password');
            assert.strictEqual(await page.getAttribute('#node-config-input-apiKey', 'type'), 'password');
            await page.fill('#node-config-input-username', 'tenant@example.test');
            await page.fill('#node-config-input-password', 'secret-password');
            await shot(page, 'tb-x509-config-account', tray);

            // Save the config and the node, deploy, and reopen: the key comes back only as "stored".
            await page.click('#node-config-dialog-ok');
            await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
            await page.click('#node-dialog-ok');
            await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
            await deploy(page);
            const cfgId = await page.evaluate((id) => RED.nodes.node(id).config, outId);
            assert.ok(cfgId, 'the new config is selected in the node');
            assert.ok(placeholder.endsWith(`tb-x509/${cfgId}`), `key store placeholder names this config: ${placeholder}`);
            const cfg = await page.evaluate((id) => {
                const n = RED.nodes.node(id);
                return { host: n.host, port: n.port, verifyServer: n.verifyServer, label: RED.utils.getNodeLabel(n) };
            }, cfgId);
            assert.deepStrictEqual(cfg, { host: 'mqtt.example.test', port: 8883, verifyServer: true, label: 'mqtt.example.test' });

            // On disk: settings in flows.json, credentials only encrypted in flows_cred.json.
            const onDisk = ['flows.json', 'flows_cred.json'].map((f) => fs.readFileSync(path.join(nr.userDir, f), 'utf8')).join('\n');
            for (const secret of ['MIIBtest', 'MIGHtest', 'secret-password', 'tenant@example.test']) {
                assert.ok(!onDisk.includes(secret), `${secret} must not be stored in clear`);
            }

            // Export → all flows carries the config's settings but none of its credentials.
            await page.evaluate(() => RED.actions.invoke('core:show-export-dialog'));
            await page.click('#red-ui-clipboard-dialog-export-rng-full');
            await page.waitForFunction(() => /tb-x509-config/.test($('#red-ui-clipboard-dialog-export-text').val()));
            const exported = await page.inputValue('#red-ui-clipboard-dialog-export-text');
            assert.ok(exported.includes('mqtt.example.test'));
            for (const secret of ['MIIBtest', 'MIGHtest', 'secret-password', 'tenant@example.test', p12.toString('base64')]) {
                assert.ok(!exported.includes(secret), `exported flow must not contain ${secret}`);
            }
            await page.click('#red-ui-clipboard-dialog-cancel');

            // A fresh editor holds nothing but what the runtime sends back.
            await context.close();
            const second = await openEditor();
            try {
                await second.page.evaluate((id) => RED.editor.editConfig('', 'tb-x509-config', id), cfgId);
                await second.page.waitForSelector('#node-config-input-host', { state: 'visible' });
                await second.page.click('a[href="#tb-x509-config-tab-identity"]');
                assert.strictEqual(await second.page.inputValue('#node-config-input-cert'), pem, 'certificate (text) round-trips');
                assert.strictEqual(await second.page.inputValue('#node-config-input-key'), '__PWRD__');
                assert.strictEqual(await second.page.inputValue('#tb-x509-config-key-paste'), '');
                assert.strictEqual(await second.page.getAttribute('#tb-x509-config-key-state', 'data-state'), 'stored');
                assert.strictEqual(await second.page.getAttribute('#tb-x509-config-pkcs12-state', 'data-state'), 'stored');
                const html = await second.page.content();
                assert.ok(!html.includes('MIGHtest'), 'the private key never reaches the browser again');
                assert.ok(!html.includes('secret-password'), 'the password never reaches the browser again');
                await shot(second.page, 'tb-x509-config-identity-stored', second.page.locator('.red-ui-tray').last());
                await second.page.click('#node-config-dialog-cancel');
                assert.deepStrictEqual(second.errors, []);
                assert.deepStrictEqual(second.external, []);
            } finally {
                await second.context.close();
            }
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close().catch(() => {});
        }
    });

    it('tb-x509-config: a signing CA added with +, the server chain kept apart; fleet options; both round-trip', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            const outId = await editNewNode(page, 'tb-x509-mqtt-out');
            await page.click('#node-input-btn-config-add');
            await page.waitForSelector('#node-config-input-host', { state: 'visible' });
            await setValue(page, '#node-config-input-host', 'fleet.example.test');
            const chain = '-----BEGIN CERTIFICATE-----\nMIIBchain\n-----END CERTIFICATE-----\n';
            await page.fill('#tb-x509-config-ca-pem', chain);

            await page.click('a[href="#tb-x509-config-tab-identity"]');
            assert.strictEqual(await page.inputValue('#tb-x509-config-ca-node'), '', 'no CA by default');
            assert.strictEqual(await visible(page, '#node-config-input-maxConnections'), false, 'fleet options only in fleet mode');
            await page.selectOption('#node-config-input-identityMode', 'fleet');
            assert.strictEqual(await visible(page, '#node-config-input-maxConnections'), true);
            assert.strictEqual(await page.inputValue('#node-config-input-maxConnections'), '1000');
            assert.strictEqual(await page.inputValue('#node-config-input-idleTimeout'), '300');
            await setValue(page, '#node-config-input-idleTimeout', '0');
            assert.strictEqual(await hasError(page, '#node-config-input-idleTimeout'), true);
            await setValue(page, '#node-config-input-idleTimeout', '120');

            await page.click('#tb-x509-config-ca-node-add');
            await page.waitForSelector('#node-config-input-days', { state: 'visible' });
            assert.strictEqual(await page.inputValue('#node-config-input-days'), '3650');
            await page.fill('#node-config-input-name', 'Plant CA');
            await shot(page, 'tb-x509-ca-new', page.locator('.red-ui-tray').last());
            await page.click('#node-config-dialog-ok');
            await page.waitForSelector('#node-config-input-days', { state: 'detached' });
            const caId = await page.evaluate(() => {
                let id;
                RED.nodes.eachConfig((n) => {
                    if (n.type === 'tb-x509-ca') id = n.id;
                });
                return id;
            });
            assert.ok(caId, 'the CA node exists');
            await page.waitForFunction((id) => $('#tb-x509-config-ca-node').val() === id, caId);
            await shot(page, 'tb-x509-config-fleet-ca', page.locator('.red-ui-tray').last());

            await page.click('#node-config-dialog-ok');
            await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
            await page.click('#node-dialog-ok');
            await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
            await deploy(page);
            const cfgId = await page.evaluate((id) => RED.nodes.node(id).config, outId);
            const cfg = await page.evaluate((id) => {
                const n = RED.nodes.node(id);
                return { ca: n.ca, identityMode: n.identityMode, idleTimeout: Number(n.idleTimeout), maxConnections: Number(n.maxConnections) };
            }, cfgId);
            assert.deepStrictEqual(cfg, { ca: caId, identityMode: 'fleet', idleTimeout: 120, maxConnections: 1000 });
            const flows = JSON.parse(fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8'));
            assert.strictEqual(flows.find((n) => n.id === cfgId).ca, caId, 'the property is the CA node id, not the chain');
            assert.ok(!fs.readFileSync(path.join(nr.userDir, 'flows_cred.json'), 'utf8').includes('MIIBchain'), 'credentials stay encrypted');

            await context.close();
            const second = await openEditor();
            try {
                await second.page.evaluate((id) => RED.editor.editConfig('', 'tb-x509-config', id), cfgId);
                await second.page.waitForSelector('#node-config-input-host', { state: 'visible' });
                assert.strictEqual(await second.page.inputValue('#tb-x509-config-ca-pem'), chain, 'the server chain (credential) round-trips');
                await second.page.click('a[href="#tb-x509-config-tab-identity"]');
                assert.strictEqual(await second.page.inputValue('#tb-x509-config-ca-node'), caId, 'the CA (property) round-trips');
                await second.page.click('#node-config-dialog-cancel');
                assert.deepStrictEqual(second.errors, []);
                assert.deepStrictEqual(second.external, []);
            } finally {
                await second.context.close();
            }
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close().catch(() => {});
        }
    });

    async function deploy(page) {
        const before = await page.evaluate(() => RED.nodes.version());
        await page.click('#red-ui-header-button-deploy');
        // A flow with nodes the editor flags (e.g. an example's config awaiting its host) asks to confirm.
        const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
        await Promise.race([
            confirm.waitFor({ state: 'visible', timeout: 5000 }).then(() => confirm.click()),
            page.waitForFunction((v) => RED.nodes.version() !== v, before, { timeout: 5000 }),
        ]).catch(() => {});
        await page.waitForFunction((v) => RED.nodes.version() && RED.nodes.version() !== v && !RED.nodes.dirty(), before);
    }

    it('renders help for each node in the info sidebar', async function () {
        const { context, page, errors, external } = await openEditor();
        try {
            for (const type of [...FLOW_TYPES, 'tb-x509-config']) {
                await page.evaluate((t) => RED.sidebar.help.show(t), type);
                // The first words of this node's help tell it apart from the one shown before.
                const source = fs.readFileSync(path.join(repoRoot, 'locales', 'en-US', `${type}.html`), 'utf8');
                const intro = /<p>([^<]+)/.exec(source)[1].replace(/\s+/g, ' ').trim().slice(0, 40);
                await page.waitForFunction(
                    (intro) => {
                        const el = [...document.querySelectorAll('#red-ui-sidebar .red-ui-help')].pop();
                        return el && el.textContent.replace(/\s+/g, ' ').includes(intro);
                    },
                    intro,
                );
                const help = page.locator('#red-ui-sidebar .red-ui-help').last();
                const text = await help.textContent();
                assert.match(text, /Details/, type);
                assert.match(text, /References/, type);
                if (type !== 'tb-x509-config') {
                    assert.match(text, type === 'tb-x509-mqtt-in' ? /Outputs/ : /Inputs/, type);
                    assert.ok(await help.locator('dl.message-properties').count(), type);
                }
                await shot(page, `help-${type}`, page.locator('#red-ui-sidebar'));
            }
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('speaks German with a German browser: palette, dialog and help', async function () {
        const { context, page, errors, external } = await openEditor('de-DE');
        try {
            await editNewNode(page, 'x509-generate');
            const label = await page.textContent('label[for="node-input-keyType"]');
            assert.match(label, /Schlüsseltyp/);
            await shot(page, 'de-x509-generate', page.locator('.red-ui-tray').last());
            await closeDialog(page);
            await page.evaluate(() => RED.sidebar.help.show('tb-x509-mqtt-out'));
            await page.waitForFunction(() =>
                [...document.querySelectorAll('#red-ui-sidebar .red-ui-help')].some((el) => /Eingaben/.test(el.textContent)),
            );
            await shot(page, 'de-help-tb-x509-mqtt-out', page.locator('#red-ui-sidebar'));
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('follows the theme in a dark colour scheme (Node-RED 5 switches with the browser)', async function () {
        const { context, page, errors, external } = await openEditor('en-US', 'dark');
        try {
            await editNewNode(page, 'x509-generate');
            await page.click('#node-input-btn-config-add');
            await page.waitForSelector('#node-config-input-host', { state: 'visible' });
            await page.uncheck('#node-config-input-verifyServer');
            // The warning takes its colour from the theme variable, not from a fixed light-theme value.
            const colours = await page.evaluate(() => {
                const probe = document.createElement('span');
                probe.style.color = 'var(--red-ui-text-color-error)';
                document.body.appendChild(probe);
                const themed = getComputedStyle(probe).color;
                probe.remove();
                return { themed, warning: getComputedStyle(document.querySelector('#tb-x509-config-verify-warning')).color };
            });
            assert.strictEqual(colours.warning, colours.themed);
            await shot(page, 'dark-tb-x509-config-server', page.locator('.red-ui-tray').last());
            await page.click('#node-config-dialog-cancel');
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });

    it('imports an example through Import → Examples and deploys it', async function () {
        const examplesDir = path.join(repoRoot, 'examples');
        const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
        assert.ok(examples.length > 0, 'the package ships example flows');
        const { context, page, errors, external } = await openEditor();
        try {
            // Every example only uses node types this editor knows.
            for (const file of examples) {
                const flow = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
                const unknown = await page.evaluate(
                    (types) => types.filter((t) => t !== 'tab' && t !== 'group' && !RED.nodes.getType(t)),
                    [...new Set(flow.map((n) => n.type))],
                );
                assert.deepStrictEqual(unknown, [], file);
            }

            const chosen = examples.slice().sort()[0];
            await page.evaluate(() => RED.actions.invoke('core:show-examples-import-dialog'));
            const dialog = page.locator('.red-ui-clipboard-dialog-tab-library:visible');
            await dialog.locator('.red-ui-treeList-label', { hasText: packageName }).first().click();
            await dialog.locator('.red-ui-treeList-label', { hasText: chosen.replace(/\.json$/, '') }).first().click();
            await shot(page, 'import-examples');
            await page.click('#red-ui-clipboard-dialog-ok');
            await page.waitForSelector('#red-ui-clipboard-dialog-ok', { state: 'hidden' });
            // The import lands as nodes attached to the mouse: drop them.
            await page.mouse.click(600, 400);
            const expected = JSON.parse(fs.readFileSync(path.join(examplesDir, chosen), 'utf8'));
            const ourTypes = [...new Set(expected.map((n) => n.type).filter((t) => FLOW_TYPES.includes(t)))];
            await page
                .waitForFunction((types) => types.every((t) => RED.nodes.filterNodes({ type: t }).length > 0), ourTypes, {
                    timeout: 10000,
                })
                .catch(() => {});
            const imported = await page.evaluate(
                (types) => types.filter((t) => RED.nodes.filterNodes({ type: t }).length > 0),
                ourTypes,
            );
            if (imported.length !== ourTypes.length) await shot(page, 'import-failed');
            assert.deepStrictEqual(imported, ourTypes);
            await deploy(page);
            const tab = expected.find((n) => n.type === 'tab');
            if (tab) {
                await page.evaluate((label) => {
                    let id;
                    RED.nodes.eachWorkspace((ws) => {
                        if (ws.label === label) id = ws.id;
                    });
                    RED.workspaces.show(id);
                }, tab.label);
            }
            await shot(page, 'example-deployed');

            const res = await fetch(`${nr.url}flows`, { headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v2' } });
            const deployed = (await res.json()).flows;
            for (const type of ourTypes) {
                assert.ok(deployed.some((n) => n.type === type), `${type} deployed`);
            }
            assert.deepStrictEqual(errors, []);
            assert.deepStrictEqual(external, []);
        } finally {
            await context.close();
        }
    });
});
