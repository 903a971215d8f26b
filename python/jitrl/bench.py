"""python3 -m jitrl.bench [STORY [WALKTHROUGH]] [--steps N] [--json] [--c-bin JITRL]

The cost of FrotzEnv.get_valid_actions() from Python along a walkthrough
(default: zork1 from $JITRL_SHARED or ../shared): at each state, cold (the
first call at that state: the library computes it) and memoised (the state
restored, asked again: answered from the memo), timed around the Python
call, with recall -- of the walkthrough commands that change the world,
the share whose outcome one of the valid actions has (the definition of
`jitrl actions --walkthrough`).  --c-bin runs that C command on the same
walkthrough and prints its figures beside ours.

Why a module of the package: Jericho's users judge a drop-in by this one
number (its own benchmark: ~1 s per call on zork1), measured as they call
it -- from Python, through ctypes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from .frotz import FrotzEnv


def default_paths():
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.environ.get("JITRL_SHARED"), os.path.join(here, "..", "..", "..", "shared"),
             os.path.join(os.getcwd(), "..", "shared")]
    for r in roots:
        if r and os.path.isfile(os.path.join(r, "jericho", "games", "zork1.z5")):
            return (os.path.join(r, "jericho", "games", "zork1.z5"),
                    os.path.join(r, "jericho", "walkthroughs", "zork1.txt"))
    return None, None


def quantile(xs, q):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def run(story, walk, steps=0):
    with open(walk, encoding="utf-8") as f:
        commands = [line.strip() for line in f if line.strip()]
    if steps > 0:
        commands = commands[:steps]
    env = FrotzEnv(story)
    obs, info = env.reset()
    cold, cold_lib, memo, sizes = [], [], [], []
    changing = hits = 0
    misses = []
    done = False
    for i in range(len(commands) + 1):
        if done:
            break
        t = time.perf_counter()
        acts = env.get_valid_actions()
        dt = (time.perf_counter() - t) * 1000
        st = env._last_action_stats()
        if not st["cached"]:
            cold.append(dt)
            cold_lib.append(st["ms"])
        sizes.append(len(acts))
        state = env.get_state()
        env.set_state(state)
        t = time.perf_counter()
        again = env.get_valid_actions()
        dt = (time.perf_counter() - t) * 1000
        if env._last_action_stats()["cached"]:
            memo.append(dt)
        assert again == acts, "the memo answered differently"
        if i == len(commands):
            break
        changes, idx = env._check_action(commands[i])
        if changes:
            changing += 1
            if idx >= 0:
                hits += 1
            else:
                misses.append(commands[i])
        obs, reward, done, info = env.step(commands[i])
    env.close()
    return {
        "story": os.path.basename(story), "states": len(sizes), "recall": hits / changing if changing else 1.0,
        "steps_changing": changing, "hits": hits, "misses": misses,
        "ms_cold_median": statistics.median(cold) if cold else 0.0, "ms_cold_p95": quantile(cold, 0.95),
        "ms_cold_library_median": statistics.median(cold_lib) if cold_lib else 0.0,
        "ms_memo_median": statistics.median(memo) if memo else 0.0, "cold_states": len(cold),
        "actions_median": statistics.median(sizes) if sizes else 0, "score": info["score"],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m jitrl.bench", description=__doc__.split("\n\n")[1])
    ap.add_argument("story", nargs="?")
    ap.add_argument("walkthrough", nargs="?")
    ap.add_argument("--steps", type=int, default=0, help="replay only the first N commands")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--c-bin", help="also run `JITRL actions STORY --walkthrough W --json` and compare")
    a = ap.parse_args(argv)
    story, walk = a.story, a.walkthrough
    if not story:
        story, walk = default_paths()
        if not story:
            ap.error("no story given and no ../shared/jericho/games/zork1.z5 (set JITRL_SHARED)")
    if not walk:
        base = os.path.splitext(os.path.basename(story))[0]
        walk = os.path.join(os.path.dirname(os.path.abspath(story)), "..", "walkthroughs", base + ".txt")
    r = run(story, walk, a.steps)
    if a.c_bin:
        cmd = [a.c_bin, "actions", story, "--walkthrough", walk, "--json"]
        if a.steps:
            cmd += ["--steps", str(a.steps)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        try:
            c = json.loads(out.stdout.strip().splitlines()[-1])
            r["c"] = {k: c.get(k) for k in ("states", "recall", "ms_cold_median", "ms_cold_p95", "ms_cached_median")}
        except (ValueError, IndexError):
            r["c"] = {"error": (out.stderr or out.stdout)[-300:]}
    if a.json:
        print(json.dumps(r))
        return 0
    print("python get_valid_actions() along %s's walkthrough: %d states (%d cold), recall %.4f (%d of %d "
          "world-changing commands)" % (r["story"], r["states"], r["cold_states"], r["recall"], r["hits"],
                                        r["steps_changing"]))
    print("  cold: median %.2f ms, p95 %.2f ms (library's own timing: median %.2f ms); memoised: median %.3f ms"
          % (r["ms_cold_median"], r["ms_cold_p95"], r["ms_cold_library_median"], r["ms_memo_median"]))
    if r["misses"]:
        print("  misses: %s" % "; ".join(r["misses"][:20]))
    if "c" in r:
        print("  C `jitrl actions --walkthrough`: %s" % json.dumps(r["c"]))
    print("FIGURE python bench %s: recall %.4f, cold median %.2f ms, p95 %.2f ms, memoised median %.3f ms"
          % (r["story"], r["recall"], r["ms_cold_median"], r["ms_cold_p95"], r["ms_memo_median"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
