#!/usr/bin/env bash
# Runs a Docker client library's own test suite against one local engine directly and through flocker
# in front of three local engines (each in a network namespace of its own, like separate machines), then
# lists the tests whose outcome differs. It fetches nothing: give it a checkout of the suite.
#
#   scripts/client-suites.sh docker-py CHECKOUT [direct|flock|both|diff]
#   DOCKER_PY_TESTS='tests/integration/api_network_test.py ...' scripts/client-suites.sh docker-py ...   (a part)
#   scripts/client-suites.sh dockerode CHECKOUT [direct|flock|both|diff]   (run `npm install` in CHECKOUT first)
#
# Writes OUT/SUITE-direct.tsv and OUT/SUITE-flock.tsv (`outcome<TAB>test<TAB>first line of the error`) and
# OUT/SUITE-diff.tsv (the tests that pass on one side only). OUT: CLIENT_SUITES_OUT (default
# /tmp/client-suites). Needs root, docker.io, socat; docker-py also python3-pytest and python3-paramiko
# (it runs the checkout's own library with Debian's /usr/bin/python3). Swarm-mode tests are left out on
# both sides: flocker is not a swarm manager. The test images (alpine, busybox, hello-world, ubuntu) are the
# offline busybox image under those names, served by the flock's registry as the engines' mirror.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${1:?docker-py or dockerode}
CHECKOUT=$(cd "${2:?path of a checkout of the suite}" && pwd)
MODE=${3:-both}
OUT=${CLIENT_SUITES_OUT:-/tmp/client-suites}
PYTHON=${DOCKER_PY_PYTHON:-/usr/bin/python3}
# Which of docker-py's tests to run (paths below the checkout): all of tests/integration unless narrowed.
DOCKER_PY_TESTS=${DOCKER_PY_TESTS:-tests/integration}
mkdir -p "$OUT"

# Ports outside the range the e2e tests reserve (20000-31999), apart per suite and side: BASE+9 is
# the side's registry, BASE+99 flocker.
base_port() { # side
  local base=32100
  [[ $SUITE == dockerode ]] && base=32300
  [[ $1 == flock ]] && base=$((base + 100))
  echo "$base"
}
flock_env() { # side
  local base
  base=$(base_port "$1")
  echo "FLOCK_DIR=$OUT/$SUITE-$1-engines FLOCK_PORT=$base FLOCK_REGISTRY_PORT=$((base + 9)) FLOCK_NETNS=1"
}
flock() { env $(flock_env "$1") bash "$ROOT/scripts/local-flock.sh" "${@:2}"; }

# The images the suites use, made from the offline busybox image and pulled by every engine.
seed_images() { # side count
  local reg=$(($(base_port "$1") + 9)) sock i image
  sock="$OUT/$SUITE-$1-engines/n1/docker.sock"
  local dk=(env DOCKER_HOST="unix://$sock" DOCKER_BUILDKIT=0 docker)
  # busybox runs the applet its argv[0] names, and has no `bash`: a symlink would answer "applet not
  # found" (exit 127), so bash is a script that runs sh.
  printf 'FROM busybox:local\nRUN printf "#!/bin/sh\\nexec /bin/sh \\"\\$@\\"\\n" >/bin/bash && chmod +x /bin/bash\nCMD ["bash"]\n' |
    "${dk[@]}" build -q -t "127.0.0.1:$reg/library/ubuntu:latest" - >/dev/null
  for image in alpine:3.10 alpine:latest busybox:latest hello-world:latest; do
    "${dk[@]}" tag busybox:local "127.0.0.1:$reg/library/$image"
  done
  for image in alpine:3.10 alpine:latest busybox:latest hello-world:latest ubuntu:latest; do
    "${dk[@]}" push -q "127.0.0.1:$reg/library/$image" >/dev/null
    for i in $(seq 1 "$2"); do
      DOCKER_HOST="unix://$OUT/$SUITE-$1-engines/n$i/docker.sock" docker pull -q "$image" >/dev/null
    done
  done
}

