#!/usr/bin/env bash
# The main job: a program's memory four times larger than its budget,
# paged through uswap (zswap, then the swap file), checked page by page,
# with the statistics at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
build/uswap demo --size "${DEMO_SIZE:-256M}" --limit "${DEMO_LIMIT:-64M}" "$@"
