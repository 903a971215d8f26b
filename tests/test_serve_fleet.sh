#!/bin/sh
# test_serve_fleet.sh -- two `jitrl serve` instances on one PostgreSQL
# memory (a throw-away cluster, scripts/pg.sh):
#  1. an episode recorded through instance A is among the neighbours of
#     instance B's next decisions (the delay is a FIGURE; B picks it up by
#     its sync thread, NOTIFY or the commit cursor);
#  2. SIGKILL of an instance under load loses no acknowledged episode
#     (`jitrl bench serve --instances 2 --kill` checks every acknowledged
#     episode against the export);
#  3. PostgreSQL stopped under load: recording answers 503 and /readyz 503;
#     started again: both answer 200 again from the same processes (no
#     restart of serve), and every episode acknowledged before, during and
#     after is in the memory.
# Without PostgreSQL installed it is skipped, except under CI=true.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${JITRL_BIN:-$ROOT/build/jitrl}
PY=/usr/bin/python3
T=$(mktemp -d)
P=""
. "$ROOT/tests/support/pgtest.sh"
PA="" PB=""
cleanup() {
    [ -n "$PA" ] && kill "$PA" 2>/dev/null
    [ -n "$PB" ] && kill "$PB" 2>/dev/null
    pg_test_stop
    rm -rf "$T"
}
trap cleanup EXIT
pg_test_start

# start NAME: an instance on an ephemeral port; sets PID_NAME and ADDR_NAME
start() {
    "$BIN" serve --listen 127.0.0.1:0 --memory "$URI" >"$T/$1.out" 2>"$T/$1.log" &
    eval "PID_$1=$!"
    i=0
    while ! grep -q '^listening on ' "$T/$1.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 200 ] || ! kill -0 "$(eval echo \$PID_$1)" 2>/dev/null; then
            echo "instance $1 did not start:"; cat "$T/$1.log"; exit 1
        fi
        sleep 0.1
    done
    eval "ADDR_$1=$(sed -n 's/^listening on //p' "$T/$1.out")"
}
start A
start B
PA=$PID_A PB=$PID_B
fails=0

# 1. recorded through A, a neighbour in B's next decisions
$PY - "$ADDR_A" "$ADDR_B" <<'PY' || fails=$((fails + 1))
import json, sys, time, urllib.request
a, b = sys.argv[1], sys.argv[2]
def post(addr, path, body):
    rq = urllib.request.Request("http://%s%s" % (addr, path), data=json.dumps(body).encode(),
                                headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(rq, timeout=30) as r:
        return json.load(r)
state = {"current": "a brass lamp in the fleet room", "history": "north"}
ask = {"namespace": "fleet", "state": state, "candidates": [{"action": "take lamp"}, {"action": "wait"}]}
assert post(b, "/v1/decide", ask)["neighbours"] == 0, "B has neighbours before anything was recorded"
r = post(a, "/v1/episodes", {"namespace": "fleet", "steps": [{"state": state, "action": "take lamp", "reward": 1}]})
t0 = time.time()
seen = None
for _ in range(400):   # at most ~20 s
    d = post(b, "/v1/decide", ask)
    if d["neighbours"] > 0:
        seen = time.time() - t0
        break
    time.sleep(0.05)
assert seen is not None, "B never saw the episode recorded through A"
print("FIGURE serve fleet: an episode recorded through instance A was a neighbour of instance B's decision "
      "%.0f ms later (episode %s)" % (seen * 1000, r["episode_id"]))
PY

# 3. the database stopped and started again under load (B keeps running)
$PY - "$ADDR_B" "$T/acked" <<'PY' &
import json, sys, time, urllib.request, urllib.error
b, out = sys.argv[1], sys.argv[2]
codes = {}
acked = []
end = time.time() + 60
n = 0
while time.time() < end and n < 100000:
    n += 1
    body = {"namespace": "outage", "episode_key": "k%d" % n,
            "steps": [{"state": {"current": "room %d" % (n % 7), "history": ""}, "action": "act %d" % n, "reward": 1}]}
    rq = urllib.request.Request("http://%s/v1/episodes" % b, data=json.dumps(body).encode(),
                                headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            acked.append(json.load(r)["episode_id"])
            code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception:
        code = 0
    codes[code] = codes.get(code, 0) + 1
    try:
        open(out + ".tmp", "w").write(json.dumps({"codes": codes, "acked": acked, "last": code}))
        import os; os.replace(out + ".tmp", out)
    except OSError:
        pass
    time.sleep(0.02)
PY
LOAD=$!
sleep 2
sh "$ROOT/scripts/pg.sh" stop "$P" || { echo "FAIL: could not stop PostgreSQL"; fails=$((fails + 1)); }
sleep 3
ready_down=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR_B/readyz")
sh "$ROOT/scripts/pg.sh" start "$P" >/dev/null || { echo "FAIL: could not start PostgreSQL again"; fails=$((fails + 1)); }
i=0
while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR_B/readyz")" != 200 ] && [ $i -lt 300 ]; do
    i=$((i + 1)); sleep 0.1
done
ready_up=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR_B/readyz")
sleep 3
kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null
kill -0 "$PB" 2>/dev/null || { echo "FAIL: instance B died"; fails=$((fails + 1)); }
curl -s "http://$ADDR_B/v1/namespaces/outage/episodes" >"$T/export.jsonl"
$PY - "$T/acked" "$T/export.jsonl" "$ready_down" "$ready_up" <<'PY' || fails=$((fails + 1))
import json, sys
st = json.load(open(sys.argv[1]))
ids = {json.loads(l)["id"] for l in open(sys.argv[2]) if l.strip()}
codes = {int(k): v for k, v in st["codes"].items()}
missing = [i for i in st["acked"] if i not in ids]
print("FIGURE serve fleet outage: answers %s, /readyz %s while down and %s after, %d acknowledged, %d missing"
      % (dict(sorted(codes.items())), sys.argv[3], sys.argv[4], len(st["acked"]), len(missing)))
assert codes.get(503, 0) > 0, "no 503 while the database was down"
assert sys.argv[3] == "503" and sys.argv[4] == "200", "readyz did not go 503 then 200"
assert st["last"] == 200, "recording did not recover (last answer %s)" % st["last"]
assert not missing, "acknowledged episodes missing: %s" % missing[:10]
PY

# 2. SIGKILL of one of two instances under load
"$BIN" bench serve --seconds 6 --agents 8 --steps 200 --instances 2 --kill --memory "$URI" >"$T/bench.out" 2>&1 ||
    { echo "FAIL: bench serve --kill:"; tail -n 20 "$T/bench.out"; fails=$((fails + 1)); }
grep '^FIGURE' "$T/bench.out"
grep -q 'SIGKILLed at' "$T/bench.out" && grep -q 'FIGURE bench_serve .* missing=0' "$T/bench.out" ||
    { echo "FAIL: an acknowledged episode is missing after the SIGKILL"; tail -n 10 "$T/bench.out"; fails=$((fails + 1)); }

[ $fails -eq 0 ] || { echo "$fails part(s) failed"; tail -n 5 "$T/B.log"; exit 1; }
echo "fleet ok"
