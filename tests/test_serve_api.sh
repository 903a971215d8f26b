#!/bin/sh
# test_serve_api.sh -- `jitrl serve` as a process: start it on an ephemeral
# port with a tokens file and a memory directory, check every route's live
# answers against docs/openapi.yaml (tests/serve_api.py), run the Python
# client's example agent (clients/python/example_agent.py) until it has
# learnt its task through the service, then stop it with SIGTERM.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${JITRL_BIN:-$ROOT/build/jitrl}
PY=/usr/bin/python3
if ! $PY -c 'import yaml' 2>/dev/null; then
    [ "${CI:-}" = true ] && { echo "python3-yaml is missing (scripts/bootstrap.sh installs it)"; exit 1; }
    echo "python3-yaml is missing: cannot read docs/openapi.yaml"; exit 77
fi
T=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir "$T/mem"
TOK=tok-$$-api
printf '%s  api,api-*,doors\n' "$(printf %s "$TOK" | sha256sum | cut -c1-64)" >"$T/tokens"
printf '%s  other\n' "$(printf %s other-token | sha256sum | cut -c1-64)" >>"$T/tokens"
"$BIN" serve --listen 127.0.0.1:0 --memory "$T/mem" --tokens "$T/tokens" >"$T/out" 2>"$T/log" &
PID=$!
i=0
while ! grep -q '^listening on ' "$T/out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then echo "the server did not start:"; cat "$T/log"; exit 1; fi
    sleep 0.1
done
ADDR=$(sed -n 's/^listening on //p' "$T/out")
fails=0
$PY "$ROOT/tests/serve_api.py" "$ADDR" "$TOK" api other || fails=$((fails + 1))
$PY "$ROOT/clients/python/example_agent.py" --url "http://$ADDR" --token "$TOK" --namespace doors || {
    echo "FAIL: the example agent did not learn"; fails=$((fails + 1)); }
# the client's other calls, and its errors
$PY - "$ADDR" "$TOK" "$ROOT/clients/python" <<'PY' || { echo "FAIL: the Python client"; fails=$((fails + 1)); }
import sys
sys.path.insert(0, sys.argv[3])
from jitrl_client import Client, JitrlError
c = Client("http://" + sys.argv[1], token=sys.argv[2], namespace="doors")
eps = c.export()
assert len(eps) == c.stats()["episodes"] > 0
assert c.import_episodes(eps, namespace="api-client") == len(eps)
assert c.prune(keep=1, namespace="api-client") == len(eps) - 1
assert c.healthz()["status"] == "ok" and c.readyz()["status"] == "ready" and "jitrl_requests_total" in c.metrics()
try:
    c.stats(namespace="other")
    raise SystemExit("no error for a namespace outside the grant")
except JitrlError as e:
    assert e.status == 403 and e.code == "forbidden", e
try:
    Client("http://" + sys.argv[1], token="nope").stats()
    raise SystemExit("no error for an unknown token")
except JitrlError as e:
    assert e.status == 401, e
print("client ok")
PY
grep -q "$TOK" "$T/log" && { echo "FAIL: the token appears in the log"; fails=$((fails + 1)); }
grep -q ' POST /v1/decide 200 ' "$T/log" || { echo "FAIL: no access log line"; fails=$((fails + 1)); }
kill "$PID"
wait "$PID"; rc=$?
PID=""
[ $rc -eq 0 ] || { echo "FAIL: the server exited $rc on SIGTERM"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo ok
[ $fails -eq 0 ]
