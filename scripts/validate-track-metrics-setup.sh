#!/usr/bin/env bash
# Checks a sqlite-s3 setup before the first workflow run: config file, S3 settings, credentials,
# bucket, and a put / get / delete of a probe object next to the database key, with the same
# client settings as the action. Run from the repository that holds unentropy.json, e.g.
#   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
#     path/to/track-metrics/scripts/validate-track-metrics-setup.sh --bucket my-metrics --region eu-west-1
# --help lists the flags. Credentials are read from the environment, never from flags.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$here/../dist/setup-check/index.js"
[ -f "$bundle" ] || { echo "✘ $bundle is missing: run npm run build in the track-metrics repository." >&2; exit 1; }
exec node "$bundle" "$@"
