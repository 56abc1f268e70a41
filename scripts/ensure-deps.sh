#!/usr/bin/env bash
# Installs what kujira needs and is missing: the npm packages always; as root on Debian/Ubuntu, also the
# apt packages the real node agent and its tests use (containerd, runc, CNI plugins, busybox-static for
# the demo image, docker-registry for the pull tests). KUJIRA_NO_APT=1 skips the apt step.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/better-sqlite3 || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
apt_packages=(containerd runc containernetworking-plugins busybox-static docker-registry iptables iproute2 openssl)
if [[ -z ${KUJIRA_NO_APT:-} && $(id -u) == 0 ]] && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "kujira: installing ${missing[*]} (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
if ! command -v kubectl >/dev/null; then
  echo "kujira: kubectl is not on PATH; the end-to-end tests and 'npm run up' expect the real kubectl" >&2
fi
