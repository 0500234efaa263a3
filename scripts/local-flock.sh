#!/usr/bin/env bash
# A local flock of real docker engines, side by side on this machine (needs root and Debian's docker.io).
#
#   scripts/local-flock.sh up [N]     start N engines (default 3) and a local registry; prints the nodes
#   scripts/local-flock.sh down       stop them and remove their state
#   scripts/local-flock.sh nodes      print the --node flags for flocker
#   scripts/local-flock.sh stop I     stop engine I only (its state stays); `start I` brings it back
#
# Each engine has its own data root, exec root, pidfile, unix socket and loopback port, its own UTS
# namespace (distinct Name), its own key (distinct ID), no iptables and no bridge (containers use
# --network none). Each gets an offline busybox image (busybox:local, also tagged busybox:latest)
# with the same image ID everywhere, and pulls plain names from the local registry as a mirror.
#
# FLOCK_NETNS=1: each engine runs in a network namespace of its own, like a separate machine: loopback
# up, its default bridge (docker0), iptables and published ports, all private to it. It is reached
# through its unix socket only (`nodes` prints unix:// URLs); published ports cannot be reached from
# here, so tests that need them use the shared-namespace mode (the default). Inside each namespace,
# socat relays 127.0.0.1:FLOCK_REGISTRY_PORT to the registry (through a unix socket in FLOCK_DIR), so
# `127.0.0.1:PORT/image` names and the mirror work the same in both modes.
#
# Environment: FLOCK_DIR (default /tmp/flk), FLOCK_PORT (first port - 1, default 23750),
# FLOCK_REGISTRY_PORT (default 5000, 0 for none), FLOCK_LABELS ("1:region=eu,disk=ssd;2:region=us"),
# FLOCK_TLS_DIR (engines listen on tcp with --tlsverify; certificates for 127.0.0.1 are made there with
# openssl when missing: ca.pem, cert.pem and key.pem are the client's, for flocker's --tlscerts).
# FLOCK_NETNS=1 (see above; needs socat when there is a registry; not with FLOCK_TLS_DIR).
set -euo pipefail

DIR=${FLOCK_DIR:-/tmp/flk}
BASE_PORT=${FLOCK_PORT:-23750}
REGISTRY_PORT=${FLOCK_REGISTRY_PORT:-5000}
CACHE=${FLOCK_CACHE:-/tmp/flocker-cache}
NETNS=${FLOCK_NETNS:-0}
[[ "$NETNS" == 0 || -z "$NETNS" ]] && NETNS=""
DOCKER=${DOCKER_CLI:-docker}

die() { echo "local-flock: $*" >&2; exit 1; }

node_dir() { echo "$DIR/n$1"; }
node_port() { echo $((BASE_PORT + $1)); }
node_sock() { echo "$(node_dir "$1")/docker.sock"; }
dk() { local i=$1; shift; DOCKER_HOST="unix://$(node_sock "$i")" "$DOCKER" "$@"; }

labels_for() {
  local i=$1 entry
  IFS=';' read -ra entries <<<"${FLOCK_LABELS:-}"
  for entry in "${entries[@]}"; do
    [[ "${entry%%:*}" == "$i" ]] || continue
    local list=${entry#*:} out="" label
    IFS=',' read -ra labels <<<"$list"
    for label in "${labels[@]}"; do out+="\"$label\","; done
    echo "${out%,}"
  done
}

start_node() {
  local i=$1 d port
  d=$(node_dir "$i"); port=$(node_port "$i")
  mkdir -p "$d/data" "$d/exec"
  [[ -f "$d/pid" ]] && kill -0 "$(cat "$d/pid")" 2>/dev/null && return 0
  cat >"$d/daemon.json" <<JSON
{ "deprecated-key-path": "$d/key.json", "labels": [$(labels_for "$i")] }
JSON
  local mirror=() tls=()
  [[ "$REGISTRY_PORT" != 0 ]] && mirror=(--registry-mirror "http://127.0.0.1:$REGISTRY_PORT")
  [[ -n "${FLOCK_TLS_DIR:-}" ]] && tls=(--tlsverify --tlscacert "$FLOCK_TLS_DIR/ca.pem"
    --tlscert "$FLOCK_TLS_DIR/server-cert.pem" --tlskey "$FLOCK_TLS_DIR/server-key.pem")
  local ns=(--uts) setup="" net="-H 'tcp://127.0.0.1:$port' --iptables=false --bridge=none"
  if [[ -n "$NETNS" ]]; then
    # Its own network namespace: loopback up, the default bridge and iptables, the unix socket only.
    ns=(--uts --net) net="" setup="ip link set lo up;"
    [[ "$REGISTRY_PORT" != 0 ]] && setup+=" socat TCP-LISTEN:$REGISTRY_PORT,bind=127.0.0.1,fork,reuseaddr \
      UNIX-CONNECT:'$DIR/registry.sock' </dev/null >/dev/null 2>&1 & echo \$! >'$d/relay.pid';"
  fi
  # A proxy on a closed loopback port makes any look-up of a public registry fail at once.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost \
    setsid unshare "${ns[@]}" sh -c "hostname node$i; $setup exec dockerd --data-root '$d/data' \
      --exec-root '$d/exec' --pidfile '$d/pid' -H 'unix://$d/docker.sock' $net \
      --shutdown-timeout 2 --config-file '$d/daemon.json' ${mirror[*]} ${tls[*]}" >"$d/dockerd.log" 2>&1 </dev/null &
}

wait_node() {
  local i=$1
  for _ in $(seq 1 150); do
    dk "$i" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -20 "$(node_dir "$i")/dockerd.log" >&2
  die "engine $i did not start"
}

stop_node() {
  local i=$1 d pid
  d=$(node_dir "$i")
  [[ -f "$d/pid" ]] || return 0
  pid=$(cat "$d/pid")
  kill "$pid" 2>/dev/null || true
  # Wait until it is gone: a new engine on the same pidfile or port would exit silently.
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$d/pid"
  if [[ -f "$d/relay.pid" ]]; then kill "$(cat "$d/relay.pid")" 2>/dev/null || true; rm -f "$d/relay.pid"; fi
}

busybox_tar() {
  local tar="$CACHE/busybox-rootfs.tar"
  [[ -f "$tar" ]] && { echo "$tar"; return; }
  local bb root
  bb=$(command -v busybox || echo /bin/busybox)
  [[ -x "$bb" ]] || die "busybox not found (apt-get install busybox-static)"
  mkdir -p "$CACHE"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list); do [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"; done
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$root"
  echo "$tar"
}

load_image() {
  local n=$1 saved="$DIR/busybox-image.tar"
  if ! dk 1 image inspect busybox:local >/dev/null 2>&1; then
    dk 1 import -c 'CMD ["sh"]' "$(busybox_tar)" busybox:local >/dev/null
    dk 1 tag busybox:local busybox:latest
  fi
  dk 1 save -o "$saved" busybox:local busybox:latest
  for i in $(seq 2 "$n"); do
    dk "$i" image inspect busybox:local >/dev/null 2>&1 || dk "$i" load -q -i "$saved" >/dev/null
  done
}

start_registry() {
  [[ "$REGISTRY_PORT" == 0 ]] && return 0
  (exec 3<>/dev/tcp/127.0.0.1/"$REGISTRY_PORT") 2>/dev/null && return 0  # one already answers
  command -v docker-registry >/dev/null || die "docker-registry not found (apt-get install docker-registry)"
  mkdir -p "$DIR/registry"
  cat >"$DIR/registry/config.yml" <<YAML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $DIR/registry/data }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$REGISTRY_PORT }
