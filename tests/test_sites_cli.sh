#!/bin/sh
# test_sites_cli.sh -- `jitrl sites`: prints one "NAME URL PLACEHOLDER" line
# per site, the three sites answer on their own ports while it runs, SIGTERM
# stops it cleanly (exit 0), and bad arguments are refused (2) or a bad
# address named (1).
set -u
J=${JITRL_BIN:-build/jitrl}
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "curl is missing"; exit 77; }

: >"$T/out"   # exists before the server writes it: the wait loop reads it at once
(trap - EXIT; exec $J sites --seconds 60 >"$T/out" 2>"$T/err") &
pid=$!
i=0
while [ "$(wc -l <"$T/out")" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(wc -l <"$T/out")" -eq 3 ] || { cat "$T/err"; fail "expected 3 lines, got: $(cat "$T/out")"; }
for s in shopping reddit shopping_admin; do
    u=$(awk -v s=$s '$1 == s {print $2}' "$T/out")
    case "$u" in http://127.0.0.1:*) ;; *) fail "no URL for $s: $(cat "$T/out")" ;; esac
    code=$(curl -s -o "$T/page" -w '%{http_code}' --max-time 10 "$u/")
    [ "$code" = 200 ] || fail "$s answered $code"
    grep -q '<header>' "$T/page" || fail "$s's home page has no header"
done
grep -q '__SHOPPING_ADMIN__' "$T/out" || fail "placeholders not printed"
[ "$(awk '{print $2}' "$T/out" | sort -u | wc -l)" -eq 3 ] || fail "two sites share a URL"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"

$J sites --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "--bogus not refused with 2"
$J sites --seconds 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--seconds 0 not refused with 2"
$J sites --listen 999.1.1.1 >/dev/null 2>"$T/err"; [ $? -eq 1 ] || fail "a bad address did not exit 1"
grep -q "999.1.1.1" "$T/err" || fail "the bad address is not named: $(cat "$T/err")"
$J sites --help | grep -q "usage: jitrl sites" || fail "--help"
echo "jitrl sites: 3 sites served and stopped"
