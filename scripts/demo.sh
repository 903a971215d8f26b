#!/bin/sh
# demo.sh -- the README's main command: install packages, build, and run the
# main job: the JitRL agent against the static baseline on the built-in
# game, offline (no network, no model), 5 runs each, with a report.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
make -j"$(nproc 2>/dev/null || echo 2)" BUILD=build cli
mkdir -p out
./build/jitrl play --agent static --runs 5 --summary out/static.json "$@"
./build/jitrl play --agent jitrl --runs 5 --summary out/jitrl.json --report out/jitrl.html "$@"
./build/jitrl report out/static.json out/jitrl.json -o out/report.html
echo "report: out/report.html"
