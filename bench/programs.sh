#!/usr/bin/env bash
# Real programs under `uswap run` at the sizes of issue #11, each beside
# the same run without uswap (same output required): wall time, peak RSS,
# and from uswap's statistics the resident high-water mark, the pool, the
# managed share and the memory saved, per program.
#   bench/programs.sh [LIMIT] [SCALE]   (defaults 256M, 1.0: about 1 GiB each)
# ROW_TIMEOUT=SECONDS stops a program under uswap run after that long (a
# workload that thrashes its budget) and says so in its row. ONLY=REGEX
# runs the rows whose name matches. KERNEL=1 (root) also runs each
# program in a memory cgroup (v1) of the same limit with the kernel's zswap
# (lzo-rle, this kernel's zswap has no lz4; max_pool_percent 50) in front
# of a 4 GiB swap file, and prints its time: the machine's swap state is
# put back afterwards. The kernel's cgroup v1 does not charge the zswap
# pool to the cgroup: for a like comparison give uswap the same with
# UOPTS=pool_in_limit=off (UOPTS: options for uswap run's -o).
set -uo pipefail
cd "$(dirname "$0")/.."
limit=${1:-256M} scale=${2:-1.0}
u=build/uswap
py=$(python3 -c 'import sys; print(sys.executable)')
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
n() { python3 -c "print(int($1 * $scale))"; }

want() { [ -z "${ONLY:-}" ] || [[ $1 =~ $ONLY ]]; }

# The kernel's side (KERNEL=1): zswap over a swap file, a memory cgroup.
zsw=/sys/module/zswap/parameters cg=/sys/fs/cgroup/memory/uswap-programs
kernel_up() {
  saved_zswap=$(cat $zsw/enabled) saved_comp=$(cat $zsw/compressor) saved_pct=$(cat $zsw/max_pool_percent)
  fallocate -l 4G "$w/swap" && chmod 600 "$w/swap" && mkswap -q "$w/swap" >/dev/null && swapon "$w/swap" &&
    echo lzo-rle >$zsw/compressor && echo 50 >$zsw/max_pool_percent && echo Y >$zsw/enabled &&
    mkdir -p $cg && echo "$((${limit%M} << 20))" >$cg/memory.limit_in_bytes
}
kernel_down() {
  [ -n "${saved_zswap:-}" ] || return 0
  rmdir $cg 2>/dev/null
  swapoff "$w/swap" 2>/dev/null
  echo "$saved_zswap" >$zsw/enabled; echo "$saved_comp" >$zsw/compressor; echo "$saved_pct" >$zsw/max_pool_percent
}
if [ -n "${KERNEL:-}" ]; then
  trap 'kernel_down; rm -rf "$w"' EXIT
  kernel_up || { echo "KERNEL=1: cannot set up zswap and a memory cgroup (root? cgroup v1 memory?)"; exit 1; }
fi


