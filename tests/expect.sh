# Sourced by the shell tests of the uswap command (tests/cli/cli.sh,
# tests/bench/bench-vm.sh): $root, $u (the built command), fail, expect,
# and a corpus folder of their own, removed on exit.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
u=$root/build/uswap
fail() { echo "FAIL: $*"; exit 1; }
expect() { # exit-code pattern cmd...
  local code=$1 pat=$2; shift 2
  out=$("$@" 2>&1); rc=$?
  [ $rc -eq "$code" ] || fail "'$*' exited $rc, expected $code: $out"
  grep -q -- "$pat" <<<"$out" || fail "'$*' did not say '$pat': $out"
}
export USWAP_CORPUS_DIR=$(mktemp -d)
trap 'rm -rf "$USWAP_CORPUS_DIR"' EXIT
