#!/usr/bin/env bash
# Description: an ordinary C program (fill-helper: malloc, fill, check)
# under `uswap run` with a budget a quarter of its memory: every byte
# reads back right, write()/read() through evicted buffers work, the
# budget holds and pages really were evicted. Then the fork case: 256 MiB
# filled under 64M (evicted, part written back to the swap file), fork,
# the parent exits first, and the child finds every page. And mlock: the
# locked pages stay resident under pressure, and uswap never even tries to
# move them (the kernel would refuse: evict_refused). And mlockall: every
# page comes back and stays. And mremap with MREMAP_FIXED, and the return
# of emptied chunks. And a forked child filling memory of its own, in both
# fault modes.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
h=$root/build/tests/e2e/fill-helper

under 64M "$h" 256 || fail "fill-helper under uswap run failed: $(cat "$work/err")"
check_stats 64M 20000

# mlock: 8 MiB locked, then 120 MiB more under a 32M budget: the locked
# pages never leave (fill-helper checks with mincore).
under 32M "$h" 128 mlock || fail "fill-helper mlock: $(cat "$work/err")"
check_stats 32M 10000
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=sum(p['uswap']['evict_refused'] for p in d); print('evict_refused', r); sys.exit(r != 0)" \
  "$work/stats.json" || fail "uswap tried to evict mlock'ed pages (the kernel refused: they were not pinned)"

# mlockall under a 32M budget after 64 MiB were filled (and evicted):
# every page comes back and stays, 8 MiB allocated after it too; said once.
under 32M "$h" 64 mlockall || fail "fill-helper mlockall: $(cat "$work/err")"
[ "$(grep -c 'locked its memory (mlockall)' "$work/err")" = 1 ] || fail "mlockall not said once: $(cat "$work/err")"

# mremap with MREMAP_FIXED: 16 MiB moved onto another managed mapping,
# then onto an address the kernel had reserved; every byte follows.
under 32M "$h" 64 mremap || fail "fill-helper mremap: $(cat "$work/err")"
check_stats 32M 1000

# Chunks left empty go back: 2.4 GiB of mappings made and unmapped leave
# at most the chunk that holds malloc's memory and one empty one kept.
under 32M "$h" 16 unmap || fail "fill-helper unmap: $(cat "$work/err")"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c=max(p['heap_chunks'] for p in d); print('heap chunks after the unmaps:', c); sys.exit(c > 2)" \
  "$work/stats.json" || fail "the heap kept the emptied chunks"

rm -f "$work/child"
under 64M "$h" 256 fork "$work/child" || fail "fill-helper fork: the parent failed: $(cat "$work/err")"
for i in $(seq 600); do [ -s "$work/child" ] && break; sleep 0.1; done
[ "$(cat "$work/child" 2>/dev/null)" = ok ] || fail "the forked child found wrong pages ($(cat "$work/child" 2>/dev/null))"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); w=sum(p['uswap']['written_back_pages'] for p in d); print('written back before the fork:', w); sys.exit(0 if w > 0 else 1)" \
  "$work/stats.json" || echo "SKIP: no page reached the swap file before the fork"

# A forked child that fills memory of its own under a budget, in both
# fault modes: in SIGBUS mode the child's faults once went to the
# parent's instance (its copy still listed in the SIGBUS handler's
# table), whose closed userfaultfd could not resolve them: the child
# faulted forever. Each process keeps its own 32M.
for mode in handler sigbus; do
  USWAP_FAULT_MODE=$mode timeout 120 "$u" run --limit-per-process 32M --stats-file "$work/stats.json" -- \
    "$h" 16 childfill 96 >"$work/out" 2>"$work/err" || fail "fill-helper childfill ($mode): status $?: $(cat "$work/err")"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c=[p for p in d if p['ppid'] in [q['pid'] for q in d]]; print('$mode: the child evicted', c[0]['uswap']['swapouts'], 'pages'); sys.exit(not c or c[0]['uswap']['swapouts'] < 10000)" \
    "$work/stats.json" || fail "the forked child did not keep its budget ($mode)"
done
echo ok
