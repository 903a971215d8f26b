#!/bin/sh
# fuzz.sh [SECONDS] -- build the Z-machine fuzz harness (tests/fuzz/fuzz_zvm.c)
# with clang's libFuzzer + ASan + UBSan and run it for SECONDS (default 45).
#
# libFuzzer needs everything instrumented by clang, so the VM's sources
# (src/base, src/zvm; FUZZ_SRC overrides) are compiled here into their own
# directory instead of linking the gcc-built library.  The seed corpus is
# tests/fuzz/corpus/ (hand-made tiny stories, see make_corpus.py) plus our
# compiled test games; new inputs go to a scratch corpus under the build
# dir, never into the repository.  Exit status: 0 when no crash, 1 on a
# crash (the reproducer is kept in $FUZZ_BUILD/artifacts/ and its path is
# printed), 2 when the harness cannot be built.
#
#   FUZZ_BUILD  build/scratch dir (default build-fuzz)
#   FUZZ_JOBS   compile jobs (default 2)
#   FUZZ_SRC    source files to instrument (default src/base/*.c src/zvm/*.c)
set -u
cd "$(dirname "$0")/.."
SECS=${1:-45}
OUT=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
SRC=${FUZZ_SRC:-$(ls src/base/*.c src/zvm/*.c 2>/dev/null)}
CC=${FUZZ_CC:-clang}
FLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
-fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude -Isrc -Wall -Wextra -Wno-unused-parameter"

# The library's external packages (xxhash for the world hash, ...), as the
# Makefile finds them.
PKGS="sqlite3 libcurl jansson libxxhash"
FLAGS="$FLAGS $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lm -lpthread"

command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC not found (scripts/bootstrap.sh installs clang)"; exit 2; }
mkdir -p "$OUT/obj" "$OUT/artifacts" "$OUT/work" "$OUT/seeds"

# Compile each source that changed since its object (2 at a time); a
# changed header (say, the machine's struct) rebuilds everything.
if [ -f "$OUT/fuzz_zvm" ] && [ -n "$(find src include -name '*.h' -newer "$OUT/fuzz_zvm" 2>/dev/null)" ]; then
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
$CC $FLAGS -fsanitize=fuzzer tests/fuzz/fuzz_zvm.c $objs $LIBS -o "$OUT/fuzz_zvm" || {
    echo "fuzz: linking the harness failed"; exit 2; }

# Seeds: the checked-in corpus plus our test games, compiled here when
# inform6 is present (a missing compiler only means fewer seeds).
cp tests/fuzz/corpus/* "$OUT/seeds/" 2>/dev/null
if command -v inform6 >/dev/null 2>&1; then
    for g in tests/games/t_objects.inf tests/games/t_streams.inf; do
        n=$(basename "$g" .inf)
        [ "$OUT/seeds/$n.z5" -nt "$g" ] || inform6 -q -v5 "$g" "$OUT/seeds/$n.z5" >/dev/null 2>&1
    done
fi

echo "fuzz: running $OUT/fuzz_zvm for ${SECS}s"
"$OUT/fuzz_zvm" -max_total_time="$SECS" -timeout=60 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" "$OUT/work" "$OUT/seeds" >"$OUT/fuzz.log" 2>&1
rc=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$OUT/fuzz.log" | sed 's/^/fuzz: /'
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz.log")
echo "FIGURE fuzz_execs ${execs:-0}"
echo "FIGURE fuzz_seconds $SECS"
if [ $rc -ne 0 ]; then
    echo "fuzz: CRASH (exit $rc); log $OUT/fuzz.log; last lines:"
    tail -n 40 "$OUT/fuzz.log"
    ls "$OUT"/artifacts/ 2>/dev/null | sed "s|^|fuzz: reproducer $OUT/artifacts/|"
    exit 1
fi
echo "fuzz: no crash in ${SECS}s"
