#!/usr/bin/env bash
# Description: uswap's corpora are the kernel anchor's: its harness
# (shared/anchors/kernel/kswapbench.c, built here from the shared folder
# beside the repository) and uswap fill byte-identical pages for every
# file-free and file-backed corpus, on the same (small) corpus files.
# Skips (77) when the shared folder is not beside the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
anchor=$root/../shared/anchors/kernel/kswapbench.c
[ -f "$anchor" ] || { echo "no kernel anchor at $anchor"; exit 77; }
dump=$root/build/tests/bench/corpus
[ -x "$dump" ] || { echo "build first: $dump missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/kswapbench" "$anchor" -llz4 -lzstd -lm
for c in zero text binary random mixed; do
  "$dump" --dump "$tmp/corpora" "$c" 7 1024 "$tmp/uswap.$c"
  "$tmp/kswapbench" -m raw -c "$c" -s 4 -S 7 -D -T "$tmp/corpora/text.corpus" \
    -B "$tmp/corpora/binary.corpus" -d "$tmp/kernel.$c" >/dev/null
  cmp "$tmp/uswap.$c" "$tmp/kernel.$c"
  echo "$c: 1024 pages identical to the kernel anchor's"
done