YAML
  setsid docker-registry serve "$DIR/registry/config.yml" >"$DIR/registry/log" 2>&1 </dev/null &
  echo $! >"$DIR/registry/pid"
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/"$REGISTRY_PORT") 2>/dev/null && return 0; sleep 0.1; done
  die "registry did not start on 127.0.0.1:$REGISTRY_PORT"
}

# For engines in namespaces of their own: the registry's port as a unix socket they can all reach.
start_registry_relay() {
  [[ -z "$NETNS" || "$REGISTRY_PORT" == 0 || -f "$DIR/registry-relay.pid" ]] && return 0
  command -v socat >/dev/null || die "socat not found (apt-get install socat)"
  rm -f "$DIR/registry.sock"
  setsid socat UNIX-LISTEN:"$DIR/registry.sock",fork TCP:127.0.0.1:"$REGISTRY_PORT" </dev/null >/dev/null 2>&1 &
  echo $! >"$DIR/registry-relay.pid"
}

# A CA, a server certificate for 127.0.0.1 and a client certificate, in docker's layout.
make_certs() {
  local t=$FLOCK_TLS_DIR
  [[ -f "$t/ca.pem" && -f "$t/server-cert.pem" && -f "$t/cert.pem" ]] && return 0
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  mkdir -p "$t"
  (
    cd "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=flock-ca -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server-cert.pem
    openssl req -newkey rsa:2048 -nodes -subj /CN=flocker -keyout key.pem -out client.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out cert.pem
  ) >/dev/null 2>&1 || die "could not make certificates in $t"
}

count() { ls -d "$DIR"/n* 2>/dev/null | wc -l; }

nodes() {
  local scheme=tcp i
  [[ -n "${FLOCK_TLS_DIR:-}" ]] && scheme=https
  for i in $(seq 1 "$(count)"); do
    if [[ -n "$NETNS" ]]; then echo "--node node$i=unix://$(node_sock "$i")"
    else echo "--node node$i=$scheme://127.0.0.1:$(node_port "$i")"; fi
  done
}

cmd=${1:-}
case "$cmd" in
  up)
    n=${2:-3}
    command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
    [[ $(id -u) == 0 ]] || die "run as root: dockerd needs it"
    [[ -n "$NETNS" && -n "${FLOCK_TLS_DIR:-}" ]] && die "FLOCK_NETNS engines have no tcp listener: no FLOCK_TLS_DIR"
    mkdir -p "$DIR"
    start_registry
    start_registry_relay
    [[ -n "${FLOCK_TLS_DIR:-}" ]] && make_certs
    for i in $(seq 1 "$n"); do start_node "$i"; done
    for i in $(seq 1 "$n"); do wait_node "$i"; done
    load_image "$n"
    nodes
    ;;
  down)
    for d in "$DIR"/n*; do [[ -d "$d" ]] && stop_node "${d##*/n}"; done
    # An engine that was killed (the fault tests do) leaves its containers and their shims running with
    # nothing left to stop them; they pile up over a test run. End them, each container's process first.
    for shim in $(pgrep -f -- "containerd-shim.* -address $DIR/" || true); do
      pkill -9 -P "$shim" 2>/dev/null || true
      kill -9 "$shim" 2>/dev/null || true
    done
    for pidfile in "$DIR/registry/pid" "$DIR/registry-relay.pid"; do
      if [[ -f "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    # Engines leave mounts behind (overlay, shm, netns): unmount before removing.
    grep -o " $DIR/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$DIR"
    ;;
  stop) stop_node "${2:?engine number}" ;;
  start) start_node "${2:?engine number}"; wait_node "$2" ;;
  nodes) nodes ;;
  *) sed -n '2,25p' "$0"; exit 2 ;;
esac
