#!/usr/bin/env bash
# Description: swap devices on a Redis Cluster (swapfile=redis://...). The
# test starts a cluster of its own on localhost (three masters with one
# replica each, from Debian's redis-server), then through
# tests/swap/redis-helper:
#   1. pages go out to the cluster (directly and by zswap writeback, in
#      batches) and every one reads back right; freed slots' keys are
#      unlinked (the masters hold exactly the keys the helper expects), and
#      after close no key of the instance is left;
#   2. pages go out, a master is killed at once, its replica takes over, and
#      every page still reads back right (writes waited for a replica's
#      acknowledgement; the client follows the new slot map);
#   2b. pages go out, 3000 hash slots move to another master (resharding:
#      their keys migrate), and every page still reads back right (MOVED);
#   3. through the public API (uswap_open with swapfile=redis://...), a
#      region twice its budget is written, read and checked in both fault
#      modes with its evicted pages on the cluster; no key left after
#      uswap_close.
# Skips (77) where redis-server is not installed. REDIS_HELPER names
# another build of the helper (make check: ASan, TSan).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${REDIS_HELPER:-$root/build/tests/swap/redis-helper}
[ -x "$bin" ] || { echo "build first: $bin missing"; exit 1; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "no redis-server here"; exit 77; }
dir=$(mktemp -d /var/tmp/uswap-redis-XXXXXX)
base=$((21000 + RANDOM % 20000))
ports=($base $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4)) $((base + 5)))
cleanup() {
  for p in "${ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1; done
  for f in "$dir"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a timeout's SIGTERM: the EXIT trap still stops the servers
fail() { echo "FAIL: $*"; exit 1; }

for p in "${ports[@]}"; do
  redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
    --cluster-node-timeout 1500 --save "" --appendonly no --daemonize yes --dir "$dir" \
    --logfile "$dir/$p.log" --pidfile "$dir/$p.pid" >/dev/null || fail "redis-server on port $p did not start"
done
for p in "${ports[@]}"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
done
hosts=$(printf '127.0.0.1:%s ' "${ports[@]}")
# shellcheck disable=SC2086
redis-cli --cluster create $hosts --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
  { cat "$dir/create.log"; fail "redis-cli --cluster create"; }
cluster_ok() { # port
  for _ in $(seq 100); do
    redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && return 0; sleep 0.2
  done
  return 1
}
for p in "${ports[@]}"; do cluster_ok "$p" || fail "the cluster did not come up"; done
echo "cluster: masters and replicas on ports ${ports[*]}"

masters() { for p in "${ports[@]}"; do redis-cli -p "$p" role 2>/dev/null | head -1 | grep -qx master && echo "$p"; done; }
keys() { # the instance keys on the masters
  local n=0
  for p in $(masters); do n=$((n + $(redis-cli -p "$p" --scan --pattern 'uswap:*' | wc -l))); done
  echo "$n"
}
url="redis://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}"

# The helper runs in the background, its output in a file, a FIFO as its
# stdin: start (name, mode), wait for a line (name, line), go on (name).
start() {
  mkfifo "$dir/$1.in"
  "$bin" "$url" "$2" >"$dir/$1.out" 2>&1 <"$dir/$1.in" &
  eval "pid_$1=$!"
  exec {fd}>"$dir/$1.in"
  eval "fd_$1=$fd"
}
wait_line() {
  for _ in $(seq 600); do
    grep -qx "$2" "$dir/$1.out" && return 0
    kill -0 "$(eval echo "\$pid_$1")" 2>/dev/null || break
    sleep 0.1
  done
  sed 's/^/  /' "$dir/$1.out"; fail "the helper ($1) stopped before '$2'"
}
go_on() { # name: let it finish; its output, and its exit status
  local fd pid
  fd=$(eval echo "\$fd_$1"); pid=$(eval echo "\$pid_$1")
  echo go >&"$fd"; exec {fd}>&-
  wait "$pid"; local rc=$?
  sed 's/^/  /' "$dir/$1.out"
  return $rc
}

# 1. Basic.
start basic basic
wait_line basic COUNT
expect=$(sed -n 's/^expect \([0-9]*\) keys$/\1/p' "$dir/basic.out")
got=$(keys)
go_on basic || fail "basic run failed"
echo "the masters held $got keys of the instance before close (expected $expect)"
[ "$got" = "$expect" ] || fail "freed slots left keys behind, or keys are missing"
got=$(keys)
[ "$got" = 0 ] || fail "$got keys left after close"
echo "after close: no key left"

# 2. Failover: a master dies after the pages went out.
start failover failover
wait_line failover READY
victim=$(masters | head -1)
[ -n "$victim" ] || fail "no master"
redis-cli -p "$victim" shutdown nosave >/dev/null 2>&1
echo "killed the master on port $victim"
for p in "${ports[@]}"; do [ "$p" = "$victim" ] || { cluster_ok "$p" && break; }; done
go_on failover || fail "failover run failed"
got=$(keys)
[ "$got" = 0 ] || fail "$got keys left after close"
echo "failover: every page read back; after close no key left"

# 2b. Resharding: pages go out, 3000 slots move from one master to another
# (redis-cli --cluster reshard migrates their keys), and every page still
# reads back right (the client follows MOVED to the new owner).
start reshard failover
wait_line reshard READY
from=$(redis-cli -p "${ports[1]}" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ {print $1}' | head -1)
to=$(redis-cli -p "${ports[1]}" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ {print $1}' | sed -n 2p)
[ -n "$from" ] && [ -n "$to" ] || fail "fewer than two masters left"
redis-cli --cluster reshard "127.0.0.1:${ports[1]}" --cluster-from "$from" --cluster-to "$to" \
  --cluster-slots 3000 --cluster-yes >"$dir/reshard.log" 2>&1 || { tail -5 "$dir/reshard.log"; fail "reshard"; }
echo "moved 3000 slots from $from to $to"
go_on reshard || fail "reshard run failed"
got=$(keys)
[ "$got" = 0 ] || fail "$got keys left after close"
echo "reshard: every page read back; after close no key left"

# 3. The library: a region under a budget, its pages on the cluster.
start api api
go_on api || fail "api run failed"
got=$(keys)
[ "$got" = 0 ] || fail "$got keys left after uswap_close"
echo "api: every page read back; after uswap_close no key left"
