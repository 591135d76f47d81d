#!/usr/bin/env bash
# Fuzz the decompress path of every backend with libFuzzer (clang,
# ASan+UBSan). usage: scripts/fuzz.sh [SECONDS_PER_BACKEND] [--as-test]
#   default 600 s per backend (the project's standard campaign);
#   --as-test: short smoke run for `make check`, counted in RESULT_FILE.
# Corpora persist in build/fuzz/corpus-<codec>; a crash leaves its input in
# build/fuzz/ and fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=600 as_test=0
for a in "$@"; do
  case $a in --as-test) as_test=1 ;; ''|*[!0-9]*) echo "fuzz.sh: bad argument '$a'" >&2; exit 2 ;; *) secs=$a ;; esac
done
[ $as_test -eq 1 ] && secs=${FUZZ_SECONDS:-10}
out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out"
LIBS="-llz4 -lzstd -ldeflate -llzo2 -lpthread"
SRCS="src/base/*.c src/codec/*.c"
pass=0 fail=0
gcc -std=c17 -O1 -D_GNU_SOURCE -Isrc -Iinclude -Itests -o "$out/mkseeds" tests/fuzz/mkseeds.c $SRCS $LIBS || exit 1
for codec in lz4 lz4hc zstd deflate lzo; do
  bin=$out/decompress-$codec
  clang -std=c17 -g -O1 -D_GNU_SOURCE -Isrc -Iinclude -DFUZZ_CODEC="\"$codec\"" \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o "$bin" tests/fuzz/decompress.c $SRCS $LIBS || { echo "[fuzz] FAIL build $codec"; fail=$((fail + 1)); continue; }
  corpus=$out/corpus-$codec
  mkdir -p "$corpus"
  "$out/mkseeds" "$codec" "$corpus"
  log=$out/fuzz-$codec.log
  if (cd "$out" && "./decompress-$codec" -max_total_time="$secs" -max_len=9000 -print_final_stats=1 \
        "corpus-$codec" >"fuzz-$codec.log" 2>&1); then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    echo "[fuzz] PASS decompress-$codec (${secs}s, ${runs:-?} inputs, corpus $(ls "$corpus" | wc -l) files)"
    pass=$((pass + 1))
  else
    echo "[fuzz] FAIL decompress-$codec"; tail -n 30 "$log" | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
echo "[fuzz] $pass passed, $fail failed, 0 skipped"
[ -n "${RESULT_FILE:-}" ] && echo "$pass $fail 0" >>"$RESULT_FILE"
[ $fail -eq 0 ]
