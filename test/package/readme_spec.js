'use strict';
// The README stays true to the repository: the commands, scripts, files and examples it names exist.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('README', function () {
    it('starts with the two commands, and every npm script it names exists and points at an existing file', function () {
        const top = readme.split('\n').slice(0, 6).join('\n');
        assert.match(top, /npm install && npm start/);
        assert.match(top, /npm test/);
        const named = new Set([...readme.matchAll(/\bnpm (?:run ([\w:-]+)|(start|test)\b)/g)].map((m) => m[1] || m[2]));
        assert.ok(['start', 'test', 'build', 'bench', 'tbsim'].every((s) => named.has(s)), [...named].join(' '));
        for (const script of named) {
            assert.ok(pkg.scripts[script], `package.json has script "${script}"`);
            for (const [, file] of pkg.scripts[script].matchAll(/node ((?:dist|bench|scripts|tools)\/\S+\.js)/g)) {
                if (file.startsWith('dist/')) {
                    const source = file.replace(/^dist\//, '').replace(/\.js$/, '.ts');
                    assert.ok(fs.existsSync(path.join(root, source)), `npm run ${script}: ${source} exists`);
                } else {
                    assert.ok(fs.existsSync(path.join(root, file)), `npm run ${script}: ${file} exists`);
                }
            }
        }
    });

    it('names files and folders of this repository that exist', function () {
        const paths = [...readme.matchAll(/`((?:scripts|tools|nodes|test|examples|bench|locales|icons)\/[^`\s]*)`/g)].map((m) => m[1]);
        assert.ok(paths.length > 5);
        for (const p of paths) {
            const clean = p.replace(/<[^>]+>\/?/g, '').replace(/\/$/, '');
            assert.ok(fs.existsSync(path.join(root, clean)), `${p} exists`);
        }
    });

    it('lists every example flow by its menu name', function () {
        for (const file of fs.readdirSync(path.join(root, 'examples'))) {
            assert.ok(readme.includes(file.replace(/\.json$/, '')), `README mentions ${file}`);
        }
    });

    it('documents every flag of the demo', function () {
        const source = fs.readFileSync(path.join(root, 'tools', 'demo', 'start.ts'), 'utf8');
        const flags = [...source.matchAll(/case '(--[a-z-]+)'/g)].map((m) => m[1]);
        assert.ok(flags.length >= 5);
        for (const flag of flags) assert.ok(readme.includes(flag), `README documents ${flag}`);
    });
});
