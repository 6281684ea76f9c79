'use strict';
// The Flow Library scorecard's static rules, re-implemented offline (node-red-dev validate
// needs catalogue.nodered.org and the npm registry). Shared by the scorecard, tarball and editor HTML tests.
const fs = require('fs');
const path = require('path');
const acorn = require('acorn');
const walk = require('acorn-walk');

const propertyName = (prop) => prop.key && (prop.key.name || prop.key.value);

/**
 * What node-red-dev (src/libs/checknodes.js getNodeDefinitions) sees in one editor .html text:
 * only `<script type="text/javascript">` blocks, only `X.registerType('<literal>', {<object>})`,
 * and category/color/icon/inputs/outputs only when they are literals. `blocks` are the script
 * texts; `credentialTypes` (not a scorecard rule) is each credential's declared type, to
 * compare with the runtime's.
 */
function definitionsInHtml(content) {
    const scriptBlock = /<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi;
    const defs = {};
    const errors = [];
    const blocks = [];
    let match;
    while ((match = scriptBlock.exec(content)) !== null) {
        blocks.push(match[1]);
        const ast = acorn.parse(match[1], { ecmaVersion: 'latest' });
        walk.simple(ast, {
            CallExpression(call) {
                if (!call.callee.property || call.callee.property.name !== 'registerType') return;
                const [typeArg, defArg] = call.arguments;
                if (!typeArg || typeArg.type !== 'Literal') return errors.push('registerType with a non-literal type');
                if (!defArg || defArg.type !== 'ObjectExpression') {
                    return errors.push(`${typeArg.value}: definition is not an object literal`);
                }
                const def = {};
                for (const prop of defArg.properties) {
                    const key = propertyName(prop);
                    if (['category', 'color', 'icon', 'inputs', 'outputs'].includes(key)) {
                        if (prop.value.type === 'Literal') def[key] = prop.value.value;
                        else errors.push(`${typeArg.value}: ${key} is not a literal`);
                    } else if (key === 'defaults' || key === 'credentials') {
                        if (prop.value.type !== 'ObjectExpression') {
                            errors.push(`${typeArg.value}: ${key} is not inline`);
                            continue;
                        }
                        def[key] = prop.value.properties.map(propertyName);
                        if (key === 'credentials') {
                            def.credentialTypes = Object.fromEntries(prop.value.properties.map((p) => {
                                const type = p.value.type === 'ObjectExpression' && p.value.properties.find((q) => propertyName(q) === 'type');
                                return [propertyName(p), type ? type.value.value : undefined];
                            }));
                        }
                    }
                }
                defs[typeArg.value] = def;
            },
        });
    }
    return { defs, errors, blocks };
}

/** definitionsInHtml of one editor .html file. */
function nodeDefinitions(htmlFile) {
    return definitionsInHtml(fs.readFileSync(htmlFile, 'utf8'));
}

/** Every registerType found through package.json's node-red.nodes map, as the scorecard walks it. */
function packageNodeDefinitions(packageDir) {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const defs = {};
    const errors = [];
    for (const jsFile of Object.values(pkg['node-red'].nodes)) {
        const htmlFile = path.join(packageDir, jsFile.replace('.js', '.html'));
        const found = nodeDefinitions(htmlFile);
        Object.assign(defs, found.defs);
        errors.push(...found.errors.map((e) => `${path.relative(packageDir, htmlFile)}: ${e}`));
    }
    return { defs, errors };
}

/** Every file under examples/ (the scorecard parses them all, whatever their extension). */
function exampleFiles(packageDir) {
    const dir = path.join(packageDir, 'examples');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { recursive: true })
        .map((f) => path.join(dir, f))
        .filter((f) => fs.statSync(f).isFile());
}

module.exports = { definitionsInHtml, nodeDefinitions, packageNodeDefinitions, exampleFiles };
