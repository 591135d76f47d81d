#!/usr/bin/env bash
# Description: `make install PREFIX=...` installs the header, static and
# versioned shared libraries, the command and a pkg-config file; a program
# builds against it with pkg-config (shared and static) and runs; the
# shared library exports only uswap_* symbols.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$root" install PREFIX="$tmp/prefix" >/dev/null
p=$tmp/prefix
for f in include/uswap.h lib/libuswap.a lib/libuswap.so.0.1.0 lib/libuswap.so.0 lib/libuswap.so bin/uswap lib/pkgconfig/uswap.pc share/man/man1/uswap.1; do
  [ -e "$p/$f" ] || { echo "missing $f"; exit 1; }
done
cat >"$tmp/t.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <uswap.h>
int main(void) {
	if (strcmp(uswap_version(), "0.1.0")) return 1;
	int n = 0;
	for (const char *const *c = uswap_compressors(); *c; c++) n++;
	if (n != 5 || uswap_compressor_check("zstd:3") || uswap_compressor_check("zstd:99") != -22) return 1;
	puts("ok");
	return 0;
}
C
export PKG_CONFIG_PATH=$p/lib/pkgconfig
gcc -o "$tmp/t" "$tmp/t.c" $(pkg-config --cflags --libs uswap)
LD_LIBRARY_PATH=$p/lib "$tmp/t"
gcc -o "$tmp/ts" "$tmp/t.c" $(pkg-config --cflags uswap) "$p/lib/libuswap.a" $(pkg-config --libs --static uswap | sed 's/-luswap//')
"$tmp/ts"
bad=$(nm -D --defined-only "$p/lib/libuswap.so" | awk '{print $3}' | grep -v '^uswap_' | grep -v '^USWAP_' || true)
[ -z "$bad" ] || { echo "exported non-API symbols: $bad"; exit 1; }
"$p/bin/uswap" version
# The man page renders and names every benchmark the command has.
if command -v man >/dev/null; then
  page=$(MANWIDTH=100 man -l "$p/share/man/man1/uswap.1" 2>/dev/null)
  for b in codec zsmalloc zswap swap; do
    grep -q "bench $b" <<<"$page" || { echo "man page lacks bench $b"; exit 1; }
    "$p/bin/uswap" bench "$b" --help >/dev/null || { echo "bench $b --help failed"; exit 1; }
  done
fi
