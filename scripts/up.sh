#!/usr/bin/env bash
# `npm run up`: installs what is missing, builds, starts a cluster in the foreground.
# Extra arguments go to `kujira up`, e.g. `npm run up -- --runtime simulated --simulated-nodes 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
exec bin/kujira up "$@"
