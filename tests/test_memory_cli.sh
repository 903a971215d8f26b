#!/bin/sh
# test_memory_cli.sh -- `jitrl memory`: import, stats, export round trip
# byte-identical through two files, prune, and clear errors on a missing or
# corrupt file.
set -u
J=${JITRL_BIN:-build/jitrl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat > "$T/in.jsonl" <<'JL'
{"id":3,"task":"zork1","score":10,"time":1700000000,"gamma":0.5,"steps":[{"state":{"current":"West of House \"quoted\" caf\u00e9","history":""},"action":"open mailbox","reward":0,"return":2.5},{"state":{"current":"West of House. mailbox open","history":"open mailbox"},"action":"take leaflet","reward":5,"return":5}]}
{"id":7,"task":"zork1","score":2,"time":1700000100,"gamma":0.1,"steps":[{"state":{"current":"x"},"action":"wait","reward":0.1,"return":0.1}]}
{"id":9,"task":"zork1","score":7,"time":1700000200,"gamma":0.5,"steps":[]}
JL
"$J" memory import "$T/a.db" "$T/in.jsonl" || fail "import"
"$J" memory stats "$T/a.db" --json | grep -q '"episodes": 3, "steps": 3' || fail "stats"
"$J" memory export "$T/a.db" -o "$T/1.jsonl" || fail "export 1"
"$J" memory import "$T/b.db" < "$T/1.jsonl" || fail "import 2"
"$J" memory export "$T/b.db" > "$T/2.jsonl" || fail "export 2"
cmp "$T/1.jsonl" "$T/2.jsonl" || fail "export -> import -> export differs"
"$J" memory prune "$T/b.db" --keep 2 | grep -q "removed 1 episode" || fail "prune --keep"
"$J" memory stats "$T/b.db" | grep -q "best score *10" || fail "prune kept the wrong episodes"
"$J" memory prune "$T/b.db" --max-age 1d | grep -q "removed 2 episodes" || fail "prune --max-age"
"$J" memory stats "$T/missing.db" 2>"$T/err" && fail "missing file accepted"
grep -q "no such memory file" "$T/err" || fail "missing file message"
echo "not a database" > "$T/junk.db"
"$J" memory stats "$T/junk.db" 2>"$T/err" && fail "junk accepted"
grep -q "not a SQLite database" "$T/err" || fail "junk message"
printf '{"task":1}\n' > "$T/bad.jsonl"
"$J" memory import "$T/c.db" "$T/bad.jsonl" 2>"$T/err" && fail "bad line accepted"
grep -q "line 1" "$T/err" || fail "bad line message"
echo "ok"
