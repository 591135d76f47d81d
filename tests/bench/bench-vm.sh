#!/usr/bin/env bash
# Description: `uswap bench vm`: bad arguments fail with exit 2 and a
# message naming the problem; a small run of every workload in both fault
# modes and 1 and 2 threads gives a JSON row per (workload, system,
# threads) with no lost page; as root with zram and a v1 memory cgroup,
# --kernel adds the kernel's rows and leaves the machine's swap state
# (swaps, zswap parameters, zram0, page-cluster, the cgroup) as it found
# it, also when interrupted by SIGINT in the middle of a kernel run.
set -uo pipefail
. "$(dirname "$0")/../expect.sh"

expect 0 "usage: uswap bench \[vm\]" "$u" bench vm --help
expect 0 "(the default)" "$u" bench --help
expect 2 "must be below --size" "$u" bench vm -s 16M -l 16M
expect 2 "workload 'nope' is unknown" "$u" bench vm -w nope
expect 2 "fault mode 'x' is unknown" "$u" bench --modes x
expect 2 "ops 'zero' is not a count" "$u" bench vm -n zero
expect 2 "threads '0' is not a number from 1 to 64" "$u" bench vm -t 1,0
expect 2 "not a size from 4M" "$u" bench vm -s 1M
expect 2 "unknown option 'nope'" "$u" bench vm -o nope=1
expect 2 "theta '0' is not a number" "$u" bench vm --theta 0

# Every workload, both modes, 1 and 2 threads: a row each, nothing lost.
out=$("$u" bench vm -s 24M -l 6M -n 30000 -w all -c random -t 1,2 --json 2>/dev/null) ||
  fail "bench vm failed: $out"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
runs = {(r["workload"], r["system"], r["threads"]): r for r in d["runs"]}
want = [("touch", "anon", 1)]
for m in ("handler", "sigbus"):
    want += [("touch", "uswap-" + m, 1), ("swap", "uswap-" + m, 1), ("swap", "floor-" + m, 1)]
    want += [(w, "uswap-" + m, t) for w in ("seq", "random", "zipf") for t in (1, 2)]
for k in want:
    r = runs.get(k)
    assert r and r["ok"], ("missing or failed", k, r)
for k, r in runs.items():
    assert r.get("lost_pages", 0) == 0, ("lost pages", k)
    if k[0] in ("seq", "random", "zipf"):
        assert r["ops"]["n"] == 30000 and r["ops"]["major_faults"] > 0, k
        assert r["hwm_bytes"] <= 1.05 * (6 << 20), ("over the limit", k, r["hwm_bytes"])
    if k[0] == "swap" and k[1].startswith("uswap"):
        assert r["seq"]["mibs"] > 0 and r["rnd"]["p50_ns"] > 0, k
print(len(runs), "rows")
' "$out" || fail "bench vm JSON wrong"

# The kernel side: root, zram and a v1 memory cgroup.
if [ "$(id -u)" != 0 ] || [ ! -d /sys/fs/cgroup/memory ] || ! { [ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null; } ||
   [ "$(cat /sys/block/zram0/disksize 2>/dev/null)" != 0 ]; then
  echo "SKIP: --kernel needs root, a free zram0 and a v1 memory cgroup"
  exit 0
fi
state() {
  { tail -n +2 /proc/swaps; cat /sys/module/zswap/parameters/{enabled,compressor,max_pool_percent};
    cat /sys/block/zram0/disksize /proc/sys/vm/page-cluster; ls /sys/fs/cgroup/memory | grep uswap;
    ls /run/uswap-bench-kernel.state 2>/dev/null; } 2>&1
}
before=$(state)
out=$("$u" bench vm --kernel=zram-lz4,zswap-lzo-rle-pc0 -m sigbus -s 24M -l 8M -n 20000 -w swap,random -c random \
  --json 2>/dev/null) || fail "bench vm --kernel failed: $out"
[ "$(state)" = "$before" ] || fail "bench vm --kernel changed the machine: before [$before] after [$(state)]"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
runs = {(r["workload"], r["system"]): r for r in d["runs"]}
for s in ("kernel-zram-lz4", "kernel-zswap-lzo-rle-pc0", "uswap-sigbus"):
    for w in ("swap", "random"):
        r = runs[(w, s)]
        # The kernel under an 8M memory cgroup is sometimes OOM-killed (the
        # bench reports it as a result, by design); uswap must always finish.
        if s.startswith("kernel") and not r["ok"] and "out of memory" in r.get("error", ""):
            print("SKIP: %s %s was OOM-killed by the kernel" % (s, w))
            continue
        assert r["ok"], (w, s, r)
        assert r["lost_pages"] == 0, (w, s)
assert not runs[("swap", "kernel-zram-lz4")]["ok"] or runs[("swap", "kernel-zram-lz4")]["rnd"]["major_faults"] > 0
' "$out" >"$USWAP_CORPUS_DIR/kernel-check" || fail "bench vm --kernel JSON wrong: $(cat "$USWAP_CORPUS_DIR/kernel-check") $out"
cat "$USWAP_CORPUS_DIR/kernel-check"

# Interrupted in the middle of a kernel run: the state is put back.
"$u" bench vm --kernel=zram-lz4 -m none -s 256M -l 8M -n 100000000 -w random -c random >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q zram0 /proc/swaps && break; sleep 0.1; done
grep -q zram0 /proc/swaps || { kill $pid; fail "the kernel run never started"; }
sleep 1
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] || fail "interrupted bench exited $rc, expected 130 (SIGINT)"
[ "$(state)" = "$before" ] || fail "interrupted bench left the machine changed: [$(state)]"
echo "restored after SIGINT"
