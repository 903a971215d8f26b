#!/bin/sh
# test_fuzz_serve.sh -- a bounded libFuzzer run over what `jitrl serve`
# parses from clients (harness tests/fuzz/fuzz_serve.c: bodies through the
# routes, URLs, tokens files), in the sanitizer pass only, exactly as
# test_fuzz_json.sh runs the JSON surface's.  Longer runs on demand:
# FUZZ_TARGET=serve sh scripts/fuzz.sh 600.
FUZZ_TARGET=serve JITRL_FUZZ_SECONDS=${JITRL_FUZZ_SECONDS:-20} exec sh "$(dirname "$0")/test_fuzz_json.sh"
