#!/bin/sh
# test.sh -- the README's test command: install packages, build with
# warnings as errors, run the whole suite, then run it again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
J=$(nproc 2>/dev/null || echo 2)
make -j"$J" WERROR=1 BUILD=build all
sh tests/run.sh build
make -j"$J" WERROR=1 SAN=1 BUILD=build-san all
JITRL_SANITIZED=1 sh tests/run.sh build-san
