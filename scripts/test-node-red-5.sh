#!/usr/bin/env bash
# Runs the runtime test suites, the examples/demo and the editor in headless Chromium against
# Node-RED 5 on Node 22 (Node-RED 5 needs Node >= 22.9), next to the default run on the project's
# own Node-RED 4 devDependency. The package tests (npm tarball, scorecard) are not repeated here.
# Node 22 and Node-RED 5 come from the npm registry (the `node` package carries a Node binary)
# and are cached under .cache/nr5/ (gitignored); delete that folder to refresh them.
# Usage: scripts/test-node-red-5.sh [mocha args…]   (default: the suites listed below)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
cache="$root/.cache/nr5"
wanted='{"private":true,"dependencies":{"node":"22","node-red":"5","node-red-node-test-helper":"^0.3.6"}}'

if [ ! -f "$cache/package.json" ] || [ "$(cat "$cache/package.json")" != "$wanted" ] \
    || [ ! -x "$cache/node_modules/node/bin/node" ] || [ ! -d "$cache/node_modules/node-red" ]; then
    rm -rf "$cache"
    mkdir -p "$cache"
    printf '%s' "$wanted" > "$cache/package.json"
    (cd "$cache" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
fi

node22="$cache/node_modules/node/bin/node"
nr_version="$(node -p "require('$cache/node_modules/node-red/package.json').version")"
echo "Node-RED 5 run: node $("$node22" --version), node-red $nr_version ($cache)"
if [ "${nr_version%%.*}" != 5 ]; then
    echo "expected Node-RED 5 in $cache, found $nr_version" >&2
    exit 1
fi

if [ ! -f dist/nodes/tb-x509-config/tb-x509-config.js ]; then
    echo "dist/ is missing: run 'npm run build' first" >&2
    exit 1
fi

suites=()
if [ $# -eq 0 ]; then
    for dir in test/nodes test/provision test/mqtt test/examples test/editor; do
        [ -d "$dir" ] && suites+=("$dir")
    done
    set -- "${suites[@]}"
fi

# test/examples/node-red-version_spec.js proves the suites then load this install (helper and binary).
export TB_NODE_RED_DIR="$cache"
# The project's mocha under Node 22; --no-config because .mocharc.json's spec would add every suite.
exec "$node22" "$root/node_modules/mocha/bin/mocha.js" --no-config --timeout 30000 --exit --recursive "$@"
