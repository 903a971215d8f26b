#!/bin/sh
# test_fuzz_json.sh -- a bounded libFuzzer run over the JSON surface
# (scripts/fuzz.sh with FUZZ_TARGET=json, harness tests/fuzz/fuzz_json.c):
# every input gets an answer or a JSON error, with zero crashes, leaks or
# sanitizer reports.  Like test_fuzz.sh it runs only in the sanitizer pass
# (JITRL_SANITIZED=1).  Longer runs on demand:
# FUZZ_TARGET=json sh scripts/fuzz.sh 600.  JITRL_FUZZ_SECONDS sets this
# run's length (default 30).
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
if [ "${JITRL_SANITIZED:-}" != 1 ]; then
    echo "the JSON fuzz runs in the sanitizer pass (JITRL_SANITIZED=1)"
    exit 77
fi
if ! command -v clang >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "clang is missing (scripts/bootstrap.sh installs it)"; exit 1; }
    echo "clang is missing: cannot build the fuzz harness"; exit 77
fi
# FUZZ_TARGET=serve is tests/test_fuzz_serve.sh (its own scratch dir: the two run side by side)
T=${FUZZ_TARGET:-json}
D="$BUILD/fuzz"; [ "$T" = json ] || D="$BUILD/fuzz-$T"
FUZZ_TARGET=$T FUZZ_BUILD="$D" sh "$ROOT/scripts/fuzz.sh" "${JITRL_FUZZ_SECONDS:-30}"
rc=$?
[ $rc -eq 2 ] && echo "the fuzz harness could not be built"
exit $rc
