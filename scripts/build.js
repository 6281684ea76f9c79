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

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
});

for (const type of nodeTypes) {
    const nodeDir = path.join(dist, 'nodes', type);
    fs.copyFileSync(path.join(root, 'nodes', type, `${type}.html`), path.join(nodeDir, `${type}.html`));
    fs.cpSync(path.join(root, 'icons'), path.join(nodeDir, 'icons'), { recursive: true });
    const localesDir = path.join(root, 'locales');
    for (const lang of fs.readdirSync(localesDir)) {
        for (const ext of ['json', 'html']) {
            const source = path.join(localesDir, lang, `${type}.${ext}`);
            if (!fs.existsSync(source)) continue;
            const target = path.join(nodeDir, 'locales', lang, `${type}.${ext}`);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.copyFileSync(source, target);
        }
    }
}
