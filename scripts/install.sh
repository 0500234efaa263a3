#!/usr/bin/env bash
# Installs what flocker's tests and local flock need on a fresh Debian machine: docker engines,
# busybox for the offline image, a registry, openssl for TLS certificates, the compose and python
# clients, Chromium for the admin page test, socat (relays the registry into engines that run in
# network namespaces of their own), Redis, etcd and HAProxy for the replica tests, then the npm packages
# (which bring Bun and Deno). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(docker.io busybox-static docker-registry openssl docker-compose python3-docker iproute2 util-linux chromium socat
  redis-server etcd-server haproxy)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages (run as root to install): ${missing[*]}" >&2
  fi
fi
npm ci --no-audit --no-fund
