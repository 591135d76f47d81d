#!/usr/bin/env bash
# Description: the uswap command: help and version succeed; unknown
# commands, unknown options and bad values fail with exit 2 and a message
# naming the problem; a small `bench codec` run prints a table and valid
# JSON with every requested row; the options table (-o, USWAP_<KEY>,
# --help-options) refuses bad keys and values by name, and the man page's
# TUNABLES section is the table's own output.
set -uo pipefail
. "$(dirname "$0")/../expect.sh"

expect 0 "usage: uswap" "$u" --help
expect 0 "uswap 0\." "$u" version
expect 2 "usage: uswap" "$u"
expect 2 "unknown command 'frobnicate'" "$u" frobnicate
expect 2 "unknown benchmark 'nope'" "$u" bench nope
expect 0 "\-\-corpus" "$u" bench codec --help
expect 2 "compressor 'lz5' is unknown" "$u" bench codec --codec lz5
expect 2 "level '99' is not a whole number from" "$u" bench codec --codec zstd:99
expect 2 "corpus 'nosuch' is unknown" "$u" bench codec --corpus nosuch
expect 2 "not a size" "$u" bench codec --size 12Q
expect 2 "not a number from 1 to 64" "$u" bench codec --rounds 0
expect 2 "unexpected argument 'extra'" "$u" bench codec extra
expect 2 "usage" "$u" bench codec --bogus
expect 2 "not a size" "$u" bench zswap --size 4096 # a bare number is bytes: below 16 pages
expect 0 "max_pool_percent" "$u" --help-options
expect 2 "unknown option 'nope'" "$u" bench zswap -o nope=1
expect 2 "option max_chain: '0' is not valid; accepted: a number from 1 to 16" "$u" bench zsmalloc -o max_chain=0
expect 2 "option seed: 'x' is not valid" "$u" bench codec --seed x
expect 2 "USWAP_COMPRESSOR: option compressor: 'lz5'" env USWAP_COMPRESSOR=lz5 "$u" bench zswap
expect 2 "option page_cluster: '9' is not valid" "$u" bench swap --page-cluster 9
man=$(sed -n '/^\.\\" BEGIN TUNABLES/,/^\.\\" END TUNABLES/p' "$root/man/uswap.1" | sed '1d;$d')
[ -n "$man" ] && [ "$man" = "$("$u" --help-options --man)" ] ||
  fail "man/uswap.1's TUNABLES section differs from 'uswap --help-options --man' (regenerate it)"
out=$("$u" bench zswap --corpus zero --size 64K --rounds 1 -o compressor=zstd:1 --json 2>/dev/null) ||
  fail "bench zswap -o compressor=zstd:1 failed"
grep -q '"codec": "zstd:1"' <<<"$out" || fail "bench zswap ignored -o compressor: $out"

out=$("$u" bench codec --corpus zero,random --codec lz4,zstd:3 -s 256K -r 1 2>/dev/null) || fail "bench codec failed"
for row in "zero    lz4:1" "zero    zstd:3" "random  lz4:1" "random  zstd:3"; do
  grep -q "^$row " <<<"$out" || fail "table lacks '$row': $out"
done
"$u" bench codec --corpus random --codec lz4 -s 64K -r 1 --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["codec"][0]
assert r["corpus"] == "random" and r["codec"] == "lz4:1" and r["compress_mibs"] > 0, r
assert d["same_filled"][0]["same_filled_pages"] == 0
' || fail "bad JSON"
# The other benchmarks: a small run each, and their argument errors.
expect 2 "option max_chain: '17' is not valid; accepted: a number from 1 to 16" "$u" bench zsmalloc --chain 17
expect 2 "threads .3. is not a number from 1 to 2" "$u" bench zsmalloc --threads 3
expect 2 "compressor 'nope' is unknown" "$u" bench zswap --codec nope
out=$("$u" bench zsmalloc --corpus random --size 1M --threads 2 --classes 2>/dev/null) || fail "bench zsmalloc failed"
grep -q "^random " <<<"$out" || fail "bench zsmalloc table lacks random: $out"
grep -q "obj_alloc" <<<"$out" || fail "bench zsmalloc --classes printed no class table"
"$u" bench zswap --corpus zero,random --size 1M --rounds 1 --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
z, r = d["results"]
assert z["corpus"] == "zero" and z["same_filled_pages"] == 256 and z["pool_total_size"] == 0 and z["saving"] is None, z
assert r["stored_incompressible_pages"] == 256 and r["saving"] <= 1.0, r
' || fail "bench zswap JSON wrong"
out=$("$u" bench zswap --corpus zero --size 256K --rounds 1 --stats 2>/dev/null) || fail "bench zswap --stats failed"
for k in pool_limit_hit reject_compress_poor written_back_pages pool_total_size stored_pages same_filled_pages; do
  grep -q "  $k " <<<"$out" || fail "--stats lacks $k"
done

expect 2 "pool .0. is not a number from 1 to 100" "$u" bench swap --pool 0
expect 2 "takes one corpus" "$u" bench swap --corpus text,zero
expect 2 "unexpected argument .x." "$u" bench swap x
expect 2 "mode takes disk, zswap or both, not .ram." "$u" bench swap --mode ram
out=$("$u" bench swap --corpus text --size 1M --mode zswap --discard --dir "$USWAP_CORPUS_DIR" 2>/dev/null) ||
  fail "bench swap --mode zswap --discard failed"
grep -q "^zswap 10% " <<<"$out" && ! grep -q "^disk " <<<"$out" || fail "bench swap --mode zswap ran other modes: $out"
out=$("$u" bench swap --corpus text --size 1M --dir "$USWAP_CORPUS_DIR" 2>/dev/null) || fail "bench swap failed"
grep -q "^disk " <<<"$out" && grep -q "^zswap 10% " <<<"$out" || fail "bench swap table lacks a mode: $out"
grep -q "^Filename *Type *Size *Used *Priority" <<<"$out" || fail "bench swap prints no swaps listing: $out"
"$u" bench swap --corpus random --size 1M --dir "$USWAP_CORPUS_DIR" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [m["mode"] for m in d["modes"]] == ["disk", "zswap 10%"], d
assert d["modes"][0]["pswpout"] == 512 and d["modes"][0]["swap_in_seq_mibs"] > 0, d
' || fail "bench swap JSON wrong"
out=$("$u" bench zswap --corpus text --size 256K --rounds 1 --threads 2 2>/dev/null) || fail "bench zswap --threads 2 failed"
grep -q "2 threads / 1 thread" <<<"$out" || fail "bench zswap --threads 2 printed no scaling: $out"
out=$("$u" bench swap --corpus text --size 1M --mode disk --threads 2 --dir "$USWAP_CORPUS_DIR" 2>/dev/null) ||
  fail "bench swap --threads 2 failed"
grep -q "^disk, 2 threads / 1 thread" <<<"$out" || fail "bench swap --threads 2 printed no scaling: $out"
expect 2 "threads '3' is not a number from 1 to 2" "$u" bench zswap --threads 3
expect 2 "mode 'warp' is unknown" "$u" bench fault --mode warp
"$u" bench fault --pages 64 --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [m["mode"] for m in d["modes"]] == ["anon", "handler-same", "handler-other", "handler-free", "sigbus"], d
assert all(m["p50_ns"] > 0 for m in d["modes"]), d
' || fail "bench fault JSON wrong"
echo "cli ok"
