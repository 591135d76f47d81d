#!/usr/bin/env bash
# Description: stress-ng's vm stressor (2 forked workers, 128 MiB each,
# every method, --verify) under `uswap run --limit 48M`: no verification
# failure, every worker managed and kept within its budget.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
command -v stress-ng >/dev/null || skip "no stress-ng"
under 48M stress-ng --vm 2 --vm-bytes 128M --vm-method all --verify -t 8s --metrics-brief ||
  fail "stress-ng failed under uswap run: $(tail -20 "$work/err")"
grep -qiE "fail|error" "$work/err" && grep -iE "fail|error" "$work/err" | grep -qv "0 failed" &&
  fail "stress-ng reported a failure: $(grep -iE 'fail|error' "$work/err")"
grep -q "successful run completed" "$work/err" || fail "stress-ng did not complete: $(tail -5 "$work/err")"
check_stats 48M 10000
echo ok
