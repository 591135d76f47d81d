#!/usr/bin/env bash
# Description: `uswap run` and `uswap stat` refuse bad input with a clear
# message and exit 2 before running anything (bad option, no program, a
# static program, an unwritable TMPDIR); pass the program's exit status
# through (128+N for a signal); subprocess and system() children work; a swap file path shared by the tree's
# processes is refused (a directory is taken); write --stats-file JSON; and `uswap stat`
# shows a running program (text, --json, --prometheus) from a private
# directory.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"

expect 0 "usage: uswap run" "$u" run --help
expect 2 "no program given" "$u" run --limit 64M
expect 2 "option limit: 'lots' is not valid" "$u" run --limit lots -- true
expect 2 "unknown option 'nope'" "$u" run -o nope=1 -- true
expect 2 "expected key=value" "$u" run -o limit -- true
expect 2 "jemalloc or libc" "$u" run --malloc tcmalloc -- true
expect 127 "no such program" "$u" run -- /nonexistent/prog
printf 'int main(void) { return 0; }\n' >"$work/s.c"
if gcc -static -o "$work/static" "$work/s.c" 2>/dev/null; then
  expect 2 "is statically linked" "$u" run -- "$work/static"
else
  echo "SKIP: no static libc to build a static program with"
fi
expect 2 "cannot make the swap file in /proc" env TMPDIR=/proc "$u" run -- true
expect 2 "give a directory" "$u" run --swapfile "$work/s.c" -- true
expect 2 "give a directory" "$u" run -o swapfile=/nonexistent/swap -- true
expect 0 "" "$u" run --swapfile "$work" --limit 8M -- true
expect 0 "" "$u" run --swapfile none --limit 8M -- true
expect 7 "" "$u" run --limit 64M -- sh -c 'exit 7'
expect 137 "" "$u" run -- sh -c 'kill -9 $$'
expect 0 "exited 0" "$u" run --stats --limit 64M -- true
expect 0 "exited 0" "$u" run --malloc libc --stats -- true
"$u" run --limit 64M --stats-file "$work/s.json" -- true || fail "uswap run true failed"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d and 'uswap' in d[0] and 'limit' in d[0]['uswap'], d" \
  "$work/s.json" || fail "--stats-file is not the JSON array of process statistics"

# uswap stat on a live program.
py=$(python3 -c 'import sys; print(sys.executable)')
# posix_spawn/vfork children (subprocess) and system() work.
out=$("$u" run --limit 32M -- "$py" -c "
import os, subprocess
print(subprocess.run(['echo', 'spawned'], capture_output=True, text=True).stdout.strip(), os.system('exit 3') >> 8)") ||
  fail "subprocess under uswap run: $out"
[ "$out" = "spawned 3" ] || fail "subprocess/system under uswap run said '$out'"

"$u" run --limit 64M -- "$py" -c "import time; x = bytearray(64 << 20); time.sleep(5)" &
runner=$!
for i in $(seq 40); do "$u" stat | grep -q python && break; sleep 0.2; done
out=$("$u" stat) || fail "uswap stat failed: $out"
grep -q "python" <<<"$out" || fail "uswap stat does not show the running program: $out"
"$u" stat --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert any('python' in p['comm'] for p in d), d" ||
  fail "uswap stat --json"
"$u" stat --prometheus | grep -q '^uswap_resident_bytes{pid="[0-9]*",comm="python' || fail "uswap stat --prometheus"
dir=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/uswap}; dir=${dir:-/tmp/uswap-$(id -u)}
[ "$(stat -c %a "$dir")" = 700 ] || fail "$dir is not mode 0700"
wait $runner || fail "the python program under uswap run failed"
# SIGTERM to uswap run alone (a supervisor's kill) reaches the program.
"$u" run --limit 64M -- sleep 313 &
runner=$!
for i in $(seq 50); do pgrep -x -f "sleep 313" >/dev/null && break; sleep 0.1; done
kill -TERM $runner
wait $runner
rc=$?
for i in $(seq 50); do pgrep -x -f "sleep 313" >/dev/null || break; sleep 0.1; done
pgrep -x -f "sleep 313" >/dev/null && { pkill -x -f "sleep 313"; fail "SIGTERM to uswap run left the program running"; }
[ $rc = 143 ] || fail "uswap run exited $rc after the program died of SIGTERM (want 143)"
expect 1 "no uswap run process 999999" "$u" stat 999999
expect 2 "not a process id" "$u" stat abc
echo "ok"
