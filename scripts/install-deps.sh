#!/usr/bin/env bash
# Installs everything uswap needs to build, test and benchmark on Debian 12.
# Idempotent: when every package is present it only runs dpkg-query (well
# under a second) and touches nothing.
set -euo pipefail

PKGS=(
  build-essential make pkg-config clang libclang-rt-14-dev  # compilers, sanitizer runtimes
  liblz4-dev libzstd-dev libdeflate-dev liblzo2-dev          # codec backends
  liburing-dev libxxhash-dev zlib1g-dev libmd-dev                                # swap I/O, checksums
  libsodium-dev                                              # encryption at rest (encrypt=on)
  libhiredis-dev redis-server                                # the far tier: swap devices on a Redis Cluster
  python3 sqlite3 coreutils man-db                           # corpus sources: heap workloads, man pages
  libjemalloc2 stress-ng                                     # uswap run: the malloc it preloads; e2e tests
)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo for apt-get" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
