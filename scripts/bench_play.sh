#!/bin/sh
# bench_play.sh -- the full offline benchmark of issue 11: static, tabular
# and jitrl on every Jericho game in ../shared/jericho/games and on the
# built-in game, RUNS runs (default 10) of 50 episodes x 60 steps each; Avg
# and Final with 95% CIs, and the paper's numbers beside the games it
# reports (library, zork1, zork3).  The table goes to out/bench-play.txt
# (with --json: every summary instead).  Extra arguments go to
# `jitrl bench play` (e.g. --games zork1,library, --preset paper, --json).
# CPU: 11 games x 3 agents x RUNS runs of 15-60 CPU seconds each.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
make -j2 BUILD=build cli >/dev/null
mkdir -p out
./build/jitrl bench play --runs "$RUNS" "$@" | tee out/bench-play.txt
