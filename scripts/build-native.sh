#!/usr/bin/env bash
# Builds better-sqlite3's native addon once per Node ABI we ship (Node 20 = ABI 115, Node 24 = ABI 137)
# into dist/native/. The bundle picks the binary matching process.versions.modules at run time.
# Built from source with node-gyp against each runtime's own headers: no prebuilt download needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/dist/native"
mkdir -p "$out"

build_for() { # $1 = node binary, $2 = node dir holding include/node
  local node_bin="$1" nodedir="$2"
  local version abi work
  version="$("$node_bin" -p process.versions.node)"
  abi="$("$node_bin" -p process.versions.modules)"
  work="$(mktemp -d)"
  cp -r node_modules/better-sqlite3/. "$work/"
  rm -rf "$work/build"
  echo "building better-sqlite3 for Node $version (ABI $abi)"
  (cd "$work" && "$node_bin" "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --release \
      --target="$version" --nodedir="$nodedir" -j 2 >/dev/null)
  cp "$work/build/Release/better_sqlite3.node" "$out/better_sqlite3-abi$abi-linux-x64.node"
  rm -rf "$work"
  # Prove it loads in its own runtime.
  "$node_bin" -e "const D=require('$root/node_modules/better-sqlite3'); new D(':memory:',{nativeBinding:'$out/better_sqlite3-abi$abi-linux-x64.node'}).close()"
}

build_for "$(command -v node)" "$(dirname "$(dirname "$(command -v node)")")"
bash scripts/install-node24.sh >/dev/null
build_for "$root/.tmp/node24/bin/node" "$root/.tmp/node24"
ls -l "$out"
