#!/usr/bin/env bash
# Fails when the committed dist/ is not what src/ builds to, so a stale bundle cannot land.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npx ncc build src/index.ts -o "$tmp" --license licenses.txt >/dev/null 2>&1 || npx ncc build src/index.ts -o "$tmp" --license licenses.txt
status=0
for f in $(cd "$tmp" && find . -type f | sort); do
  if ! cmp -s "$tmp/$f" "dist/$f"; then
    echo "dist/$f differs from a fresh build of src/ (run: npm run build, then commit dist/)"
    status=1
  fi
done
for abi in 115 137; do
  [ -f "dist/native/better_sqlite3-abi$abi-linux-x64.node" ] || { echo "dist/native is missing the better-sqlite3 binary for ABI $abi (run: npm run build:native)"; status=1; }
done
[ $status -eq 0 ] && echo "dist/ is up to date"
exit $status
