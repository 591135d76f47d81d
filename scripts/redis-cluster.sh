#!/usr/bin/env bash
# A local Redis Cluster for uswap's far tier (swapfile=redis://...), from
# Debian's redis-server (scripts/install-deps installs it).
#
#   scripts/redis-cluster.sh start [DIR] [--port P] [--masters N] [--replicas R]
#       starts N masters (default 3) with R replicas each (default 1) on
#       127.0.0.1 ports P, P+1, ... (default 7301), their files in DIR
#       (default /var/tmp/uswap-redis), waits until the cluster is ok and
#       prints its URL: redis://127.0.0.1:P,127.0.0.1:P+1
#   scripts/redis-cluster.sh stop [DIR]
#       stops the servers started in DIR and removes DIR
#
# The servers keep nothing on disk (no RDB, no AOF) and serve the slots
# they have when a master without a replica is lost
# (cluster-require-full-coverage no): a far tier's pages on the other
# masters stay readable.
set -euo pipefail
cmd=${1:-}
[ $# -gt 0 ] && shift
dir=/var/tmp/uswap-redis
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then dir=$1; shift; fi
port=7301 masters=3 replicas=1
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --masters) masters=$2; shift 2 ;;
    --replicas) replicas=$2; shift 2 ;;
    *) echo "redis-cluster.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

# The nodes' logs on stderr (a start that failed says why there).
logs() {
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "== $f" && tail -5 "$f"; } >&2; done
}

stop() {
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.port; do
    [ -f "$f" ] && redis-cli -p "$(cat "$f")" shutdown nosave >/dev/null 2>&1 || true
  done
  for f in "$dir"/*.pid; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$dir"
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "redis-cluster.sh: redis-server is not installed (scripts/install-deps)" >&2; exit 77; }
  [ "$masters" -ge 3 ] || { echo "redis-cluster.sh: a cluster needs 3 masters or more" >&2; exit 2; }
  [ ! -e "$dir" ] || { echo "redis-cluster.sh: $dir exists: stop that cluster first" >&2; exit 1; }
  mkdir -p "$dir"
  local n=$((masters * (1 + replicas))) hosts=() p
  for ((i = 0; i < n; i++)); do
    p=$((port + i))
    echo "$p" >"$dir/$p.port"
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
      --cluster-node-timeout 1500 --cluster-require-full-coverage no --save "" --appendonly no \
      --daemonize yes --dir "$dir" --logfile "$dir/$p.log" --pidfile "$dir/$p.pid" >/dev/null ||
      { echo "redis-cluster.sh: redis-server on port $p did not start" >&2; logs; stop; exit 1; }
    hosts+=("127.0.0.1:$p")
  done
  for ((i = 0; i < n; i++)); do
    for _ in $(seq 50); do redis-cli -p $((port + i)) ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/create.log" 2>&1 ||
    { cat "$dir/create.log" >&2; logs; stop; exit 1; }
  for ((i = 0; i < n; i++)); do
    local ok=
    for _ in $(seq 100); do
      redis-cli -p $((port + i)) cluster info 2>/dev/null | grep -q 'cluster_state:ok' && { ok=1; break; }
      sleep 0.2
    done
    [ -n "$ok" ] || { echo "redis-cluster.sh: the cluster did not come up" >&2; logs; stop; exit 1; }
  done
  echo "redis://127.0.0.1:$port,127.0.0.1:$((port + 1))"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
