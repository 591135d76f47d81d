# Sourced by the end-to-end tests of `uswap run` (tests/e2e/run-*.sh): real,
# unmodified programs under a memory budget. Provides $u, $work (a folder
# removed on exit), fail, skip, under (run a command under uswap run with
# its statistics kept) and check_stats (every process's statistics: no
# page lost, the budget held).
. "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
work=$(mktemp -d)
trap 'rm -rf "$work" "$USWAP_CORPUS_DIR"' EXIT
skip() { echo "$*"; exit 77; }
[ -x "$root/build/libuswap-preload.so" ] || [ -f "$root/build/libuswap-preload.so" ] ||
  skip "no build/libuswap-preload.so (a sanitizer build does not make it)"

# under LIMIT cmd...: uswap run --limit LIMIT --stats-file $work/stats.json;
# its exit status; the program's output in $work/out, stderr in $work/err.
under() {
  local limit=$1; shift
  local rc=0
  "$u" run --limit "$limit" --stats-file "$work/stats.json" -- "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ $rc -eq 0 ] || echo "(uswap run exited with status $rc)" >>"$work/err"
  return $rc
}

# check_stats LIMIT [MIN_SWAPOUTS]: every process's final statistics: none
# lost or refilled a page, the resident pages stayed within LIMIT + 5%,
# and together they evicted at least MIN_SWAPOUTS pages (the budget was
# really in force). Prints one line per process.
check_stats() {
  python3 - "$work/stats.json" "$1" "${2:-0}" <<'PY' || fail "statistics: see above"
import json, sys
procs = json.load(open(sys.argv[1]))
limit = float(sys.argv[2].rstrip('M')) * 2**20 if sys.argv[2].endswith('M') else float(sys.argv[2])
ok, outs = True, 0
if not procs:
    print("no process left statistics"); sys.exit(1)
for p in procs:
    u = p["uswap"]
    outs += u["swapouts"]
    print(f'{p["comm"]} pid {p["pid"]}: resident_hwm {u["resident_hwm"]/2**20:.1f} MiB, swapouts {u["swapouts"]}, '
          f'swapins {u["swapins"]}, managed {100*p["managed_share"]:.0f}%, poisoned {u["poisoned"]}')
    if u["poisoned"] or u["zero_refills"]:
        print("  a page was lost or refilled with zeros"); ok = False
    if u["resident_hwm"] > limit * 1.05:
        print(f'  resident high-water mark over the limit + 5%'); ok = False
if outs < int(sys.argv[3]):
    print(f"only {outs} pages evicted in all: the budget was not in force"); ok = False
sys.exit(0 if ok else 1)
PY
}
