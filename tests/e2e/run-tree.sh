#!/usr/bin/env bash
# Description: a process tree under `uswap run`: make -j4 runs four
# programs (through a shell) that each fill 96 MiB and hold it. With
# --limit-per-process 48M each is kept within its own 48M; with --limit
# 128M the four share one budget: sampled while they hold their memory,
# their resident pages and pools together stay near 128M (they would need
# 384M), sampled and by the tree's own high-water mark. Every program
# checks every byte.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
h=$root/build/tests/e2e/fill-helper
printf 'all: a b c d\na b c d:\n\t%s 96 hold $(HOLD) && echo $@ done\n' "$h" >"$work/Makefile"
"$u" run --limit-per-process 48M --stats-file "$work/stats.json" -- make -s -j4 -C "$work" HOLD=0 >"$work/out" 2>"$work/err" ||
  fail "make -j4 under uswap run failed: $(cat "$work/err")"
[ "$(sort "$work/out" | tr '\n' ' ')" = "a done b done c done d done " ] || fail "make's output: $(cat "$work/out")"
check_stats 48M 40000

under 128M make -s -j4 -C "$work" HOLD=4 &
runner=$!
worst=0
for i in $(seq 20); do
  sleep 0.5
  used=$("$u" stat --json | python3 -c "
import json, sys
d = [p for p in json.load(sys.stdin) if p['comm'] == 'fill-helper']
print(len(d), sum(p['uswap']['resident_bytes'] + p['uswap']['pool_total_size'] for p in d) >> 20)")
  echo "sample $i: $used (processes, MiB resident + pool)"
  set -- $used
  [ "$1" = 4 ] && [ "$2" -gt "$worst" ] && worst=$2
done
wait $runner || fail "make -j4 under one 128M budget failed: $(cat "$work/err")"
[ "$(sort "$work/out" | tr '\n' ' ')" = "a done b done c done d done " ] || fail "make's output: $(cat "$work/out")"
echo "the four together used at most $worst MiB of the 128M budget"
[ "$worst" -gt 0 ] || fail "never saw the four processes holding their memory"
[ "$worst" -le 141 ] || fail "the tree used $worst MiB, over the 128M budget + 10%"

# The tree's own high-water mark (tree_peak: the sum the processes
# published, which they do as their usage moves): four processes that
# start at once and fill as fast as they can must not take the limit each
# before they see each other.
under 128M make -s -j4 -C "$work" HOLD=0 || fail "make -j4 under one 128M budget failed: $(cat "$work/err")"
peak=$(python3 -c "
import json, sys
print(max(p.get('tree_peak', 0) for p in json.load(open(sys.argv[1]))) >> 20)" "$work/stats.json")
echo "the tree's peak while four processes filled 96 MiB each at once: $peak MiB"
[ "$peak" -gt 100 ] || fail "tree_peak $peak MiB: the processes did not share the budget"
[ "$peak" -le 134 ] || fail "the tree reached $peak MiB, over the 128M budget + 5%"
echo ok
