#!/usr/bin/env bash
# The main job for now: every compressor on every page corpus through
# uswap's per-CPU compression path, next to the raw library call.
# (Later layers turn this into a program running under a memory budget.)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "uswap demo: bench codec on every corpus (corpus files are built once, ~20 s)" >&2
build/uswap bench codec --size "${DEMO_SIZE:-32M}" --rounds "${DEMO_ROUNDS:-3}" "$@"
echo
echo "uswap demo: the mixed corpus through zswap, with its statistics" >&2
build/uswap bench zswap --size "${DEMO_SIZE:-32M}" --rounds "${DEMO_ROUNDS:-3}" --stats
