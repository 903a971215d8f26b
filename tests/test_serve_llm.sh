#!/bin/sh
# test_serve_llm.sh -- `jitrl serve --llm URL --model M` against the scripted
# model server (tests/tools/llm_server, oracle mode): a decision sent without
# logits gets its prior from the model in one call (the preferred candidate
# far likelier than uniform), one sent with logits makes no call, and
# /metrics counts the calls and the tokens; the key never reaches the log.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
B=${JITRL_BUILD:-$ROOT/build}
BIN=${JITRL_BIN:-$B/jitrl}
. "$ROOT/tests/support/llm_server.sh"
printf 'open mailbox\n' >"$T/prefer"
start_server --mode oracle --prefer "$T/prefer" --require-key sk-serve-test-key
OPENAI_API_KEY=sk-serve-test-key "$BIN" serve --listen 127.0.0.1:0 --llm "http://127.0.0.1:$PORT/v1" --model m \
    >"$T/out" 2>"$T/log" &
JPID=$!
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; kill $JPID 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! grep -q '^listening on ' "$T/out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && { cat "$T/log"; fail "jitrl serve did not start"; }
    sleep 0.1
done
A=$(sed -n 's/^listening on //p' "$T/out")
/usr/bin/python3 - "$A" <<'PY' || fail "the model's prior was not used"
import json, sys, urllib.request
A = sys.argv[1]
def post(body):
    r = urllib.request.Request(f"http://{A}/v1/decide", json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r, timeout=30))
state = {"current": "West of House. A small mailbox.", "history": ""}
d = post({"namespace": "m", "state": state, "task": "Play Zork.", "observation": "You are west of a house.",
          "candidates": [{"action": "go north"}, {"action": "open mailbox"}, {"action": "wait"}], "seed": 1})
print("with the model:", d["probs"])
assert d["probs"][1] > 0.9, d
d = post({"namespace": "m", "state": state, "seed": 1,
          "candidates": [{"action": "go north", "logit": 0}, {"action": "open mailbox", "logit": 0}]})
assert abs(d["probs"][0] - 0.5) < 1e-9, d
m = urllib.request.urlopen(f"http://{A}/metrics", timeout=30).read().decode()
calls = [l for l in m.splitlines() if l.startswith("jitrl_model_calls_total ")]
print(calls)
assert calls == ["jitrl_model_calls_total 1"], calls
assert 'jitrl_model_tokens_total{kind="prompt"} ' in m
PY
grep -q sk-serve-test-key "$T/log" && fail "the key appears in the log"
echo ok
