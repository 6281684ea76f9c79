#!/usr/bin/env node
'use strict';
// Compiles the TypeScript and lays out each node's folder the way Node-RED reads it:
// <type>.js, <type>.html, icons/ and locales/<lang>/<type>.{json,html} side by side.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const nodeTypes = Object.keys(require(path.join(root, 'package.json'))['node-red'].nodes);

// Several people build in one work tree at once, so dist/ is refreshed in place, not wiped;
// `--clean` wipes it first. TB_BUILD_ALLOW_TYPE_ERRORS=1 keeps going past type errors
// (tsc still emits) while someone else's half-done file does not compile yet.
if (process.argv.includes('--clean')) fs.rmSync(dist, { recursive: true, force: true });
try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
        stdio: 'inherit',
    });
} catch {
    if (process.env.TB_BUILD_ALLOW_TYPE_ERRORS !== '1') process.exit(1);
    console.warn('build: type errors ignored (TB_BUILD_ALLOW_TYPE_ERRORS=1)');
}

// The en-US catalog of tb-x509-config carries every runtime error and status text,
// written from the per-area message tables so code and catalog cannot drift apart.
const { ERROR_MESSAGES, STATUS_MESSAGES } = require(path.join(dist, 'nodes', 'lib', 'runtime', 'catalog.js'));
function catalogFor(lang, type) {
    const file = path.join(root, 'locales', lang, `${type}.json`);
    const catalog = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    if (lang === 'en-US' && type === 'tb-x509-config') {
        catalog.errors = { ...ERROR_MESSAGES, ...(catalog.errors || {}) };
        catalog.status = { ...STATUS_MESSAGES, ...(catalog.status || {}) };
    }
    return catalog;
}

for (const type of nodeTypes) {
    const nodeDir = path.join(dist, 'nodes', type);
    fs.copyFileSync(path.join(root, 'nodes', type, `${type}.html`), path.join(nodeDir, `${type}.html`));
    fs.cpSync(path.join(root, 'icons'), path.join(nodeDir, 'icons'), { recursive: true });
    const localesDir = path.join(root, 'locales');
    for (const lang of fs.readdirSync(localesDir)) {
        const target = path.join(nodeDir, 'locales', lang);
        fs.mkdirSync(target, { recursive: true });
        fs.writeFileSync(path.join(target, `${type}.json`), JSON.stringify(catalogFor(lang, type), null, 4));
        const help = path.join(localesDir, lang, `${type}.html`);
        if (fs.existsSync(help)) fs.copyFileSync(help, path.join(target, `${type}.html`));
    }
}
