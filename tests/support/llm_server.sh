# llm_server.sh -- sourced by the shell tests that talk to the scripted
# model server (BUILD/tests/llm_server), after they set B (the build dir).
# Sets SRV (skipping the test with 77 when it is not built), a scratch dir
# $T removed on exit together with the server, and fail(); then
#   start_server ARGS...  -> $PORT, $SPID; stats go to $T/stats.json on exit
#   stop_server           waits for the exit, so the stats file is written
SRV="$B/tests/llm_server"
[ -x "$SRV" ] || { echo "skipped: $SRV not built"; exit 77; }
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
start_server() {
    rm -f "$T/port" "$T/stats.json"
    "$SRV" --port 0 --port-file "$T/port" --max-seconds 300 --stats-file "$T/stats.json" "$@" >"$T/srv.out" 2>&1 &
    SPID=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    [ -s "$T/port" ] || fail "the test server did not start"
    PORT=$(cat "$T/port")
}
stop_server() { kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; SPID=; }
