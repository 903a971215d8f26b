"""Shared fixtures of the Python tests: where the built library's games are
(BUILD/games/jitrl_cave.z5, the built-in game) and ../shared's Jericho
stories (skipped when absent, a failure under CI=true)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # python/ : the package from the checkout
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("JITRL_BUILD") or os.path.join(ROOT, "build")
SHARED = os.environ.get("JITRL_SHARED") or os.path.join(ROOT, "..", "shared")
GAMES = ["balances", "deephome", "detective", "library", "ludicorp", "pentari", "temple", "zork1", "zork3",
         "ztuu"]


def need_shared():
    """Skip without ../shared; under CI=true its absence is a failure."""
    if not os.path.isdir(os.path.join(SHARED, "jericho", "games")):
        if os.environ.get("CI") == "true":
            pytest.fail("../shared (JITRL_SHARED) is missing under CI=true: %s" % SHARED)
        pytest.skip("../shared is absent (%s): the Jericho games are not here" % SHARED)


def story(name):
    need_shared()
    return os.path.join(SHARED, "jericho", "games", name + ".z5")


def walkthrough(name):
    with open(os.path.join(SHARED, "jericho", "walkthroughs", name + ".txt"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


@pytest.fixture
def cave():
    p = os.path.join(BUILD, "games", "jitrl_cave.z5")
    if not os.path.exists(p):
        pytest.fail("the built-in game is not built: %s" % p)
    return p


CAVE_WALK = ["take lamp", "turn on lamp", "north", "down", "take key", "east", "take coin", "west", "north",
             "unlock chest with key", "open chest", "take gem", "east", "put gem on altar"]


def figure(line):
    """A FIGURE line: printed, and kept for tests/test_python.sh to show."""
    line = "FIGURE " + line
    print(line)
    path = os.environ.get("JITRL_PY_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


@pytest.fixture
def quick_story(cave):
    """zork1 when ../shared has it (its valid actions cost a tenth of the
    built-in game's), else the built-in game: for tests that only need
    some game to play."""
    p = os.path.join(SHARED, "jericho", "games", "zork1.z5")
    return p if os.path.exists(p) else cave
