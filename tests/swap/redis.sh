#!/usr/bin/env bash
# Description: swap devices on a Redis Cluster (swapfile=redis://...). The
# test starts a cluster of its own on localhost (three masters with one
# replica each, from Debian's redis-server), then through
# tests/swap/redis-helper:
#   1. pages go out to the cluster (directly and by zswap writeback, in
#      batches) and every one reads back right; freed slots' keys are
#      unlinked (the masters hold exactly the keys the helper expects), and
#      after close no key of the instance is left;
#   1b. with encrypt=on, writeback's pages go as sealed objects: no value
#      holds a plain object, and a sealed value changed on the cluster
#      fails that page alone;
#   2. pages go out, a master is killed at once, its replica takes over, and
#      every page still reads back right (writes waited for a replica's
#      acknowledgement; the client follows the new slot map);
#   2a. a master cut off its replica (the replica stopped, the link
#      killed) acknowledges pages, then dies, and the replica takes over
#      without them: the device's write window kept them, a flush sends
#      them again, and every page reads back right from the cluster
#      (without the window they would be lost: nothing waits for the
#      replica's acknowledgement per page);
#   2b. pages go out, 3000 hash slots move to another master (resharding:
#      their keys migrate), and every page still reads back right (MOVED);
#   2c. pages go out, 20 slots are left half-migrated with their keys
#      moved, and every page still reads back right (ASK);
#   3. through the public API (uswap_open with swapfile=redis://...), a
#      region twice its budget is written, read and checked in both fault
#      modes with its evicted pages on the cluster; no key left after
#      uswap_close;
#   4. a crashed instance's keys: kept by `uswap remote-gc` while its lease
#      lives, removed once it is gone;
#   5. AUTH from redis_auth_file (refused when others can read it);
#   6. on a second cluster without replicas, a master lost: its pages fail
#      (EIO, counted), every other page reads back right.
# The clusters come from scripts/redis-cluster.sh.
# Skips (77) where redis-server is not installed. REDIS_HELPER names
# another build of the helper (make check: ASan, TSan).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${REDIS_HELPER:-$root/build/tests/swap/redis-helper}
[ -x "$bin" ] || { echo "build first: $bin missing"; exit 1; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "no redis-server here"; exit 77; }
tmp=$(mktemp -d /var/tmp/uswap-redis-XXXXXX)
dir=$tmp/run
base=$((10000 + RANDOM % 12000)) # below the ephemeral ports (32768 on), cluster bus ports (+10000) too
ports=($base $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4)) $((base + 5)))
cleanup() {
  "$root/scripts/redis-cluster.sh" stop "$tmp/cluster"
  "$root/scripts/redis-cluster.sh" stop "$tmp/lost-cluster"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a timeout's SIGTERM: the EXIT trap still stops the servers
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$dir"

# The cluster: scripts/redis-cluster.sh, as a user would start one.
"$root/scripts/redis-cluster.sh" start "$tmp/cluster" --port "$base" >/dev/null || fail "the cluster did not come up"
cluster_ok() { # port
  for _ in $(seq 100); do
    redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && return 0; sleep 0.2
  done
  return 1
}
echo "cluster: masters and replicas on ports ${ports[*]}"

masters() { for p in "${ports[@]}"; do redis-cli -p "$p" role 2>/dev/null | head -1 | grep -qx master && echo "$p"; done; }
pid_of() { redis-cli -p "$1" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p' | tr -d '\r'; }
info_num() { redis-cli -p "$1" info replication | sed -n "s/^$2:\([0-9]*\).*/\1/p" | tr -d '\r'; }
replica_of() { redis-cli -p "$1" role | awk 'NR > 3 && /^[0-9]+$/ {print; exit}'; } # a master's first replica's port
caught_up() { # master replica: wait until the replica has what the master had
  # (Redis replicates asynchronously: a replica behind by earlier tests'
  # deletes would bring their keys back when promoted)
  local want
  want=$(info_num "$1" master_repl_offset)
  for _ in $(seq 100); do
    [ "$(info_num "$2" slave_repl_offset)" -ge "$want" ] 2>/dev/null && return 0; sleep 0.1
  done
  return 1
}
took_over() { # port: wait until it is a master and the cluster serves every slot
  for _ in $(seq 150); do
    redis-cli -p "$1" role 2>/dev/null | head -1 | grep -qx master && break; sleep 0.2
  done
  redis-cli -p "$1" role | head -1 | grep -qx master && cluster_ok "$1"
}
keys() { # [instance]: the instances' keys (or one instance's) on the masters
  local n=0
  for p in $(masters); do n=$((n + $(redis-cli -p "$p" --scan --pattern "uswap:${1:-}*" | wc -l))); done
  echo "$n"
}
instances() { # the instances that have keys on the masters, one per line
  for p in $(masters); do redis-cli -p "$p" --scan --pattern 'uswap:*' | cut -d: -f2; done | sort -u
}
# A helper's keys are those of instances that had none when it started: a
# replica promoted by one test may bring back keys an earlier test's close
# deleted (Redis replicates deletes asynchronously), and those are not
# this helper's. remote-gc (test 4) removes such keys once their lease
# is gone, as it would for a user.
no_keys_left() { # after what, helper name: fail if the masters still hold keys of the helper's instances
  local before got=0 p
  before=$(eval echo "\$before_$2")
  for p in $(masters); do
    got=$((got + $(redis-cli -p "$p" --scan --pattern 'uswap:*' | cut -d: -f2 | grep -vxF -f <(printf '%s\n' x $before) | wc -l)))
  done
  [ "$got" = 0 ] && return
  for p in $(masters); do # which master holds them, of which instance, and which slots it serves
    echo "  master $p: $(redis-cli -p "$p" --scan --pattern 'uswap:*' | cut -d: -f2 | sort | uniq -c | tr '\n' ' ')"
  done
  echo "  instances with keys before the helper started: ${before:-none}"
  redis-cli -p "$(masters | head -1)" cluster nodes | sed 's/^/  /'
  fail "$got keys left after $1"
}
url="redis://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}"

uswap=$root/build/uswap

# The helper runs in the background, its output in a file, a FIFO as its
# stdin: start (name, mode), wait for a line (name, line), go on (name).
start() { # name mode [url]
  eval "before_$1=\"$(instances | tr '\n' ' ')\""
  mkfifo "$dir/$1.in"
  "$bin" "${3:-$url}" "$2" >"$dir/$1.out" 2>&1 <"$dir/$1.in" &
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
no_keys_left close basic
echo "after close: no key left"

# 1b. Encryption at rest: writeback's pages go as sealed objects. No value
# on the cluster is a plain object (kind byte 2, the compressor's name in
# clear); some are sealed ones (kind 3). One sealed value is changed on
# the cluster: that page alone fails its check.
start sealed sealed
wait_line sealed READY
plain=0 sealed=0 victim=""
for m in $(masters); do
  for k in $(redis-cli -p "$m" --scan --pattern 'uswap:*' | grep -v lease | head -150); do
    kind=$(redis-cli -p "$m" --raw getrange "$k" 0 0 | head -c1 | od -An -tu1 | tr -d ' ')
    case $kind in
      2) plain=$((plain + 1)) ;;
      3) sealed=$((sealed + 1)); [ -n "$victim" ] || victim="$m $k" ;;
    esac
  done
done
echo "values looked at: $sealed sealed objects, $plain plain objects"
[ "$plain" = 0 ] || fail "$plain values on the cluster are objects in clear under encrypt=on"
[ -n "$victim" ] || fail "no sealed object on the cluster"
read -r vm vk <<<"$victim"
redis-cli -p "$vm" setrange "$vk" 8 "XYZ" >/dev/null
go_on sealed || fail "sealed run failed"
no_keys_left close sealed
echo "sealed: only sealed objects in the values looked at; the changed one failed alone; after close no key left"

# 2. Failover: a master dies after the pages went out.
start failover failover
wait_line failover READY
victim=$(masters | head -1)
[ -n "$victim" ] || fail "no master"
heir=$(replica_of "$victim")
[ -n "$heir" ] || fail "the master on port $victim has no replica"
caught_up "$victim" "$heir" || fail "the replica on port $heir does not catch up"
kill -9 "$(pid_of "$victim")" # at once (SHUTDOWN would wait for a lagging replica, writes paused)
echo "killed the master on port $victim"
took_over "$heir" || fail "the replica on port $heir did not take over"
go_on failover || fail "failover run failed"
no_keys_left close failover
echo "failover: every page read back; after close no key left"

# 2a. A master acknowledges pages its replica never gets, and dies.
start unrepl unreplicated
wait_line unrepl OPEN
victim="" replica=""
for m in $(masters); do # a master with a replica (the failover above left one without), not a seed
  [ "$m" = "${ports[0]}" ] || [ "$m" = "${ports[1]}" ] && continue
  replica=$(replica_of "$m")
  [ -n "$replica" ] && { victim=$m; break; }
done
[ -n "$victim" ] || fail "no master with a replica left"
replica_pid=$(pid_of "$replica") victim_pid=$(pid_of "$victim")
caught_up "$victim" "$replica" || fail "the replica on port $replica does not catch up" # then only this run's pages are missing
kill -STOP "$replica_pid"
redis-cli -p "$victim" client kill type replica >/dev/null
echo "stopped the replica on port $replica and cut its master's ($victim) link"
fd=$fd_unrepl; echo go >&"$fd"
wait_line unrepl READY
kill -9 "$victim_pid"
kill -CONT "$replica_pid"
echo "killed the master on port $victim; the replica resumes"
took_over "$replica" || fail "the replica on port $replica did not take over"
echo go >&"$fd"
wait_line unrepl SYNCED
id=$(sed -n 's/^instance \([0-9a-f]*\)$/\1/p' "$dir/unrepl.out")
got=0
for m in $(masters); do got=$((got + $(redis-cli -p "$m" --scan --pattern "uswap:$id:*" | wc -l))); done
go_on unrepl || fail "unreplicated run failed"
[ "$got" = 61 ] || fail "the masters held $got keys of the instance, not 60 pages + the lease"
no_keys_left close unrepl
echo "unreplicated: every page sent again and read back from the cluster; after close no key left"

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
no_keys_left close reshard
echo "reshard: every page read back; after close no key left"

# 2c. ASK: pages go out, then 20 of the hash slots that hold them are left
# half-migrated (MIGRATING on one master, IMPORTING on another, their keys
# moved): the old owner answers ASK for those keys, and every page still
# reads back right (the target's ASKING count shows the path was taken).
start ask failover
wait_line ask READY
read -r src dst <<<"$(masters | head -2 | tr '\n' ' ')"
[ -n "$src" ] && [ -n "$dst" ] || fail "fewer than two masters"
src_id=$(redis-cli -p "$src" cluster myid) dst_id=$(redis-cli -p "$dst" cluster myid)
slots=$(for k in $(redis-cli -p "$src" --scan --pattern 'uswap:*' | head -40); do redis-cli -p "$src" cluster keyslot "$k"; done |
  sort -un | head -20)
moved=0
for slot in $slots; do
  redis-cli -p "$dst" cluster setslot "$slot" importing "$src_id" >/dev/null
  redis-cli -p "$src" cluster setslot "$slot" migrating "$dst_id" >/dev/null
  ks=$(redis-cli -p "$src" cluster getkeysinslot "$slot" 1000)
  # shellcheck disable=SC2086
  [ -n "$ks" ] && redis-cli -p "$src" migrate 127.0.0.1 "$dst" "" 0 5000 keys $ks >/dev/null &&
    moved=$((moved + $(echo "$ks" | wc -w)))
done
[ "$moved" -gt 0 ] || fail "no key was migrated"
echo "left $(echo "$slots" | wc -w) slots half-migrated from $src to $dst, $moved keys moved"
asking0=$(redis-cli -p "$dst" info commandstats | sed -n 's/^cmdstat_asking:calls=\([0-9]*\).*/\1/p')
go_on ask || fail "ask run failed"
asking=$(redis-cli -p "$dst" info commandstats | sed -n 's/^cmdstat_asking:calls=\([0-9]*\).*/\1/p')
[ "${asking:-0}" -gt "${asking0:-0}" ] || fail "no ASKING reached the importing master: the ASK path was not taken"
for slot in $slots; do # finish the migration
  for p in "$src" "$dst"; do redis-cli -p "$p" cluster setslot "$slot" node "$dst_id" >/dev/null; done
done
no_keys_left close ask
echo "ask: every page read back through ASK ($((asking - ${asking0:-0})) ASKING); after close no key left"

# 3. The library: a region under a budget, its pages on the cluster.
start api api
go_on api || fail "api run failed"
no_keys_left uswap_close api
echo "api: every page read back; after uswap_close no key left"

# 4. A crashed instance: its keys stay while its lease lives; remote-gc
# keeps them then, and removes them once the lease is gone (it expires a
# minute after the crash: the test deletes it, as its expiry would).
start crash crash
wait_line crash READY
go_on crash || fail "crash run failed"
n=$(keys)
[ "$n" -gt 1 ] || fail "the crashed instance left no keys ($n)"
"$uswap" remote-gc "$url" >"$dir/gc1.out" || { cat "$dir/gc1.out"; fail "remote-gc"; }
grep -q "lease held: kept" "$dir/gc1.out" || { cat "$dir/gc1.out"; fail "remote-gc did not say it kept the instance"; }
[ "$(keys)" = "$n" ] || fail "remote-gc removed keys of an instance that holds its lease"
for p in $(masters); do
  for k in $(redis-cli -p "$p" --scan --pattern 'uswap:*:lease'); do redis-cli -p "$p" del "$k" >/dev/null; done
done
"$uswap" remote-gc --dry-run "$url" >"$dir/gc2.out" || fail "remote-gc --dry-run"
grep -q "would be removed" "$dir/gc2.out" && [ "$(keys)" = $((n - 1)) ] ||
  { cat "$dir/gc2.out"; fail "remote-gc --dry-run: wrong report, or it removed keys"; }
"$uswap" remote-gc "$url" >"$dir/gc3.out" || fail "remote-gc"
sed 's/^/  /' "$dir/gc3.out"
[ "$(keys)" = 0 ] || fail "$(keys) keys left after remote-gc"
echo "crash: $n keys left behind; remote-gc kept them under the lease, removed them after it"

# 5. AUTH from a file: the cluster asks for a password; without it, and
# with a file others can read, the cluster is refused; with a 0600 file,
# remote-gc (and any device) gets in.
for p in "${ports[@]}"; do
  redis-cli -p "$p" config set masterauth s3cret >/dev/null 2>&1
  redis-cli -p "$p" config set requirepass s3cret >/dev/null 2>&1
done
printf 's3cret\n' >"$tmp/auth"
chmod 644 "$tmp/auth"
"$uswap" remote-gc -o redis_timeout_ms=500 "$url" >"$dir/a1.out" 2>&1 && fail "a cluster with a password let us in without it"
grep -q "AUTH" "$dir/a1.out" || { cat "$dir/a1.out"; fail "no word of AUTH in the error"; }
"$uswap" remote-gc -o "redis_auth_file=$tmp/auth" "$url" >"$dir/a2.out" 2>&1 && fail "a 0644 auth file was used"
grep -q "chmod 600" "$dir/a2.out" || { cat "$dir/a2.out"; fail "the 0644 auth file's error does not say what to do"; }
chmod 600 "$tmp/auth"
"$uswap" remote-gc -o "redis_auth_file=$tmp/auth" "$url" >"$dir/a3.out" 2>&1 || { cat "$dir/a3.out"; fail "auth file"; }
echo "auth: refused without the password and with a 0644 file; in with a 0600 file"

# 6. A master without a replica lost: on a cluster of three masters and
# no replicas, the pages on the lost one fail (EIO, counted: the caller
# poisons them), every other page reads back right, and the listing says
# a master is down.
lbase=$((base + 10))
lurl=$("$root/scripts/redis-cluster.sh" start "$tmp/lost-cluster" --port "$lbase" --replicas 0) ||
  fail "the cluster without replicas did not come up"
start lost lost "$lurl"
wait_line lost READY
redis-cli -p $((lbase + 2)) shutdown nosave >/dev/null 2>&1
echo "killed the master on port $((lbase + 2)), which has no replica"
go_on lost || fail "lost run failed"
