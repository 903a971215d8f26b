#!/bin/sh
# demo.sh -- the README's main command: install packages, build, and run the
# main job: the static baseline, the tabular baseline and the JitRL agent
# on the built-in game, offline (no network, no model), 5 runs each, with a
# summary and an HTML report.  Extra arguments go to `jitrl play` (e.g. --episodes 20).
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
make -j"$(nproc 2>/dev/null || echo 2)" BUILD=build cli
mkdir -p out
./build/jitrl play --agent all --runs 5 --summary out/summary.json --report out/report.html "$@"
echo "summary: out/summary.json  report: out/report.html"
