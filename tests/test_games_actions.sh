#!/bin/sh
# test_games_actions.sh -- valid actions on the project's own grammar test
# games (tests/games/, issue #15): `jitrl actions --walkthrough` must find
# every world-changing step of
#   t_grammar  (Inform 6/12, grammar version 2): number and special tokens,
#              topics naming nothing, a general parsing routine, orders to
#              a character, a scope routine, parse_name, an attribute
#              token, the 'all' forms (recall 0.625 before these were read);
#   t_noparser (a parser of its own, no grammar table): the fallback, which
#              must say so ("no parser grammar found" refused it before).
# Prints FIGURE lines with recall, cold ms per state and candidates.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
J=${JITRL_BIN:-$BUILD/jitrl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

field() { # field NAME FILE -- a number or string field of the JSON summary
    sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[-0-9.]*\).*/\1/p" "$2" | tr -d '"'
}

# Under the sanitizers a walk is several times slower: the first steps only
# (each state's candidates share one turn's time limit, 5 s).
steps=0
[ "${JITRL_SANITIZED:-}" = 1 ] && steps=10

check() { # check GAME PARSER_PREFIX
    g=$1 story=$BUILD/tests/games/$1.z5
    [ -f "$story" ] || { echo "FAIL $g: not built ($story)"; fails=$((fails + 1)); return; }
    "$J" actions "$story" --walkthrough "$ROOT/tests/games/$g.walk" --steps $steps --json >"$T/$g.json" 2>"$T/$g.err"
    rc=$?
    [ $rc = 0 ] || { echo "FAIL $g: jitrl actions exited $rc: $(cat "$T/$g.err")"; fails=$((fails + 1)); return; }
    rec=$(field recall "$T/$g.json") parser=$(field parser "$T/$g.json")
    echo "FIGURE actions $g: recall $rec, cold median $(field ms_cold_median "$T/$g.json") ms," \
        "p95 $(field ms_cold_p95 "$T/$g.json") ms, candidates $(field candidates_median "$T/$g.json"), parser $parser"
    [ "$rec" = "1.0000" ] || { echo "FAIL $g: recall $rec, misses: $(field misses "$T/$g.json")"; sed 's/.*"misses":\(\[[^]]*\]\).*/\1/' "$T/$g.json"; fails=$((fails + 1)); }
    case $parser in
        "$2"*) ;;
        *) echo "FAIL $g: parser '$parser', expected '$2'"; fails=$((fails + 1)) ;;
    esac
}

check t_grammar inform-gv2
check t_noparser "fallback: no parser grammar found"
# the fallback says so on stderr too, where a user sees it
grep -q "fallback" "$T/t_noparser.err" || { echo "FAIL t_noparser: no fallback message on stderr"; fails=$((fails + 1)); }

[ $fails = 0 ] && echo "PASS test_games_actions" || { echo "FAIL test_games_actions ($fails)"; exit 1; }
