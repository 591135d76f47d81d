#!/usr/bin/env bash
# The whole test suite (`make check`, and what .ci/run runs):
#   1. build with gcc and clang, -Wall -Wextra -Werror;
#   2. every test on the plain build, and the vm tests that evict again as
#      on Linux 6.1 (USWAP_DEBUG_UFFD_HIDE: no UFFDIO_MOVE, so eviction by
#      write-protect and zap; no UFFDIO_POISON, so lost pages by tgkill);
#      the vm tests that reach the swap file again with encrypt=on, and
#      four with same-page merging and recompression on;
#   3. every test again under ASan+UBSan (leaks included);
#   4. the concurrency tests (tests/*/mt-*) under TSan, two of them also as
#      on Linux 6.1, three with every swap-file page encrypted and one with
#      same-page merging and recompression;
#   5. a short libFuzzer run of every decompressor (tests/fuzz/).
# Ends with one line "N passed, N failed, N skipped" summed over all runs and
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
J=$(nproc)
results=$(mktemp)
trap 'rm -f "$results"' EXIT
export RESULT_FILE=$results
build_failed=0

build() { # label, make args...
  local label=$1; shift
  echo "== build: $label"
  if ! make -s -j"$J" "$@" all tests >/dev/null; then
    echo "[$label] FAIL build"; echo "0 1 0" >>"$results"; build_failed=1; return 1
  fi
}

tests_of() { # dir, pattern (programs named *-helper are run by a test script, not alone)
  find "$1/tests" -type f -executable -name "$2" ! -name '*-helper' | sort
  find tests -name "$2.sh" -path 'tests/*/*' 2>/dev/null | sort
}

build gcc && tests/run.sh -j "$J" -l "[plain]" $(tests_of build '*')
# mt-evict-wp asks for evict=wp itself; written-bits needs the async
# write-protect of 6.7; mt-readahead is long and evicts the same way.
old_tests="api-errors budget corrupt-swapfile fork io-error mt-dontneed mt-r6-api mt-swapoff mt-writeback syscalls"
USWAP_DEBUG_UFFD_HIDE=MOVE,POISON,WP_ASYNC,WP_UNPOPULATED USWAP_TEST_SCALE=0.3 \
  tests/run.sh -j "$J" -l "[as 6.1]" $(printf 'build/tests/vm/%s ' $old_tests) tests/e2e/run-fill.sh \
  tests/e2e/run-stress-ng.sh
# Every page on the swap file encrypted: the tests that write back, read
# ahead, swap off, corrupt the file and fail its I/O.
enc_tests="corrupt-swapfile fork io-error mt-idle-writeback mt-readahead mt-swapoff mt-writeback"
USWAP_ENCRYPT=on USWAP_TEST_SCALE=0.3 \
  tests/run.sh -j "$J" -l "[encrypt]" $(printf 'build/tests/vm/%s ' $enc_tests)
# Same-page merging and a recompression pass every second under the
# whole-API workloads.
dedup_tests="fork mt-r6-api mt-swapoff mt-writeback"
USWAP_DEDUP=on USWAP_RECOMPRESS_AFTER=1 USWAP_TEST_SCALE=0.3 \
  tests/run.sh -j "$J" -l "[dedup]" $(printf 'build/tests/vm/%s ' $dedup_tests)
build clang CC=clang BUILD=build/clang
# ASan/UBSan: stress tests run at a smaller scale (sanitizers cost 3-10x).
if build asan SAN=asan; then
  USWAP_TEST_SCALE=0.3 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    tests/run.sh -j "$J" -l "[asan]" $(find build/asan/tests -type f -executable ! -name '*-helper' | sort)
  # the Redis Cluster device, its threads and its cluster client
  REDIS_HELPER=$PWD/build/asan/tests/swap/redis-helper ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    tests/run.sh -l "[asan]" tests/swap/redis.sh
fi
if build tsan SAN=tsan; then
  # report_signal_unsafe=0: in fault_mode=sigbus a fault over the budget
  # reclaims from the SIGBUS handler, and eviction allocates pool memory
  # (malloc). TSan flags any malloc in a signal handler; it is safe here
  # because the signal is synchronous and raised only by an access to a
  # region page, which neither malloc nor uswap's own code ever makes
  # (src/vm/fault.c explains). Every other TSan report still fails the run.
  USWAP_TEST_SCALE=0.3 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" \
    tests/run.sh -j "$J" -l "[tsan]" $(find build/tsan/tests -type f -executable -name 'mt-*' | sort) \
    build/tsan/tests/vm/madv-free
  USWAP_DEBUG_UFFD_HIDE=MOVE,POISON,WP_ASYNC,WP_UNPOPULATED USWAP_TEST_SCALE=0.3 \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" \
    tests/run.sh -j "$J" -l "[tsan as 6.1]" build/tsan/tests/vm/mt-r6-api build/tsan/tests/vm/mt-dontneed
  USWAP_ENCRYPT=on USWAP_TEST_SCALE=0.3 \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" \
    tests/run.sh -j "$J" -l "[tsan encrypt]" build/tsan/tests/vm/mt-writeback build/tsan/tests/vm/mt-idle-writeback \
    build/tsan/tests/vm/mt-swapoff
  USWAP_DEDUP=on USWAP_RECOMPRESS_AFTER=1 USWAP_TEST_SCALE=0.3 \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" \
    tests/run.sh -j "$J" -l "[tsan dedup]" build/tsan/tests/vm/mt-writeback
  REDIS_HELPER=$PWD/build/tsan/tests/swap/redis-helper \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0" \
    tests/run.sh -l "[tsan]" tests/swap/redis.sh
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh --as-test

read -r p f s < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$results")
echo
echo "total: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ] && [ "$build_failed" -eq 0 ]
