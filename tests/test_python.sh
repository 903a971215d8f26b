#!/bin/sh
# test_python.sh -- the Python package (python/jitrl) under Debian's pytest:
# python/tests/ (FrotzEnv against Jericho's semantics, two environments in
# turn, copy and state round trips, RSS over 1,000 open/reset/close cycles,
# a faulting story, the Jericho-style script on the ten games of ../shared,
# Memory, Agent on a Python world, Client, offline pip install, import
# errors).  The sanitizer pass (JITRL_SANITIZED=1) loads the ASan+UBSan
# library into Python by preloading the compiler's runtimes; without them
# it skips with the reason.  FIGURE lines of the tests are printed last.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
PY=/usr/bin/python3
skip() { echo "skip: $1"; exit 77; }
fail() { echo "FAIL: $1"; exit 1; }
if ! $PY -m pytest --version >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && fail "python3-pytest is not installed (scripts/bootstrap.sh installs it)"
    skip "python3-pytest is not installed (scripts/bootstrap.sh installs it)"
fi
LIB="$BUILD/libjitrl.so.0"
[ -f "$LIB" ] || fail "$LIB is not built"
export JITRL_LIBRARY="$LIB" JITRL_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
if [ "${JITRL_SANITIZED:-0}" = 1 ]; then
    # the library was linked by cc with -fsanitize=address,undefined: its
    # runtimes must be loaded before anything else in the interpreter
    CC_=${CC:-cc}
    asan=$($CC_ -print-file-name=libasan.so 2>/dev/null)
    ubsan=$($CC_ -print-file-name=libubsan.so 2>/dev/null)
    [ -f "$asan" ] && [ -f "$ubsan" ] || skip "no ASan/UBSan runtime to preload into Python ($CC_)"
    export LD_PRELOAD="$asan $ubsan"
    # CPython's own allocations at exit are not our leaks
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi
FIG=$(mktemp "${TMPDIR:-/tmp}/jitrl-py-figures.XXXXXX") || fail "mktemp"
trap 'rm -f "$FIG"' EXIT
export JITRL_PY_FIGURES="$FIG"
cd "$ROOT/python" || fail "no python/ folder"
$PY -m pytest -q -p no:cacheprovider tests
rc=$?
cat "$FIG"
exit $rc