run_docker_py() { # docker-host results
  # shellcheck disable=SC2086
  (cd "$CHECKOUT" && DOCKER_HOST=$1 PYTHONPATH=$CHECKOUT timeout 3600 "$PYTHON" -m pytest $DOCKER_PY_TESTS \
    -p no:cacheprovider -q \
    --ignore-glob='*swarm*' --ignore-glob='*service*' --ignore-glob='*secret*' --ignore-glob='*config_test*' \
    --ignore-glob='*nodes*' --junitxml="$2.xml" >"$2.log" 2>&1 || true)
  "$PYTHON" - "$2.xml" >"$2" <<'PY'
import sys, xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).iter('testcase'):
    name = f"{case.get('classname')}::{case.get('name')}"
    outcome, why = 'PASS', ''
    for child in case:
        if child.tag in ('failure', 'error', 'skipped'):
            outcome = {'failure': 'FAIL', 'error': 'FAIL', 'skipped': 'SKIP'}[child.tag]
            why = (child.get('message') or '').splitlines()[0][:300] if child.get('message') else ''
    print(f"{outcome}\t{name}\t{why}")
PY
}

run_dockerode() { # docker-host results
  local files=()
  for f in "$CHECKOUT"/test/*.js; do
    case ${f##*/} in spec_helper.js | swarm.js) ;; *) files+=("$f") ;; esac
  done
  (cd "$CHECKOUT" && DOCKER_HOST=$1 timeout 3600 node node_modules/mocha/bin/mocha.js --exit --timeout 60000 \
    --reporter json --reporter-option output="$2.json" "${files[@]}" >"$2.log" 2>&1 || true)
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    const line = (o, t) => console.log([o, t.fullTitle, (t.err?.message ?? "").split("\n")[0].slice(0, 300)].join("\t"))
    r.passes.forEach((t) => line("PASS", t)); r.failures.forEach((t) => line("FAIL", t)); r.pending.forEach((t) => line("SKIP", t))
  ' "$2.json" >"$2"
}

run_side() { # direct|flock
  local side=$1 count=1 host pid="" port=$(($(base_port flock) + 99))
  [[ $side == flock ]] && count=3
  flock "$side" down >/dev/null 2>&1 || true
  flock "$side" up "$count" >"$OUT/$SUITE-$side-nodes"
  seed_images "$side" "$count"
  host="unix://$OUT/$SUITE-$side-engines/n1/docker.sock"
  if [[ $side == flock ]]; then
    # shellcheck disable=SC2046
    setsid node --import tsx "$ROOT/src/server.ts" -H "tcp://127.0.0.1:$port" $(cat "$OUT/$SUITE-$side-nodes") \
      >"$OUT/$SUITE-flocker.log" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 1 100); do grep -q 'listening on' "$OUT/$SUITE-flocker.log" && break; sleep 0.2; done
    host="tcp://127.0.0.1:$port"
  fi
  echo "client-suites: $SUITE $side ($count engine(s), DOCKER_HOST=$host)" >&2
  "run_${SUITE//-/_}" "$host" "$OUT/$SUITE-$side.tsv"
  [[ -n "$pid" ]] && kill "$pid"
  flock "$side" down >/dev/null 2>&1 || true
  echo "client-suites: $side: $(cut -f1 "$OUT/$SUITE-$side.tsv" | sort | uniq -c | tr '\n' ' ')" >&2
}

diff_sides() {
  join -t $'\t' -j 2 <(sort -t $'\t' -k2,2 "$OUT/$SUITE-direct.tsv") <(sort -t $'\t' -k2,2 "$OUT/$SUITE-flock.tsv") |
    awk -F '\t' '$2 != $4 { print $2 "->" $4 "\t" $1 "\t" $5 }' >"$OUT/$SUITE-diff.tsv"
  echo "client-suites: $(wc -l <"$OUT/$SUITE-diff.tsv") tests differ (direct->flock): $OUT/$SUITE-diff.tsv" >&2
}

case "$SUITE" in docker-py | dockerode) ;; *) echo "suite: docker-py or dockerode" >&2; exit 2 ;; esac
case "$MODE" in
  direct | flock) run_side "$MODE" ;;
  both) run_side direct; run_side flock; diff_sides ;;
  diff) diff_sides ;;
  *) echo "mode: direct, flock, both or diff" >&2; exit 2 ;;
esac
