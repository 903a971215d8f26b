#!/bin/sh
# test_llm_endpoint.sh -- a dead, mistyped or leaky model endpoint (issue
# 16, defects 4 and 5), against the scripted server on loopback only:
#  - a refused port, a malformed URL, a URL that is not http(s) and an
#    unknown model fail before the run, naming the URL and the cause;
#  - a server that echoes the request headers (Authorization included) in
#    its error body: the key never reaches stderr or the trace, neither in
#    the check's error (401) nor in the retry/fallback lines of a run (500);
#  - a run whose calls keep failing stops after max_failed_calls (8) calls
#    in a row with the reason, counted on the server, instead of playing
#    50 x 60 steps on the uniform prior and exiting 0.
set -u
J=${JITRL_BIN:-build/jitrl}
B=${JITRL_BUILD:-build}
KEY=sk-test-0123456789SECRETabcdef
export OPENAI_API_KEY=$KEY
unset JITRL_API_KEY

. "$(dirname "$0")/support/llm_server.sh"
# play_expect RC PATTERN ARGS...: run play, check status and stderr
play_expect() {
    want=$1 pat=$2
    shift 2
    $J play --quiet --episodes 50 --max-steps 60 "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] || { cat "$T/err"; fail "play $* exited $got, not $want"; }
    grep -Eq -- "$pat" "$T/err" || { cat "$T/err"; fail "play $*: stderr lacks /$pat/"; }
    grep -q "SECRET" "$T/err" "$T/out" && { cat "$T/err"; fail "play $*: the API key is in the output"; }
    return 0
}

# ---- a refused port: a server's port after it has gone ----
start_server
DEAD=$PORT
stop_server
play_expect 1 "cannot reach http://127.0.0.1:$DEAD/v1/chat/completions: .*(connect|refused)" \
    --llm "http://127.0.0.1:$DEAD/v1" --model m
grep -q "run 1" "$T/err" && fail "the run started against a refused port"

# ---- malformed and non-http URLs ----
play_expect 1 "cannot reach http://127.0.0.1:notaport/v1/chat/completions: .*URL" \
    --llm "http://127.0.0.1:notaport/v1" --model m
play_expect 2 "--llm needs an http:// or https:// URL" --llm "127.0.0.1:8080/v1" --model m

# ---- an unknown model, a mistyped path ----
start_server --model right-model
play_expect 1 "answered HTTP 404.*check --llm URL and --model" --llm "http://127.0.0.1:$PORT/v1" --model wrong-model
play_expect 1 "answered HTTP 404" --llm "http://127.0.0.1:$PORT/v2" --model right-model
stop_server

# ---- a server that echoes the Authorization header ----
start_server --echo-headers 401
play_expect 1 "answered HTTP 401.*Authorization: Bearer \[redacted\]" --llm "http://127.0.0.1:$PORT/v1" --model m
stop_server
start_server --echo-headers 500
play_expect 1 "8 calls in a row got no usable reply" --llm "http://127.0.0.1:$PORT/v1" --model m \
    --llm-retries 1 --llm-backoff 1 --log "$T/trace.jsonl"
grep -q "Bearer \[redacted\]" "$T/err" || { cat "$T/err"; fail "the echoed header is not shown redacted"; }
grep -q "SECRET" "$T/trace.jsonl" && fail "the API key is in the trace"
stop_server
# counted on the server: the check (1) + 8 calls x 2 attempts, not 3000 steps
python3 -c "
import json
s=json.load(open('$T/stats.json'))
assert s['chat'] <= 1 + 8 * 2, s['chat']
assert s['chat'] >= 8, s['chat']
print('FIGURE dead endpoint: the run stopped after %d requests' % s['chat'])
" || fail "the failing run made too many requests"
echo ok
