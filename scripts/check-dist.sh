#!/usr/bin/env bash
# Fails when the committed dist/ is not what src/ builds to, so a stale bundle cannot land.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Same entries and options as `npm run build`: the action, and the setup check it ships.
build() { # $1 = entry, $2 = output dir
  npx ncc build "$1" -o "$2" --license licenses.txt >/dev/null 2>&1 || npx ncc build "$1" -o "$2" --license licenses.txt
}
build src/index.ts "$tmp"
build src/setup-check.ts "$tmp/setup-check"
status=0
# JavaScript and licences must match to the byte. Native addons are compiled per machine, so they
# are checked for presence only (dist/native is built by scripts/build-native.sh).
for f in $(cd "$tmp" && find . -type f ! -name '*.node' | sort); do
  if ! cmp -s "$tmp/$f" "dist/$f"; then
    echo "dist/${f#./} differs from a fresh build of src/ (run: npm run build, then commit dist/)"
    status=1
  fi
done
for f in $(cd dist && find . -type f ! -name '*.node' | sort); do
  [ -f "$tmp/$f" ] || { echo "dist/${f#./} is not produced by a fresh build of src/ (remove it)"; status=1; }
done
for abi in 115 137; do
  [ -f "dist/native/better_sqlite3-abi$abi-linux-x64.node" ] || { echo "dist/native is missing the better-sqlite3 binary for ABI $abi (run: npm run build:native)"; status=1; }
done
[ $status -eq 0 ] && echo "dist/ is up to date"
exit $status
