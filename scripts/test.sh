#!/usr/bin/env bash
# The test command (npm test): static checks, unit tests, then end-to-end tests against real engines
# on Node, Bun and Deno. Under CI the end-to-end tests never skip: missing engines fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== static checks (tsc, deno check, deno lint, deno fmt)"
npm run --silent check

echo "== unit tests"
node --import tsx --test --test-reporter=spec tests/unit/*.test.ts

if [[ "$(id -u)" != 0 ]] || ! command -v dockerd >/dev/null; then
  if [[ -n "${CI:-}" ]]; then echo "end-to-end tests need root and dockerd (run scripts/install.sh)" >&2; exit 1; fi
  echo "== end-to-end tests skipped: they need root and dockerd (scripts/install.sh installs it)"
  exit 0
fi
echo "== end-to-end tests (real docker CLI -> flocker -> real dockerd) on ${FLOCKER_RUNTIMES:-node,bun,deno}"
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-reporter=spec tests/e2e/*.test.ts
