#!/usr/bin/env bash
# Description: the far tier under `uswap run`: a local Redis Cluster
# (scripts/redis-cluster.sh: three masters, a replica each) as the swap
# device of an unmodified program (fill-helper: malloc, fill, check) under
# a budget of a quarter of its memory with a small pool, so that most
# evicted pages go to the cluster and come back from it. Every byte reads
# back right, pages really came back from the cluster, and once the
# program has ended uswap run has removed its keys. Then two tiers: a small
# local swap file first and the cluster behind it (swapfile2). Also the refusals: no
# swapfile_size, and a URL where no cluster answers. Skips (77) where
# redis-server is not installed.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
h=$root/build/tests/e2e/fill-helper
command -v redis-server >/dev/null || skip "no redis-server here"
port=$((10000 + RANDOM % 12000)) # below the ephemeral ports (32768 on), cluster bus ports (+10000) too
cdir=$work/cluster
trap '"$root/scripts/redis-cluster.sh" stop "$cdir"; rm -rf "$work"' EXIT
url=$("$root/scripts/redis-cluster.sh" start "$cdir" --port "$port") || fail "the cluster did not come up"
keys() {
  local n=0
  for p in $port $((port + 1)) $((port + 2)) $((port + 3)) $((port + 4)) $((port + 5)); do
    redis-cli -p "$p" role 2>/dev/null | head -1 | grep -qx master &&
      n=$((n + $(redis-cli -p "$p" --scan --pattern 'uswap:*' | wc -l)))
  done
  echo "$n"
}

"$u" run --limit 32M --swapfile "$url" -o max_pool_percent=10 -- true 2>"$work/err" &&
  fail "a cluster device without swapfile_size was accepted"
grep -q "swapfile_size" "$work/err" || fail "the refusal does not name swapfile_size: $(cat "$work/err")"
"$u" run --limit 32M --swapfile "redis://127.0.0.1:$((port + 9))" -o swapfile_size=1G -- true 2>"$work/err" &&
  fail "a URL where no cluster answers was accepted"
grep -q "CLUSTER SLOTS" "$work/err" || fail "the refusal does not say the cluster did not answer: $(cat "$work/err")"

# fill_on WHAT uswap-run-options...: fill-helper 128 under 32M with those
# devices; every page right, pages came back, and no key left after it.
fill_on() {
  local what=$1; shift
  "$u" run --limit 32M "$@" --stats --stats-file "$work/stats.json" -- "$h" 128 >"$work/out" 2>"$work/err" ||
    fail "fill-helper with $what: $(cat "$work/err")"
  check_stats 32M 10000
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); n=sum(p['uswap']['pswpin'] for p in d); print('pages back:', n); sys.exit(n == 0)" \
    "$work/stats.json" || fail "no page came back from $what"
  grep -q "removed the keys of 1 ended processes" "$work/err" || fail "uswap run did not remove the keys: $(cat "$work/err")"
  local n
  n=$(keys)
  [ "$n" = 0 ] || fail "$n keys left on the cluster after the run with $what"
  echo "$what: no key left on the cluster"
}

fill_on "the cluster as its swap device" --swapfile "$url" -o swapfile_size=1G,max_pool_percent=10
# Two tiers: a local swap file of 8 MiB first, the cluster behind it
# (swapfile2); pages come back from both.
semi=${url//,/;} # in an option list, ';' separates the seeds
fill_on "a local file and the cluster behind it" \
  -o "swapfile_size=8M,swapfile2=$semi,swapfile2_size=1G,max_pool_percent=10"
"$u" run --limit 32M -o swapfile2=/tmp/x -- true 2>"$work/err" && fail "a named swapfile2 was accepted under uswap run"
echo ok
