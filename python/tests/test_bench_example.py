"""python -m jitrl.bench on the built-in game (its winning walkthrough),
and the README's 20-line agent (python/examples/agent.py) as written."""
import json
import os
import subprocess
import sys

from conftest import ROOT, figure


def test_bench_along_a_walkthrough(cave, capsys):
    """zork1's first 25 commands with ../shared (a tenth of the cost of the
    built-in game's states), else the built-in game's winning walkthrough."""
    from jitrl import bench
    story, walk = bench.default_paths()
    args = [story, walk, "--steps", "25"] if story else [cave, os.path.join(ROOT, "games", "jitrl_cave.walk")]
    assert bench.main(args + ["--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    if story:
        assert r["states"] == 26 and r["steps_changing"] >= 20
    else:
        assert r["states"] == 14 and r["steps_changing"] >= 12 and r["score"] == 36
    assert r["recall"] >= 0.9, r
    assert r["cold_states"] >= 1 and r["ms_memo_median"] < r["ms_cold_median"]
    figure("python bench %s (%d states): recall %.4f, cold median %.2f ms, memoised median %.3f ms"
           % (r["story"], r["states"], r["recall"], r["ms_cold_median"], r["ms_memo_median"]))


def test_readme_agent_runs(quick_story):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "python", "examples", "agent.py"), quick_story, "1"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("episode 0 score ")
    assert int(lines[0].split()[5]) > 0   # the episode's steps are in the memory
