#!/usr/bin/env bash
# Starts three local engines (scripts/local-flock.sh) and flocker in front of them on
# tcp://127.0.0.1:2375 (override with FLOCKER_HOST). Ctrl-C stops flocker and the engines.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f dist/bin/flocker.js ]] || npm run build
mapfile -t nodes < <(scripts/local-flock.sh up "${FLOCK_SIZE:-3}")
trap 'scripts/local-flock.sh down' EXIT
echo "export DOCKER_HOST=${FLOCKER_HOST:-tcp://127.0.0.1:2375}   # then: docker run --rm --network none busybox:local echo hi"
# The bin itself, so that Node gets the flags its first lines give (scripts/bundle.mjs).
# shellcheck disable=SC2068
dist/bin/flocker.js ${nodes[@]} "$@"
