#!/bin/sh
# test_fuzz.sh -- a bounded libFuzzer run over the Z-machine (scripts/fuzz.sh,
# harness tests/fuzz/fuzz_zvm.c): zero crashes, hangs or sanitizer reports.
# It runs only in the sanitizer pass (JITRL_SANITIZED=1), where the suite
# already pays for instrumentation; the normal pass skips it.  Longer runs
# on demand: sh scripts/fuzz.sh 600.  JITRL_FUZZ_SECONDS sets this run's
# length (default 45).
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
if [ "${JITRL_SANITIZED:-}" != 1 ]; then
    echo "fuzz runs in the sanitizer pass (JITRL_SANITIZED=1)"
    exit 77
fi
if ! command -v clang >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "clang is missing (scripts/bootstrap.sh installs it)"; exit 1; }
    echo "clang is missing: cannot build the fuzz harness"; exit 77
fi
FUZZ_BUILD="$BUILD/fuzz" sh "$ROOT/scripts/fuzz.sh" "${JITRL_FUZZ_SECONDS:-45}"
rc=$?
[ $rc -eq 2 ] && echo "the fuzz harness could not be built"
exit $rc
