#!/usr/bin/env bash
# Description: the static TLS that libuswap.so and libuswap-preload.so add
# to every thread of a program stays under 4 KiB. glibc clears a thread's
# static TLS when it makes the thread, so each KiB of it is touched by
# every thread of every program under `uswap run`, uswap's or not: the
# layers' page-sized buffers were 62 KiB of it (16 page faults per thread)
# before they moved to per-thread scratch memory (src/base/scratch.c).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
for lib in "$root/build/libuswap.so" "$root/build/libuswap-preload.so"; do
  [ -f "$lib" ] || { echo "build first: $lib missing"; exit 1; }
  hex=$(readelf -lW "$lib" | awk '$1 == "TLS" {print $6}') # MemSiz
  size=$((${hex:-0}))
  echo "$(basename "$lib"): ${size:-0} bytes of static TLS"
  [ "${size:-0}" -lt 4096 ] || { echo "FAIL: $(basename "$lib") has ${size} bytes of static TLS (at most 4095)"; status=1; }
done
exit $status
