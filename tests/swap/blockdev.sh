#!/usr/bin/env bash
# Description: a block device as backing store. A loop device over a file
# in /var/tmp stands in for a disk: the store takes the device's whole size,
# pages round-trip with their checksums, freed slots are discarded, and a
# store asked to be smaller than the device is. Skips (77) where loop
# devices cannot be set up (not root, no loop support).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/tests/swap/blockdev-helper
[ -x "$bin" ] || { echo "build first: $bin missing"; exit 1; }
command -v losetup >/dev/null || { echo "no losetup"; exit 77; }
img=$(mktemp /var/tmp/uswap-blockdev-XXXXXX)
trap 'losetup -d "$dev" 2>/dev/null; rm -f "$img"' EXIT
truncate -s 8M "$img"
dev=$(losetup -f --show "$img" 2>/dev/null) || { echo "cannot set up a loop device here"; exit 77; }
"$bin" "$dev"
