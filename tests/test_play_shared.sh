#!/bin/sh
# test_play_shared.sh -- a memory shared by concurrent runs (issue 16,
# defect 11): two runs of 4 episodes write one memory at the same time,
# then a third resumes it.  Every summary must agree with itself: no run
# holds more scores than "episodes", and each run says how many of the
# game's episodes were stored before it began (stored_before) and how many
# of its scores it read back from there (resumed).  Offline, built-in game.
set -u
J=${JITRL_BIN:-build/jitrl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
M="$T/shared.db"
# created first, by one episode: two processes creating one memory at the
# same instant is a different matter (the store's creation)
$J play --episodes 1 --max-steps 15 --seed 9 --memory "$M" --quiet >/dev/null 2>"$T/0.err" \
    || { cat "$T/0.err"; fail "creating the memory"; }
$J play --episodes 4 --max-steps 15 --seed 1 --memory "$M" --quiet --summary "$T/a.json" >/dev/null 2>"$T/a.err" &
A=$!
$J play --episodes 4 --max-steps 15 --seed 2 --memory "$M" --quiet --summary "$T/b.json" >/dev/null 2>"$T/b.err" &
B=$!
wait $A || { cat "$T/a.err"; fail "first concurrent run"; }
wait $B || { cat "$T/b.err"; fail "second concurrent run"; }
# the memory now holds 1 + 3 + 3 episodes of the game (each resumed the
# first one), or fewer when the later run also resumed the other's
$J play --episodes 4 --max-steps 15 --memory "$M" --quiet --summary "$T/c.json" >/dev/null 2>"$T/c.err" \
    || { cat "$T/c.err"; fail "the resuming run"; }
python3 -c "
import json
for name in 'abc':
    s = json.load(open('$T/%s.json' % name))
    for r in s['runs']:
        assert len(r['scores']) == s['episodes'] == 4, (name, s['episodes'], len(r['scores']))
        assert 0 <= r['resumed'] <= len(r['scores']), (name, r)
        assert r['stored_before'] >= r['resumed'], (name, r)
a, b, c = (json.load(open('$T/%s.json' % n))['runs'][0] for n in 'abc')
total = 1 + (4 - a['resumed']) + (4 - b['resumed'])
assert c['stored_before'] == total, (c['stored_before'], total)
assert c['resumed'] == 4, c
print('FIGURE shared memory: runs resumed %d, %d; the third found %d stored, resumed %d'
      % (a['resumed'], b['resumed'], c['stored_before'], c['resumed']))
" || fail "a summary contradicts itself"
grep -q "holds $(python3 -c "import json;print(json.load(open('$T/c.json'))['runs'][0]['stored_before'])") episodes" "$T/c.err" \
    || { cat "$T/c.err"; fail "the resuming run does not say how many were stored"; }
echo ok
