#!/bin/sh
# test_play_web.sh -- `jitrl play --env web` end to end, offline, on the
# browser tests' site (build/tests/web_testsrv_main) mapped in place of
# __SHOPPING__, with the five tasks of tests/web/learn_tasks.json (an
# answer, a URL, an end state, js_reward with intent_js):
#  - static and jitrl, 5 attempts per task, memory shared across tasks:
#    the table, the summary bundle (one summary per agent and site, the
#    episodes being the attempts) and the HTML report are written;
#  - acceptance: jitrl's success over the 5 attempts beats static's by at
#    least 0.15 (Avg, seed 1, 2 steps per attempt; measured 0.68 vs 0.24;
#    deterministic: the site is reset (POST /__reset) before each episode);
#  - with --llm (the scripted server preferring the right answers), the
#    intent and the page reach the prompt and the answer tasks succeed,
#    one of them judged by the model (fuzzy_match: "correct" preferred);
#  - a task whose placeholder no --site maps, a missing --tasks and a bad
#    --site are clear errors (exit 2, or 1 naming the flag to give).
# No browser: skipped, except under CI=true, where it is a failure.
set -u
J=${JITRL_BIN:-build/jitrl}
B=${JITRL_BUILD:-build}
R=${JITRL_ROOT:-.}
T=$(mktemp -d)
PID=
LPID=
trap 'kill $PID $LPID 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    [ "${CI:-}" = true ] && fail "chromium or chromedriver missing under CI"
    echo "chromium/chromedriver not installed"; exit 77
fi
"$B/tests/web_testsrv_main" --seconds 600 >"$T/srv.txt" 2>&1 &
PID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q '^URL ' "$T/srv.txt" && break; sleep 0.2; done
U=$(awk '/^URL /{print $2}' "$T/srv.txt")
[ -n "$U" ] || fail "the test site did not start"

$J play --env web --tasks "$R/tests/web/learn_tasks.json" --site "shopping=$U" --attempts 5 --max-steps 2 \
    --runs 1 --seed 1 --quiet --summary "$T/web.json" --report "$T/web.html" >"$T/table.txt" 2>"$T/err.txt" \
    || { cat "$T/err.txt" "$T/table.txt"; fail "play --env web"; }
cat "$T/table.txt"
grep -q '^web:shopping' "$T/table.txt" && grep -q '^static ' "$T/table.txt" && grep -q '^jitrl ' "$T/table.txt" \
    || fail "table rows"
grep -q '<svg' "$T/web.html" || fail "no report"
python3 -c "
import json
g=json.load(open('$T/web.json'))['games']
assert [(s['agent'],s['game']) for s in g]==[('static','web:shopping'),('jitrl','web:shopping')], g
for s in g:
    assert s['episodes']==5 and s['max_steps']==2 and len(s['runs'])==1, s
    for r in s['runs']:
        assert len(r['scores'])==5 and all(0<=x<=1 for x in r['scores'])
st,jr=g[0]['avg_mean'],g[1]['avg_mean']
print('FIGURE web_success_static %.2f' % st)
print('FIGURE web_success_jitrl %.2f' % jr)
assert jr-st>=0.15, 'jitrl %.2f does not beat static %.2f by 0.15' % (jr,st)
" || fail "summary or margin"

# with a model: the scripted server prefers the two right answers
printf "stop('\$30.00')\nstop('1999')\ncorrect\n" >"$T/prefer.txt"
"$B/tests/llm_server" --mode oracle --prefer "$T/prefer.txt" --max-seconds 300 >"$T/llm.txt" 2>&1 &
LPID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q '^PORT ' "$T/llm.txt" && break; sleep 0.2; done
LP=$(awk '/^PORT /{print $2}' "$T/llm.txt")
python3 -c "
import json; d=json.load(open('$R/tests/web/learn_tasks.json'))
fz=dict(d[1], task_id='fuzzy-price', eval={'eval_types': ['string_match'], 'reference_answers': {'fuzzy_match': ['thirty dollars']}})
json.dump([d[1], d[3], fz], open('$T/answers.json', 'w'))"
OPENAI_API_KEY=test $J play --env web --tasks "$T/answers.json" --site "shopping=$U" --attempts 1 --agent jitrl \
    --llm "http://127.0.0.1:$LP/v1" --model test --quiet >"$T/llm_table.txt" 2>"$T/llm_err.txt" \
    || { cat "$T/llm_err.txt"; fail "play --env web --llm"; }
grep -q '^jitrl    1.00' "$T/llm_table.txt" || { cat "$T/llm_table.txt" "$T/llm_err.txt"; fail "--llm answers"; }

# errors
# (from a directory without tasks/web, which would be the default)
JA=$(cd "$(dirname "$J")" && pwd)/$(basename "$J")
(cd "$T" && "$JA" play --env web --site "shopping=$U" >/dev/null 2>"$T/e1.txt"); [ $? -eq 2 ] || fail "missing --tasks"
grep -q 'needs --tasks' "$T/e1.txt" || fail "missing --tasks message"
$J play --env web --tasks "$R/tests/web/learn_tasks.json" --site shopping >/dev/null 2>"$T/e2.txt"
[ $? -eq 2 ] || fail "bad --site"
$J play --env web --tasks "$R/tests/web/learn_tasks.json" --site "reddit=$U" --agent static --attempts 1 \
    --quiet >/dev/null 2>"$T/e3.txt"
[ $? -eq 1 ] || fail "unmapped placeholder exit"
grep -q -- '--site SHOPPING=URL' "$T/e3.txt" || { cat "$T/e3.txt"; fail "unmapped placeholder message"; }
echo "ok"
