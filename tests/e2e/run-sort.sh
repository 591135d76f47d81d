#!/usr/bin/env bash
# Description: sort(1) of a 100 MB text file with -S 40M (its buffer in
# memory) under `uswap run --limit 24M` writes exactly what it writes
# without uswap, with the budget held.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
python3 "$root/scripts/sort-input.py" "$work/in.txt" 500000 || fail "cannot make the input"
LC_ALL=C sort -S 40M "$work/in.txt" >"$work/want" || fail "sort without uswap failed"
LC_ALL=C under 24M sort -S 40M "$work/in.txt" || fail "sort under uswap run failed: $(cat "$work/err")"
cmp -s "$work/out" "$work/want" || fail "sort's output differs under uswap run"
check_stats 24M 2000
echo ok
