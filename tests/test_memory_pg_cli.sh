#!/bin/sh
# test_memory_pg_cli.sh -- the CLI on a PostgreSQL memory (a throw-away
# cluster, scripts/pg.sh): `jitrl play --memory postgres://...` records its
# episodes there and a second play resumes from them; `jitrl memory
# stats|export|import|check|prune` read and write the same database, in the
# namespace JITRL_NAMESPACE names, and namespaces stay apart.  Without
# PostgreSQL installed it is skipped, except under CI=true.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${JITRL_BIN:-$ROOT/build/jitrl}
T=$(mktemp -d)
P=""
. "$ROOT/tests/support/pgtest.sh"
cleanup() { pg_test_stop; rm -rf "$T"; }
trap cleanup EXIT
pg_test_start
fail() { echo "FAIL: $*"; exit 1; }
field() { sed -n "s/^$1  *//p" "$2"; }

"$BIN" play --memory "$URI" --episodes 2 --seed 3 >"$T/play1" 2>&1 || { cat "$T/play1"; fail "play into PostgreSQL"; }
"$BIN" memory stats "$URI" >"$T/s1" || fail "memory stats"
[ "$(field episodes "$T/s1")" = 2 ] || { cat "$T/s1"; fail "two episodes expected"; }
# a second play with --episodes 3 resumes: one more episode
"$BIN" play --memory "$URI" --episodes 3 --seed 3 >"$T/play2" 2>&1 || { cat "$T/play2"; fail "resumed play"; }
"$BIN" memory stats "$URI" >"$T/s2" || fail "memory stats"
[ "$(field episodes "$T/s2")" = 3 ] || { cat "$T/s2" "$T/play2"; fail "the resumed play should add one episode"; }
"$BIN" memory check "$URI" >/dev/null || fail "memory check"
"$BIN" memory export "$URI" -o "$T/x.jsonl" || fail "memory export"
# another namespace of the same database: empty, then a copy
JITRL_NAMESPACE="copy'; --" "$BIN" memory import "$URI" "$T/x.jsonl" 2>"$T/imp" || { cat "$T/imp"; fail "import"; }
JITRL_NAMESPACE="copy'; --" "$BIN" memory export "$URI" -o "$T/y.jsonl" || fail "export of the copy"
cmp -s "$T/x.jsonl" "$T/y.jsonl" || fail "export -> import into another namespace -> export differs"
JITRL_NAMESPACE="copy'; --" "$BIN" memory prune "$URI" --keep 1 >"$T/pr" || fail "prune"
grep -q 'removed 2 episodes' "$T/pr" || { cat "$T/pr"; fail "prune of the copy"; }
"$BIN" memory stats "$URI" >"$T/s3" || fail "memory stats"
[ "$(field episodes "$T/s3")" = 3 ] || fail "pruning the copy touched the default namespace"
JITRL_NAMESPACE=never-made "$BIN" memory stats "$URI" >/dev/null 2>"$T/err" && fail "stats of a missing namespace"
grep -q "no namespace 'never-made'" "$T/err" || { cat "$T/err"; fail "the message names the namespace"; }
echo "pg cli ok"