row() { # name, command...: time both, compare stdout, print a row
  local name=$1; shift
  want "$name" || return 0
  /usr/bin/time -f "%e %M" -o "$w/t0" "$@" >"$w/want" 2>/dev/null || { echo "$name: failed without uswap"; return; }
  local rc=0
  timeout "${ROW_TIMEOUT:-0}" /usr/bin/time -f "%e %M" -o "$w/t1" "$u" run --limit "$limit" ${UOPTS:+-o "$UOPTS"} --stats-file "$w/s.json" -- "$@" \
    >"$w/got" 2>"$w/err" || rc=$?
  [ $rc = 124 ] && { echo "$name: stopped after ${ROW_TIMEOUT} s under uswap run (plain: $(cut -d' ' -f1 "$w/t0") s)"; return; }
  [ $rc = 0 ] || { echo "$name: FAILED under uswap run: $(tail -3 "$w/err")"; return; }
  local kernel=""
  if [ -n "${KERNEL:-}" ]; then
    rc=0
    timeout "${ROW_TIMEOUT:-0}" /usr/bin/time -f "%e %M" -o "$w/t2" \
      sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@" >"$w/kgot" 2>/dev/null || rc=$?
    if [ $rc = 124 ]; then kernel="kernel zswap in a ${limit} memcg: stopped after ${ROW_TIMEOUT} s"
    elif [ $rc != 0 ]; then kernel="kernel zswap in a ${limit} memcg: failed ($rc)"
    else
      cmp -s "$w/want" "$w/kgot" || kernel="(DIFFERENT output) "
      kernel="${kernel}kernel zswap in a ${limit} memcg: $(cut -d' ' -f1 "$w/t2") s, uswap/kernel $(python3 -c "import sys; print(round(float(sys.argv[1].split()[0])/max(float(sys.argv[2].split()[0]),0.01),2))" "$(cat "$w/t1")" "$(cat "$w/t2")")"
    fi
  fi
  local same=same; cmp -s "$w/want" "$w/got" || same=DIFFERENT
  python3 - "$name" "$w/t0" "$w/t1" "$w/s.json" "$same" <<'PY'
import json, sys
name, t0, t1, js, same = sys.argv[1:]
a = open(t0).read().split(); b = open(t1).read().split()
procs = json.load(open(js))
big = max(procs, key=lambda p: p.get("managed_peak", 0))
u = big["uswap"]
print(f'{name:<34} {float(a[0]):7.1f} {float(b[0]):8.1f} {float(b[0])/max(float(a[0]),0.01):6.1f}x '
      f'{int(a[1])/1024:8.0f} {big["rss_hwm"]/2**20:8.0f} {u["resident_hwm"]/2**20:8.0f} '
      f'{100*big["managed_share"]:6.0f}% {big.get("saving_at_peak", 1):6.2f}x {sum(p["uswap"]["swapouts"] for p in procs):9d} '
      f'{sum(p["uswap"]["poisoned"] for p in procs):4d}  {same}')
PY
  [ -z "$kernel" ] || echo "    $kernel"
}

echo "limit $limit for each program (its whole process tree); times in s, memory in MiB; rss: peak RSS without and with uswap; resid: uswap resident high-water mark; saved: memory saved at the largest; the statistics are those of the process that used the most"
printf '%-34s %7s %8s %7s %8s %8s %8s %7s %7s %9s %4s  %s\n' program plain uswap ratio "rss" "rss(u)" resid managed saved swapouts lost output
row "python3 lists/dicts/strings" "$py" scripts/demo-prog.py "$(n 3800000)"
if want "sort -S 800M"; then
  python3 scripts/sort-input.py "$w/in.txt" "$(n 15000000)"
  row "sort -S 800M ($(du -m "$w/in.txt" | cut -f1) MB)" env LC_ALL=C sort -S 800M "$w/in.txt"
  rm -f "$w/in.txt"
fi
cat >"$w/q.sql" <<SQL
PRAGMA cache_size = -2000000;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $(n 5000000))
INSERT INTO t SELECT x, (x * 7919) % 100003, printf('row %d: %x', x, x * 31) || substr('padding padding padding padding padding padding padding padding padding padding padding padding padding padding', 1, 100 + x % 60) FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(k), max(length(s)) FROM t;
SELECT k, count(*) FROM t GROUP BY k ORDER BY count(*) DESC, k LIMIT 5;
SELECT sum(length(s)) FROM t WHERE id % 97 = 0;
SQL
row "sqlite3 :memory: + index" sh -c "sqlite3 :memory: < $w/q.sql"
row "stress-ng --vm 2 --vm-bytes 1G --verify" sh -c 'stress-ng --vm 2 --vm-bytes 1G --vm-method all --verify -t 30s >/dev/null 2>&1 && echo passed'
row "fork after 512 MiB, child checks" sh -c "build/tests/e2e/fill-helper 512 fork $w/child; while [ ! -s $w/child ]; do sleep 0.1; done; cat $w/child"
printf 'all: a b c d\na b c d:\n\t%s 300 && echo $@ >/dev/null\n' "$PWD/build/tests/e2e/fill-helper" >"$w/Makefile"
row "make -j4: 4 x 300 MiB" make -s -j4 -C "$w"
