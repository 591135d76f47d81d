#!/usr/bin/env bash
# Description: `uswap run` for a user the kernel gives only a user-mode-only
# userfaultfd (vm.unprivileged_userfaultfd=0, no CAP_SYS_PTRACE, no access
# to /dev/userfaultfd): in handler mode, which needs faults inside system
# calls, it says so once and runs the program without uswap; in sigbus
# mode (user faults only) the program runs under uswap and pages go out and
# come back right. Runs as root and drops to uid 65534 (nobody).
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
[ "$(id -u)" -eq 0 ] || skip "not root: cannot drop to another user"
command -v setpriv >/dev/null || skip "no setpriv"
[ "$(cat /proc/sys/vm/unprivileged_userfaultfd)" = 0 ] ||
  skip "vm.unprivileged_userfaultfd=1: every user may serve faults inside system calls"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
nobody test -r /dev/userfaultfd && skip "uid 65534 may open /dev/userfaultfd"
nobody test -x "$u" || skip "uid 65534 cannot run $u (a private build folder)"
chmod 0777 "$work" # uid 65534 writes the statistics there
prog='import hashlib
x = [bytes([i % 251]) * 2048 + i.to_bytes(8, "little") * 256 for i in range(40000)]
print(hashlib.sha256(b"".join(x)).hexdigest())'
want=$(/usr/bin/python3 -c "$prog") || fail "python3 alone failed"

# Handler mode: said once for the whole tree, run without uswap, same output.
nobody "$u" run --limit 32M -- /bin/sh -c '/usr/bin/python3 -c "$1" && /usr/bin/python3 -c "$1"' sh "$prog" \
  >"$work/out" 2>"$work/err" || fail "handler mode: exit status $?: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$(printf '%s\n%s' "$want" "$want")" ] || fail "handler mode: output differs"
[ "$(grep -c 'without uswap' "$work/err")" = 1 ] || fail "handler mode: not said once: $(cat "$work/err")"
grep -q "user mode only\|not permitted" "$work/err" || fail "handler mode: no reason given: $(cat "$work/err")"

# SIGBUS mode: user faults are enough.
USWAP_FAULT_MODE=sigbus nobody "$u" run --limit 32M --stats-file "$work/stats.json" -- \
  /usr/bin/python3 -c "$prog" >"$work/out" 2>"$work/err" || fail "sigbus mode: exit status $?: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$want" ] || fail "sigbus mode: output differs: $(cat "$work/err")"
grep -q "without uswap" "$work/err" && fail "sigbus mode ran without uswap: $(cat "$work/err")"
check_stats 32M 10000
echo ok
