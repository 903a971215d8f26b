#!/bin/sh
# fuzz_target.sh TARGET SECONDS WHAT -- the body of a tests/test_fuzz_*.sh:
# a bounded libFuzzer run of scripts/fuzz.sh with FUZZ_TARGET=TARGET, only
# in the sanitizer pass (JITRL_SANITIZED=1, else skip), clang required
# (a skip, or a failure under CI=true).  JITRL_FUZZ_SECONDS overrides
# SECONDS; WHAT names the target in messages.
set -u
T=$1 SECS=$2 WHAT=$3
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
if [ "${JITRL_SANITIZED:-}" != 1 ]; then
    echo "the $WHAT fuzz runs in the sanitizer pass (JITRL_SANITIZED=1)"
    exit 77
fi
if ! command -v clang >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "clang is missing (scripts/bootstrap.sh installs it)"; exit 1; }
    echo "clang is missing: cannot build the fuzz harness"; exit 77
fi
# its own build dir: the fuzz scripts run side by side, and scripts/fuzz.sh
# empties its object dir when a header changed
FUZZ_TARGET=$T FUZZ_BUILD="$BUILD/fuzz-$T" sh "$ROOT/scripts/fuzz.sh" "${JITRL_FUZZ_SECONDS:-$SECS}"
rc=$?
[ $rc -eq 2 ] && echo "the fuzz harness could not be built"
exit $rc
