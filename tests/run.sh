#!/usr/bin/env bash
# Run test programs, each under a timeout; print one line per test and a
# summary "N passed, N failed, N skipped". A skip (exit 77) is never a pass.
# A test that passes but could not run a part of itself prints a line
# "SKIP: why" for that part: each such line counts as one more skip.
# usage: tests/run.sh [-t SECONDS] [-j JOBS] [-l LABEL] TEST...
# Honours TEST_EXCLUDE (space-separated test names to leave out, reported).
set -u
timeout_s=300 jobs=2 label=""
while getopts "t:j:l:" o; do
  case $o in t) timeout_s=$OPTARG ;; j) jobs=$OPTARG ;; l) label="$OPTARG " ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run_one() {
  local t=$1 name log rc start end
  name=${t#*tests/}; name=${name%.sh}
  log="$logdir/$(echo "$name" | tr / _).log"
  start=$(date +%s%N)
  if [[ $t == *.sh ]]; then timeout -k 5 "$timeout_s" bash "$t" >"$log" 2>&1; else timeout -k 5 "$timeout_s" "$t" >"$log" 2>&1; fi
  rc=$?
  end=$(date +%s%N)
  local ms=$(( (end - start) / 1000000 ))
  printf '%s %s %d.%d\n' "$rc" "$name" $((ms / 1000)) $((ms % 1000 / 100)) >"$log.rc"
}
export -f run_one
export logdir timeout_s

pass=0 fail=0 skip=0 failed=()
tests=()
for t in "$@"; do
  n=${t#*tests/}; n=${n%.sh}
  if [[ " ${TEST_EXCLUDE:-} " == *" $n "* ]]; then echo "${label}EXCLUDED $n"; continue; fi
  tests+=("$t")
done
printf '%s\n' "${tests[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}

for t in "${tests[@]}"; do
  n=${t#*tests/}; n=${n%.sh}
  log="$logdir/$(echo "$n" | tr / _).log"
  read -r rc _ secs <"$log.rc"
  case $rc in
    0) pass=$((pass + 1)); echo "${label}PASS $n (${secs}s)"
       while IFS= read -r part; do
         skip=$((skip + 1)); echo "${label}SKIP $n (part): ${part#SKIP: }"
       done < <(grep '^SKIP: ' "$log") ;;
    77) skip=$((skip + 1)); echo "${label}SKIP $n: $(tail -n 1 "$log")" ;;
    124|137) fail=$((fail + 1)); failed+=("$n"); echo "${label}FAIL $n: timed out after ${timeout_s}s"; tail -n 20 "$log" | sed 's/^/    /' ;;
    *) fail=$((fail + 1)); failed+=("$n"); echo "${label}FAIL $n (exit $rc)"; tail -n 40 "$log" | sed 's/^/    /' ;;
  esac
done
echo "${label}${pass} passed, ${fail} failed, ${skip} skipped"
[ -n "${RESULT_FILE:-}" ] && echo "$pass $fail $skip" >>"$RESULT_FILE"
[ "$fail" -eq 0 ]
