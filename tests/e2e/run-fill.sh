#!/usr/bin/env bash
# Description: an ordinary C program (fill-helper: malloc, fill, check)
# under `uswap run` with a budget a quarter of its memory: every byte
# reads back right, write()/read() through evicted buffers work, the
# budget holds and pages really were evicted. Then the fork case: 256 MiB
# filled under 64M (evicted, part written back to the swap file), fork,
# the parent exits first, and the child finds every page.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
h=$root/build/tests/e2e/fill-helper

under 64M "$h" 256 || fail "fill-helper under uswap run failed: $(cat "$work/err")"
check_stats 64M 20000

rm -f "$work/child"
under 64M "$h" 256 fork "$work/child" || fail "fill-helper fork: the parent failed: $(cat "$work/err")"
for i in $(seq 600); do [ -s "$work/child" ] && break; sleep 0.1; done
[ "$(cat "$work/child" 2>/dev/null)" = ok ] || fail "the forked child found wrong pages ($(cat "$work/child" 2>/dev/null))"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); w=sum(p['uswap']['written_back_pages'] for p in d); print('written back before the fork:', w); sys.exit(0 if w > 0 else 1)" \
  "$work/stats.json" || echo "SKIP: no page reached the swap file before the fork"
echo ok
