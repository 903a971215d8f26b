#!/bin/sh
# fuzz.sh [SECONDS] -- build a libFuzzer harness with clang's libFuzzer +
# ASan + UBSan and run it for SECONDS (default 45).  Targets
# (FUZZ_TARGET):
#   zvm   (default) tests/fuzz/fuzz_zvm.c: any bytes as a Z-machine story;
#         seeds tests/fuzz/corpus/ (hand-made tiny stories, see
#         make_corpus.py) plus our compiled test games;
#   json  tests/fuzz/fuzz_json.c: any bytes as a decide request or an
#         episode (include/jitrl/json.h); seeds tests/fuzz/json_corpus/,
#         dictionary tests/fuzz/json.dict;
#   summary  tests/fuzz/fuzz_summary.c: any bytes as a run summary file
#         (jitrl_summary_parse, then the JSON writer and the HTML report);
#         seeds tests/fuzz/summary_corpus/, dictionary json.dict;
#   serve  tests/fuzz/fuzz_serve.c: any bytes as a request body, URL or
#         tokens file for `jitrl serve`'s routes (src/serve/), called
#         in-process; seeds tests/fuzz/serve_corpus/, dictionary json.dict;
#   web   tests/fuzz/fuzz_web.c: any bytes as a web action string,
#         key name, intent, URL with placeholders and WebArena task file
#         (src/env/web/); seeds tests/fuzz/web_corpus/;
#   import  tests/fuzz/fuzz_import.c: any bytes as JSON Lines for the
#         memory importer (jitrl_memory_import_cb), then export -> import
#         -> export must round-trip; seeds tests/fuzz/import_corpus/.
#   form  tests/fuzz/fuzz_form.c: any bytes as a query string or form
#         body for the local web sites' parser (src/env/web/sites/form.c);
#         seeds tests/fuzz/form_corpus/, dictionary tests/fuzz/form.dict.
#
# libFuzzer needs everything instrumented by clang, so the target's
# sources (FUZZ_SRC overrides) are compiled here into their own directory
# instead of linking the gcc-built library.  New inputs go to a scratch
# corpus under the build dir, never into the repository.  Exit status: 0
# when no crash, 1 on a crash (the reproducer is kept in
# $FUZZ_BUILD/artifacts/ and its path is printed), 2 when the harness
# cannot be built.
#
#   FUZZ_TARGET zvm, json, summary, import, serve or form (default zvm)
#   FUZZ_BUILD  build/scratch dir (default build-fuzz)
#   FUZZ_JOBS   compile jobs (default 2)
#   FUZZ_SRC    source files to instrument (default: the target's)
set -u
cd "$(dirname "$0")/.."
SECS=${1:-45}
OUT=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
T=${FUZZ_TARGET:-zvm}
case "$T" in
    zvm) DEFSRC=$(ls src/base/*.c src/zvm/*.c 2>/dev/null) ;;
    json) DEFSRC=$(ls src/base/*.c src/engine/*.c src/memory/*.c src/api/*.c 2>/dev/null) ;;
    summary) DEFSRC=$(ls src/base/*.c src/report/*.c 2>/dev/null) ;;
    import) DEFSRC=$(ls src/base/*.c src/engine/*.c src/memory/*.c 2>/dev/null) ;;
    serve) DEFSRC=$(ls src/base/*.c src/engine/*.c src/memory/*.c src/api/*.c src/serve/*.c src/llm/*.c src/net/*.c 2>/dev/null) ;;
    form) DEFSRC=$(ls src/base/*.c src/env/web/sites/form.c src/env/web/sites/html.c 2>/dev/null) ;;
    web) DEFSRC=$(ls src/base/*.c src/env/web/action.c src/env/web/task.c src/env/web/eval.c 2>/dev/null) ;;
    *) echo "fuzz: unknown FUZZ_TARGET $T (zvm, json, summary, import, serve, form, web)"; exit 2 ;;
esac
SRC=${FUZZ_SRC:-$DEFSRC}
BIN="$OUT/fuzz_$T"
CC=${FUZZ_CC:-clang}
FLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
-fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude -Isrc -Wall -Wextra -Wno-unused-parameter"

# The library's external packages (xxhash for the world hash, ...), as the
# Makefile finds them.
PKGS="sqlite3 libcurl jansson libxxhash libmicrohttpd nettle libpq"
FLAGS="$FLAGS $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lm -lpthread"

command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC not found (scripts/bootstrap.sh installs clang)"; exit 2; }
mkdir -p "$OUT/obj" "$OUT/artifacts" "$OUT/work-$T" "$OUT/seeds-$T"

# Targets share $OUT/obj, and the test runner runs two fuzz tests at once:
# the compile and link below hold a lock on the directory, so one target
# never links objects another is rewriting (or has just removed).
exec 9>"$OUT/.build.lock"
flock 9

# Compile each source that changed since its object (2 at a time); a
# changed header (say, the machine's struct) rebuilds everything.
if [ -f "$BIN" ] && [ -n "$(find src include -name '*.h' -newer "$BIN" 2>/dev/null)" ]; then
    rm -f "$OUT"/obj/*.o
fi
for f in $SRC; do
    o="$OUT/obj/$(echo "$f" | tr '/' '_' | sed 's/\.c$/.o/')"
    [ "$o" -nt "$f" ] && continue
    echo "$f $o"
done | xargs -r -n 2 -P "$JOBS" sh -c "$CC $FLAGS -c \"\$0\" -o \"\$1\" || exit 255" || {
    echo "fuzz: compiling the library with $CC failed"; exit 2; }
objs=""
for f in $SRC; do objs="$objs $OUT/obj/$(echo "$f" | tr '/' '_' | sed 's/\.c$/.o/')"; done
# shellcheck disable=SC2086
$CC $FLAGS -fsanitize=fuzzer "tests/fuzz/fuzz_$T.c" $objs $LIBS -o "$BIN" || {
    echo "fuzz: linking the harness failed"; exit 2; }
exec 9>&-

# Seeds: the checked-in corpus plus our test games, compiled here when
# inform6 is present (a missing compiler only means fewer seeds).
SEEDS="$OUT/seeds-$T"
EXTRA=""
if [ "$T" != zvm ]; then
    cp tests/fuzz/"$T"_corpus/* "$SEEDS/" 2>/dev/null
    EXTRA="-dict=tests/fuzz/json.dict"
    [ -f "tests/fuzz/$T.dict" ] && EXTRA="-dict=tests/fuzz/$T.dict"
else
    cp tests/fuzz/corpus/* "$SEEDS/" 2>/dev/null
    if command -v inform6 >/dev/null 2>&1; then
        for g in tests/games/t_objects.inf tests/games/t_streams.inf; do
            n=$(basename "$g" .inf)
            [ "$SEEDS/$n.z5" -nt "$g" ] || inform6 -q -v5 "$g" "$SEEDS/$n.z5" >/dev/null 2>&1
        done
    fi
fi

LOG="$OUT/fuzz-$T.log"
echo "fuzz: running $BIN for ${SECS}s"
# shellcheck disable=SC2086
"$BIN" -max_total_time="$SECS" -timeout=60 -rss_limit_mb=2048 -max_len=65536 $EXTRA \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" "$OUT/work-$T" "$SEEDS" >"$LOG" 2>&1
rc=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$LOG" | sed 's/^/fuzz: /'
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG")
FIG=fuzz; [ "$T" = zvm ] || FIG="fuzz_$T"
echo "FIGURE ${FIG}_execs ${execs:-0}"
echo "FIGURE ${FIG}_seconds $SECS"
if [ $rc -ne 0 ]; then
    echo "fuzz: CRASH (exit $rc); log $LOG; last lines:"
    tail -n 40 "$LOG"
    ls "$OUT"/artifacts/ 2>/dev/null | sed "s|^|fuzz: reproducer $OUT/artifacts/|"
    exit 1
fi
echo "fuzz: no crash in ${SECS}s"
