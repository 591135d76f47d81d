#!/usr/bin/env bash
# Description: a Python 3 program that builds lists, dicts and strings
# (about 140 MB; scripts/demo-prog.py, the program of make demo) and
# prints a digest of them gives the same output under `uswap run --limit
# 64M` as without, with the budget held.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
py=$(python3 -c 'import sys; print(sys.executable)')
want=$("$py" "$root/scripts/demo-prog.py") || fail "python without uswap failed"
under 64M "$py" "$root/scripts/demo-prog.py" || fail "python under uswap run failed: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$want" ] || fail "digest differs: '$(cat "$work/out")' vs '$want'"
check_stats 64M 5000
echo ok
