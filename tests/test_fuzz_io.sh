#!/bin/sh
# test_fuzz_io.sh -- bounded libFuzzer runs over the readers of files a user
# hands us (issue 16): the run summary reader (FUZZ_TARGET=summary,
# tests/fuzz/fuzz_summary.c) and the memory importer (FUZZ_TARGET=import,
# tests/fuzz/fuzz_import.c, through jitrl_memory_import_cb).  Zero crashes, leaks, hangs or sanitizer
# reports.  Like test_fuzz.sh it runs only in the sanitizer pass
# (JITRL_SANITIZED=1), and each target gets JITRL_FUZZ_IO_SECONDS (default
# 15) so the pass stays short.  Longer runs on demand:
# FUZZ_TARGET=import sh scripts/fuzz.sh 600.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
if [ "${JITRL_SANITIZED:-}" != 1 ]; then
    echo "the file-reader fuzz runs in the sanitizer pass (JITRL_SANITIZED=1)"
    exit 77
fi
if ! command -v clang >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "clang is missing (scripts/bootstrap.sh installs it)"; exit 1; }
    echo "clang is missing: cannot build the fuzz harnesses"; exit 77
fi
status=0
for target in summary import; do
    FUZZ_TARGET=$target FUZZ_BUILD="$BUILD/fuzz" sh "$ROOT/scripts/fuzz.sh" "${JITRL_FUZZ_IO_SECONDS:-15}"
    rc=$?
    [ $rc -eq 2 ] && echo "the $target fuzz harness could not be built"
    [ $rc -ne 0 ] && status=$rc
done
exit $status
