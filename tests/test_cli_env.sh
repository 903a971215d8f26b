#!/bin/sh
# test_cli_env.sh -- the environment variables the CLI honours for the
# library, which reads none itself (cli/cli_env.c turns them into options):
# JITRL_ENV_STATS / JITRL_ENV_DEBUG(=2) / JITRL_ENV_DUMP give the game's
# debugging lines, absent without them; a bad JITRL_LLM_* value is refused
# naming the variable.  (The key from OPENAI_API_KEY: test_llm_endpoint.sh.)
# Offline, built-in game.
set -u
J=${JITRL_BIN:-build/jitrl}
B=${JITRL_BUILD:-build}
G="$B/games/jitrl_cave.z5"
[ -f "$G" ] || { echo "the built-in game is not built ($G)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset JITRL_ENV_STATS JITRL_ENV_DEBUG JITRL_ENV_DUMP

$J actions "$G" >"$T/out" 2>"$T/err" || fail "actions exited $?"
[ -s "$T/err" ] && { cat "$T/err"; fail "debugging lines with no variable set"; }
JITRL_ENV_STATS=1 $J actions "$G" >"$T/out2" 2>"$T/err" || fail "actions with JITRL_ENV_STATS exited $?"
grep -Eq '^valid actions: [0-9.]+ ms, [0-9]+ candidates' "$T/err" || { cat "$T/err"; fail "no stats line"; }
# the log changes nothing: the same answers (timings aside)
strip() { sed -E 's/[0-9.]+ ms//; s/"ms_[a-z_0-9]+":[0-9.]+//g' "$1"; }
[ "$(strip "$T/out")" = "$(strip "$T/out2")" ] || fail "JITRL_ENV_STATS changed the answers"
JITRL_ENV_DEBUG=1 JITRL_ENV_DUMP="$T/dump" $J actions "$G" >/dev/null 2>"$T/err" || fail "debug exited $?"
grep -q '^candidates: ' "$T/err" || fail "JITRL_ENV_DEBUG: no candidate counts"
grep -q '^cand ' "$T/err" && fail "JITRL_ENV_DEBUG=1 listed every candidate"
grep -Eq '^[0-9a-f]+ [0-9a-f]+$' "$T/dump" || fail "JITRL_ENV_DUMP: no state line in the file"
JITRL_ENV_DEBUG=2 $J actions "$G" >/dev/null 2>"$T/err" || fail "debug 2 exited $?"
grep -q '^cand ' "$T/err" || fail "JITRL_ENV_DEBUG=2: no candidate lines"

for v in JITRL_LLM_RETRIES=lots JITRL_LLM_TEMPERATURE=9 JITRL_LLM_TIMEOUT_MS=0; do
    env "$v" $J play --llm http://127.0.0.1:1/v1 --model m --episodes 1 --quiet >/dev/null 2>"$T/err"
    rc=$?
    [ $rc -ne 0 ] || fail "$v: play exited 0"
    grep -q "${v%%=*}" "$T/err" || { cat "$T/err"; fail "$v: the message does not name the variable"; }
done
echo "ok"
