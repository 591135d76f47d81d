#!/usr/bin/env bash
# Description: sort(1) of a 100 MB text file with -S 40M (its buffer in
# memory) under `uswap run --limit 24M` writes exactly what it writes
# without uswap, with the budget held.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
python3 - "$work/in.txt" <<'PY'
import random, sys
r = random.Random(7)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
with open(sys.argv[1], "w") as f:
    for i in range(500_000):
        f.write(" ".join(r.choice(words) for _ in range(8)) + " %d\n" % r.randrange(10**9))
PY
LC_ALL=C sort -S 40M "$work/in.txt" >"$work/want" || fail "sort without uswap failed"
LC_ALL=C under 24M sort -S 40M "$work/in.txt" || fail "sort under uswap run failed: $(cat "$work/err")"
cmp -s "$work/out" "$work/want" || fail "sort's output differs under uswap run"
check_stats 24M 2000
echo ok
