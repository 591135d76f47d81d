#!/usr/bin/env bash
# Description: sqlite3 builds and queries an in-memory database (about
# 150 MB) under `uswap run --limit 48M` and answers the queries exactly as
# without uswap, with the budget held.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
command -v sqlite3 >/dev/null || skip "no sqlite3"
cat >"$work/q.sql" <<'SQL'
PRAGMA cache_size = -200000;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 600000)
INSERT INTO t SELECT x, (x * 7919) % 100003, printf('row %d: %x', x, x * 31) || substr('padding padding padding padding padding padding padding padding', 1, 60 + x % 40) FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(k), max(length(s)) FROM t;
SELECT k, count(*) FROM t GROUP BY k ORDER BY count(*) DESC, k LIMIT 5;
SELECT s FROM t WHERE k = 4242 ORDER BY id LIMIT 3;
SELECT sum(length(s)) FROM t WHERE id % 97 = 0;
SQL
sqlite3 :memory: <"$work/q.sql" >"$work/want" || fail "sqlite3 without uswap failed"
under 48M sqlite3 :memory: <"$work/q.sql" || fail "sqlite3 under uswap run failed: $(cat "$work/err")"
cmp -s "$work/out" "$work/want" || fail "sqlite3's answers differ: $(diff "$work/out" "$work/want" | head)"
check_stats 48M 2000
echo ok
