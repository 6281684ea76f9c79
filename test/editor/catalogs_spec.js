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

    it('en-US tb-x509-config carries the runtime error and status texts', function () {
        const en = builtCatalog('tb-x509-config', 'en-US');
        assert.ok(Object.keys(en.errors || {}).length > 0);
        assert.ok(Object.keys(en.status || {}).length > 0);
    });
});
