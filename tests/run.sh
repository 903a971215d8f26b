#!/bin/sh
# run.sh BUILD_DIR -- run every test program in BUILD_DIR/tests (test_*) and
# every tests/test_*.sh, each with a 10-minute guard.  Exit status 0 passes,
# 77 skips, anything else fails.  Ends with the line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
ROOT=$(pwd)
export JITRL_ROOT="$ROOT" JITRL_BUILD="$ROOT/$B" JITRL_BIN="$ROOT/$B/jitrl"
export JITRL_SHARED="${JITRL_SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd || echo "$ROOT/../shared")}"
pass=0; fail=0; skip=0; failed=""
mkdir -p "$B/test-logs"
for t in "$B"/tests/test_* tests/test_*.sh; do
    [ -f "$t" ] || continue
    case "$t" in *.d|*.log) continue;; esac
    name=$(basename "$t")
    log="$B/test-logs/$name.log"
    start=$(date +%s)
    case "$t" in
        *.sh) timeout 600 sh "$t" >"$log" 2>&1 ;;
        *) timeout 600 "$t" >"$log" 2>&1 ;;
    esac
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "PASS $name (${secs}s)"
    elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "SKIP $name: $(tail -n 1 "$log")"
    else fail=$((fail+1)); failed="$failed $name"; echo "FAIL $name (exit $rc, ${secs}s); last lines:"; tail -n 25 "$log" | sed 's/^/    /'
    fi
    grep -h '^FIGURE' "$log" 2>/dev/null | sed 's/^/    /'
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
