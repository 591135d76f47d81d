#!/usr/bin/env bash
# The main job: an unmodified program (python3 building ~140 MB of objects)
# run under a 64 MiB budget with `uswap run`, its answer checked against a
# run without uswap, with the statistics at the end; then the library's own
# demo (`uswap demo`: 256 MiB through the API under 64 MiB, checked).
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(python3 -c 'import sys; print(sys.executable)')
limit=${DEMO_LIMIT:-96M}
echo "== without uswap: $py scripts/demo-prog.py"
/usr/bin/time -f "   %e s, peak RSS %M KiB" "$py" scripts/demo-prog.py | tee /tmp/uswap-demo-want.$$
echo
echo "== uswap run --limit $limit --stats -- $py scripts/demo-prog.py"
build/uswap run --limit "$limit" --stats -- "$py" scripts/demo-prog.py | tee /tmp/uswap-demo-got.$$
if cmp -s /tmp/uswap-demo-want.$$ /tmp/uswap-demo-got.$$; then
  echo "   same answer as without uswap"
else
  echo "   DIFFERENT answer under uswap"; rm -f /tmp/uswap-demo-*.$$; exit 1
fi
rm -f /tmp/uswap-demo-*.$$
echo
echo "== uswap demo --size ${DEMO_SIZE:-256M} --limit ${DEMO_API_LIMIT:-64M} (the library API)"
build/uswap demo --size "${DEMO_SIZE:-256M}" --limit "${DEMO_API_LIMIT:-64M}"
