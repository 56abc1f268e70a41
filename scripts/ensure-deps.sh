#!/usr/bin/env bash
# Installs what kujira needs and is missing: npm packages always; when running as root
# on Debian, the apt packages used by the real node agent (containerd, runc, CNI plugins).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/better-sqlite3 || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
if ! command -v kubectl >/dev/null; then
  echo "kujira: kubectl is not on PATH; the end-to-end tests and 'npm run up' expect the real kubectl" >&2
fi
