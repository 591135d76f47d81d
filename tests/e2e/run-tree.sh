#!/usr/bin/env bash
# Description: a process tree under `uswap run`: make -j4 runs four
# programs that each hold 96 MiB (more than the 48M budget each process
# has), through a shell; every one checks its memory, and each stays
# within its budget.
set -uo pipefail
. "$(dirname "$0")/../e2e-lib.sh"
h=$root/build/tests/e2e/fill-helper
printf 'all: a b c d\na b c d:\n\t%s 96 && echo $@ done\n' "$h" >"$work/Makefile"
under 48M make -s -j4 -C "$work" || fail "make -j4 under uswap run failed: $(cat "$work/err")"
[ "$(sort "$work/out" | tr '\n' ' ')" = "a done b done c done d done " ] || fail "make's output: $(cat "$work/out")"
check_stats 48M 40000
echo ok
