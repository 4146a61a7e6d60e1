#!/bin/sh
# The reference Docker for the benchmarks: Debian's docker.io (dockerd + its own containerd + runc),
# started beside wharfd on its own socket, data root, exec root and bridge, so it collides with
# neither wharfd nor a Docker the host may already run.
#
#   bench/docker-reference.sh install   install docker.io, docker-registry and wrk when missing
#   bench/docker-reference.sh start [--iptables]   start the reference dockerd (restarts a stale
#                                       one of ours); --iptables: with Docker's NAT rules (below)
#   bench/docker-reference.sh stop [--purge]   stop it, remove its bridge; --purge: its data too
#   bench/docker-reference.sh status    exit 0 when it answers on its socket
#
# Networking choice: --iptables=false --ip-forward=false. dockerd then adds no iptables chains
# and leaves net.ipv4.ip_forward alone, so the host is left as it was, and containers cannot
# reach outside addresses (no masquerade, no forwarding). Published ports still work on
# 127.0.0.1 through docker-proxy, the same path Docker's default setup takes for loopback
# traffic (its DNAT rules do not apply to 127.0.0.1 unless userland-proxy is off).
# `start --iptables` (the benchmarks) turns --iptables on, still without forwarding or masquerade:
# dockerd then adds its DOCKER chains and a DNAT rule per published port, so traffic to a port
# published on the host's address takes Docker's iptables path while 127.0.0.1 still goes
# through docker-proxy. `stop` removes its rules for our bridge, and its chains when this script's
# dockerd made them (a Docker already on the host keeps its own).
# The bridge is our own (wbench0, 172.31.254.1/24), never docker0, so a real Docker on the
# host keeps its bridge; user networks come from 172.31.0.0/17 (wharf uses 10.209.0.0/16).
set -eu

BASE_DIR=${WHARF_BENCH_DOCKER_DATA:-/var/lib/wharf-bench/docker}
RUN_DIR=${WHARF_BENCH_RUN:-/run/wharf-bench}
EXEC_ROOT=$RUN_DIR/docker
SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/docker.pid
LOG=$RUN_DIR/docker.log
CONFIG=$RUN_DIR/docker-daemon.json
CHAINS_OURS=$RUN_DIR/docker-chains-ours
BRIDGE=wbench0
BRIDGE_ADDR=172.31.254.1/24
POOLS=base=172.31.0.0/17,size=24

log() { echo "docker-reference: $*" >&2; }

alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() { curl -sf --max-time 2 --unix-socket "$SOCK" http://docker/_ping >/dev/null 2>&1; }

# Stop a service that a package's postinst may have started, only if it runs.
stop_service() {
  if [ -d /run/systemd/system ]; then
    systemctl is-active --quiet "$1" 2>/dev/null && systemctl stop "$1" && log "stopped service $1"
  elif [ -x "/etc/init.d/$1" ]; then
    "/etc/init.d/$1" status >/dev/null 2>&1 && "/etc/init.d/$1" stop >/dev/null 2>&1 && log "stopped service $1"
  fi
  return 0
}

cmd_install() {
  need=""
  command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
  command -v docker-registry >/dev/null 2>&1 || need="$need docker-registry"
  command -v wrk >/dev/null 2>&1 || need="$need wrk"
  [ -z "$need" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing:$need — run as root to install them with apt"
    return 1
  fi
  # policy-rc.d exit 101 keeps postinst scripts from starting dockerd/containerd/registry
  # as system services, which would hold the default socket and port 5000.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  log "installing:$need"
  rc=0
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
  } >&2 || rc=$?
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  # Where the init system ignored policy-rc.d, stop what the packages started.
  for s in $need; do
    case $s in
    docker.io) stop_service docker.socket; stop_service docker; stop_service containerd ;;
    docker-registry) stop_service docker-registry ;;
    esac
  done
  return $rc
}

cmd_start() {
  iptables_mode=false
  [ "${1:-}" = "--iptables" ] && iptables_mode=true
  command -v dockerd >/dev/null 2>&1 || { log "dockerd not installed (run: $0 install)"; return 1; }
  # Shared by CI steps, benchmarks and test runs: one that is up (or coming up) is used as it
  # is, never restarted under someone else's feet.
  if alive; then
    i=0
    while [ $i -lt 300 ]; do
      answers && { log "already up on unix://$SOCK"; return 0; }
      alive || break
      sleep 0.1
      i=$((i + 1))
    done
    log "a reference dockerd that does not answer is in the way: stopping it first"
    cmd_stop
  fi
  mkdir -p "$RUN_DIR" "$EXEC_ROOT" "$BASE_DIR"
  # Our own (empty) daemon.json, so a host /etc/docker/daemon.json cannot change the setup.
  echo '{}' >"$CONFIG"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  if $iptables_mode && ! iptables -t nat -n -L DOCKER >/dev/null 2>&1; then touch "$CHAINS_OURS"; fi
  # No --containerd: dockerd spawns and supervises its own containerd under the exec root.
  setsid dockerd \
    --config-file "$CONFIG" \
    --host "unix://$SOCK" \
    --data-root "$BASE_DIR" \
    --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" \
    --bridge "$BRIDGE" \
    --default-address-pool "$POOLS" \
    --iptables=$iptables_mode --ip-forward=false --ip-masq=false \
    --log-level warn \
    </dev/null >>"$LOG" 2>&1 &
  i=0
  while [ $i -lt 300 ]; do
    answers && { log "up on unix://$SOCK"; return 0; }
    if [ $i -gt 10 ] && ! alive && ! kill -0 $! 2>/dev/null; then break; fi
    sleep 0.1
    i=$((i + 1))
  done
  log "dockerd did not answer on $SOCK; last lines of $LOG:"
  tail -n 5 "$LOG" >&2 || true
  return 1
}

# Unmount anything still mounted under a directory, deepest first.
umount_under() {
  # The directory itself too: dockerd bind-mounts its data root onto itself (made private).
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}

# Docker's iptables rules for our bridge; its chains and their jumps too when our dockerd made them.
remove_docker_rules() {
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -- "$BRIDGE" | grep '^-A ' | sed 's/^-A /-D /' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done
  done
  [ -f "$CHAINS_OURS" ] || return 0
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j DOCKER' | sed 's/^-A /-D /' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done
    chains=$(iptables -t $table -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ { print $2 }')
    for chain in $chains; do iptables -t $table -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do iptables -t $table -X "$chain" 2>/dev/null || true; done
  done
  rm -f "$CHAINS_OURS"
}

cmd_stop() {
  if alive; then
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      log "dockerd $pid ignored SIGTERM for 30 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Shims of our containerd outlive a killed dockerd; they are ours by their containerd address.
  for p in $(pgrep -f "containerd-shim.*-address $EXEC_ROOT/" 2>/dev/null || true); do
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -f "$PIDFILE"
  umount_under "$EXEC_ROOT"
  umount_under "$BASE_DIR"
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  remove_docker_rules
  if [ "${1:-}" = "--purge" ]; then
    rm -rf --one-file-system "$BASE_DIR" "$EXEC_ROOT" "$CONFIG" "$SOCK"
  fi
  return 0
}

case "${1:-}" in
install) cmd_install ;;
start) shift; cmd_start "${1:-}" ;;
stop) shift; cmd_stop "${1:-}" ;;
status) answers ;;
*) echo "usage: $0 install|start [--iptables]|stop [--purge]|status" >&2; exit 2 ;;
esac
