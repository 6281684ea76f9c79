'use strict';
// The library's folders are layers and every import points down: base (the lib root: errors,
// settings) ← pki ← thingsboard ← mqtt ← runtime (the wiring of one config) ← node-red, and the
// node files on top. Read from the TypeScript sources, so a new upward import fails here.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const nodesDir = path.resolve(__dirname, '..', '..', 'nodes');
const lib = path.join(nodesDir, 'lib');
const LAYERS = ['base', 'pki', 'thingsboard', 'mqtt', 'runtime', 'node-red', 'nodes'];

function layerOf(file) {
    const rel = path.relative(lib, file);
    if (rel.startsWith('..')) return 'nodes';
    const first = rel.split(path.sep)[0];
    return first === rel ? 'base' : first;
}

function sources(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return sources(full);
        return e.name.endsWith('.ts') ? [full] : [];
    });
}

function localImports(file) {
    const text = fs.readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => m[1]);
    return specs.map((spec) => path.resolve(path.dirname(file), spec) + '.ts');
}

describe('library layering', function () {
    const files = sources(nodesDir);

    it('knows every folder of nodes/lib as a layer', function () {
        const unknown = files.map(layerOf).filter((layer) => !LAYERS.includes(layer));
        assert.deepStrictEqual([...new Set(unknown)], []);
    });

    it('has every import point to its own layer or one below', function () {
        const upward = [];
        for (const file of files) {
            const from = LAYERS.indexOf(layerOf(file));
            for (const target of localImports(file)) {
                assert.ok(fs.existsSync(target), `${path.relative(nodesDir, file)} imports ${target}, which does not exist`);
                const to = LAYERS.indexOf(layerOf(target));
                if (to > from) upward.push(`${path.relative(nodesDir, file)} → ${path.relative(nodesDir, target)}`);
            }
        }
        assert.deepStrictEqual(upward, []);
    });

    it('keeps Node-RED out of the library below lib/node-red', function () {
        const offenders = files
            .filter((f) => LAYERS.indexOf(layerOf(f)) < LAYERS.indexOf('node-red'))
            .filter((f) => /from\s+'(node-red|@node-red\/[^']+)'/.test(fs.readFileSync(f, 'utf8')));
        assert.deepStrictEqual(offenders.map((f) => path.relative(nodesDir, f)), []);
    });
});
