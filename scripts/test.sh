#!/bin/sh
# test.sh -- the README's test command: install packages, build with
# warnings as errors, run the whole suite, then run it again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the threaded tests
# under ThreadSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
J=$(nproc 2>/dev/null || echo 2)
make -j"$J" WERROR=1 BUILD=build all
sh tests/run.sh build
make -j"$J" WERROR=1 SAN=1 BUILD=build-san all
JITRL_SANITIZED=1 sh tests/run.sh build-san
# The threaded tests once more under ThreadSanitizer (clang), in their own
# build dir: only the library and those tests are built.
make -j"$J" WERROR=1 TSAN=1 BUILD=build-tsan tsan-check
# One closing line for the three passes (each pass stops the script on a
# failure, so reaching this line means all of them passed).
cat build/test-logs/tally build-san/test-logs/tally build-tsan/tests/tsan-tally |
    awk '{p += $1; f += $2; s += $3} END {printf "total: %d passed, %d failed, %d skipped\n", p, f, s}'
