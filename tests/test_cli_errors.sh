#!/bin/sh
# test_cli_errors.sh -- the CLI's messages for bad input (issue 16): each
# names the flag, the file or the cause, and the exit status is the
# documented one (0 help, 1 failed work, 2 bad usage).  Offline, built-in
# game and files made here only.
set -u
J=${JITRL_BIN:-build/jitrl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect RC PATTERN CMD...: runs CMD, checks its status and that stderr
# matches PATTERN (grep -E)
expect() {
    want=$1 pat=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] || { cat "$T/err"; fail "$* exited $got, not $want"; }
    [ -z "$pat" ] || grep -Eq -- "$pat" "$T/err" || { cat "$T/err"; fail "$*: stderr lacks /$pat/"; }
}

# ---- play flags ----
expect 2 "unknown option '--unknown-flag'" $J play --unknown-flag
grep -q "needs a value" "$T/err" && fail "an unknown flag is not a flag that needs a value"
expect 2 "unknown option '--bogus'" $J play --bogus 3
expect 2 "--episodes needs a value" $J play --episodes
expect 2 "unknown option '--unknown-flag'" $J bench play --unknown-flag
expect 2 "--runs needs a value" $J bench play --runs
for fv in "--threshold inf" "--alpha nan" "--keep-above nan" "--beta inf" "--gamma -inf" "--lambda nan"; do
    set -- $fv
    expect 2 "$1 needs a finite number" $J play --quiet --episodes 1 --max-steps 2 $fv
done
expect 2 "bench zvm" $J bench
expect 0 "" $J bench --help
grep -q "usage: jitrl bench" "$T/out" || fail "bench --help prints its usage on stdout"

# ---- a run that fails at start prints no results table ----
# (a memory path in a directory that does not exist cannot be created)
expect 1 "no episode completed" $J play --quiet --episodes 1 --max-steps 2 --memory "$T/no/such/dir/m.db"
grep -q "0.00 +- 0.00" "$T/out" && { cat "$T/out"; fail "a table of zeros after a failed start"; }

# ---- stories ----
expect 1 "/etc/passwd: not a Z-machine story file" $J play /etc/passwd --quiet
grep -q "version 114" "$T/err" && fail "a text file is not an unsupported version"

# ---- actions --walkthrough on a directory ----
mkdir "$T/dir"
# (needs the built-in game's story file, which the build compiles)
G=${JITRL_BUILD:-build}/games/jitrl_cave.z5
if [ -f "$G" ]; then
    expect 1 "cannot read walkthrough $T/dir: Is a directory" $J actions "$G" --walkthrough "$T/dir"
else
    echo "no $G: skipping the walkthrough-directory case"
fi

# ---- the built-in game has one name: summary, trace and memory ----
$J play --quiet --episodes 1 --max-steps 3 --memory "$T/name.db" --log "$T/name.jsonl" --summary "$T/name.json" \
    >/dev/null 2>&1 || fail "a short run of the built-in game"
grep -q '"game":"jitrl_cave"' "$T/name.json" || fail "the summary does not name jitrl_cave"
head -n 1 "$T/name.jsonl" | grep -q '"game":"jitrl_cave"' || { head -c 200 "$T/name.jsonl"; fail "the trace does not name jitrl_cave"; }
$J memory export "$T/name.db" 2>/dev/null | head -n 1 | grep -q '"task":"jitrl_cave"' || fail "the memory's task is not jitrl_cave"

# ---- report ----
echo '{"games": []}' >"$T/empty.json"
expect 1 "empty.json holds no run summaries" $J report "$T/empty.json" -o "$T/r.html"
grep -q "^usage" "$T/err" && fail "an empty summary is not a usage error"
echo '{"agent":"jitrl","runs":[{"scores":[1.7e308, 1.7e308]},{"scores":[-1.7e308, 3]}]}' >"$T/huge.json"
expect 1 "huge.json: not a run summary: summary 0: run 1: score 1 is 1.7e\\+308, outside" \
    $J report "$T/huge.json" -o "$T/r.html"
grep -qi "out of memory" "$T/err" && fail "huge scores are not out of memory"
echo '{"agent":"jitrl","episodes":"fifty","runs":[{"scores":[1,2]}]}' >"$T/typed.json"
expect 1 "\"episodes\" is not a number" $J report "$T/typed.json" -o "$T/r.html"
echo 'not json' >"$T/bad.json"
expect 1 "bad.json: not a run summary" $J report "$T/bad.json" -o "$T/r.html"
grep -q "reply" "$T/err" && fail "a file is not an HTTP reply"
# ---- outputs on a full disk (/dev/full) fail the run with the reason ----
echo '{"agent":"jitrl","runs":[{"scores":[1,2]}]}' >"$T/ok.json"
if [ -w /dev/full ]; then
    expect 1 "writing --log /dev/full: No space left on device" \
        $J play --quiet --episodes 2 --max-steps 5 --log /dev/full
    expect 1 "writing /dev/full failed: No space left on device" \
        $J play --quiet --episodes 1 --max-steps 5 --summary /dev/full
    expect 1 "writing /dev/full failed: No space left on device" \
        $J play --quiet --episodes 1 --max-steps 5 --report /dev/full
    expect 1 "writing /dev/full failed: No space left on device" $J report "$T/ok.json" -o /dev/full
else
    echo "no writable /dev/full: skipping the full-disk cases"
fi
# ---- output paths are checked before the run ----
for flag in --summary --report --log; do
    expect 1 "cannot write $flag $T/no/dir/out: No such file or directory" \
        $J play --quiet --episodes 1 --max-steps 5 --memory "$T/m$flag.db" $flag "$T/no/dir/out"
    [ -e "$T/m$flag.db" ] && fail "$flag: the run started before its output was checked"
done
expect 1 "cannot write -o $T/no/dir/r.html" $J report "$T/ok.json" -o "$T/no/dir/r.html"
echo "cli error messages: ok"
