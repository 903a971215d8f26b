#!/bin/sh
# test_fuzz_form.sh -- a bounded libFuzzer run (20 s) over the local web
# sites' form parser (scripts/fuzz.sh with FUZZ_TARGET=form, harness
# tests/fuzz/fuzz_form.c): every input is parsed or refused whole, the
# promises of src/env/web/sites/sites_int.h hold for every field it lets
# through, with zero crashes, leaks or sanitizer reports.  Sanitizer pass
# only.  Longer runs: FUZZ_TARGET=form sh scripts/fuzz.sh 600.
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
exec sh "$ROOT/tests/support/fuzz_target.sh" form 20 "form parser"
