#!/bin/sh
# test_fuzz_web.sh -- a bounded libFuzzer run over the web kind's parsers
# of outside input (scripts/fuzz.sh with FUZZ_TARGET=web, harness
# tests/fuzz/fuzz_web.c): action strings, key names, intents, site
# placeholders and WebArena task files, with zero crashes, leaks or
# sanitizer reports.  test_fuzz.sh does the work (it runs only in the
# sanitizer pass); this run lasts JITRL_FUZZ_SECONDS (default 20).
JITRL_FUZZ_SECONDS=${JITRL_FUZZ_SECONDS:-20} FUZZ_TARGET=web exec sh "$(dirname "$0")/test_fuzz.sh"
