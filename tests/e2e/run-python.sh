#!/usr/bin/env bash
# Description: a Python 3 program that builds lists, dicts and strings
# (about 130 MB) and prints a digest of them gives the same digest under
# `uswap run --limit 64M` as without, with the budget held.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
py=$(python3 -c 'import sys; print(sys.executable)')
cat >"$work/p.py" <<'PY'
import hashlib
n = 500_000
words = [("w%d-" % i) * 6 for i in range(n)]
table = {i: [words[i], i * 7, str(i * 13)] for i in range(0, n, 2)}
h = hashlib.sha256()
for i in range(0, n, 2):
    w, a, b = table[i]
    h.update(w.encode()); h.update(b.encode()); h.update(str(a).encode())
for w in words[1::2]:
    h.update(w.encode())
print(h.hexdigest(), len(table))
PY
want=$("$py" "$work/p.py") || fail "python without uswap failed"
under 64M "$py" "$work/p.py" || fail "python under uswap run failed: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$want" ] || fail "digest differs: '$(cat "$work/out")' vs '$want'"
check_stats 64M 5000
echo ok
