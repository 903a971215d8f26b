#!/bin/sh
# run.sh BUILD_DIR -- run every test program in BUILD_DIR/tests (test_*) and
# every tests/test_*.sh, two at a time (JITRL_TEST_JOBS=N for another
# count), each with a 10-minute guard.  Exit status 0 passes, 77 skips,
# anything else fails.  Each test's result is printed when it ends (PASS,
# SKIP or FAIL with its last lines, then its FIGURE lines); the run ends
# with the line "N passed, N failed, N skipped" and exits non-zero on any
# failure.  Tests make their own temporary directories (mkdtemp) and ask
# for ephemeral ports, so two can run side by side.
set -u
cd "$(dirname "$0")/.."
# one test: its log, then its result block printed in one write (so two
# blocks never interleave) and its status kept for the tally
if [ "${1:-}" = "--one" ]; then
    t=$2 L=$3   # the environment (JITRL_*) is the parent's
    name=$(basename "$t")
    log="$L/$name.log"
    start=$(date +%s)
    case "$t" in
        *.sh) timeout 600 sh "$t" >"$log" 2>&1 ;;
        *) timeout 600 "$t" >"$log" 2>&1 ;;
    esac
    rc=$?
    secs=$(( $(date +%s) - start ))
    {
        if [ $rc -eq 0 ]; then echo "PASS $name (${secs}s)"
        elif [ $rc -eq 77 ]; then echo "SKIP $name: $(tail -n 1 "$log")"
        else echo "FAIL $name (exit $rc, ${secs}s); last lines:"; tail -n 25 "$log" | sed 's/^/    /'
        fi
        grep -h '^FIGURE' "$log" 2>/dev/null | sed 's/^/    /'
    } >"$L/$name.result"
    echo $rc >"$L/$name.rc"
    cat "$L/$name.result"
    exit 0
fi

B=${1:-build}
ROOT=$(pwd)
export JITRL_ROOT="$ROOT" JITRL_BUILD="$ROOT/$B" JITRL_BIN="$ROOT/$B/jitrl"
export JITRL_SHARED="${JITRL_SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd || echo "$ROOT/../shared")}"
JOBS=${JITRL_TEST_JOBS:-2}
L="$B/test-logs"
mkdir -p "$L"

list=""
for t in "$B"/tests/test_* tests/test_*.sh; do
    [ -f "$t" ] || continue
    case "$t" in *.d|*.log) continue;; esac
    rm -f "$L/$(basename "$t").rc"
    list="$list $t"
done
# shellcheck disable=SC2086
printf '%s\n' $list | xargs -P "$JOBS" -I{} sh "$ROOT/tests/run.sh" --one {} "$L"
pass=0; fail=0; skip=0
for t in $list; do
    rc=$(cat "$L/$(basename "$t").rc" 2>/dev/null || echo 1)
    if [ "$rc" -eq 0 ]; then pass=$((pass+1))
    elif [ "$rc" -eq 77 ]; then skip=$((skip+1))
    else fail=$((fail+1))
    fi
done
echo "$pass $fail $skip" >"$L/tally"   # for scripts/test.sh's grand total
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
