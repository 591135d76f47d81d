#!/usr/bin/env bash
# Description: the layering holds: no file under src/ includes a header of
# a layer above its own (base < page < codec, zsmalloc < zswap < swap <
# the facade and options table in src/ itself; codec and zsmalloc do not
# include each other).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/src" || exit 1
rank() {
  case $1 in
    base) echo 0 ;; page) echo 1 ;; codec|zsmalloc) echo 2 ;; zswap) echo 3 ;; swap) echo 4 ;;
    vm) echo 5 ;; top) echo 6 ;; *) echo 99 ;;
  esac
}
bad=0
while IFS= read -r f; do
  dir=$(dirname "$f"); layer=${dir#./}; [ "$layer" = . ] && layer=top
  [ "$layer" = cli ] && continue
  while IFS= read -r inc; do
    dep=${inc%%/*}
    [ "$dep" = "$inc" ] && dep=top # "options.h", "uswap.h": the top
    [ "$inc" = uswap.h ] && continue # the public header declares nothing of a layer
    [ "$dep" = "$layer" ] && continue
    if [ "$(rank "$dep")" -ge "$(rank "$layer")" ]; then
      echo "FAIL: $f ($layer) includes $inc ($dep)"; bad=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find . -name '*.[ch]' | sort)
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
