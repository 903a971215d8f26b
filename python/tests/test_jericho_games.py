"""Acceptance 2 of issue 13: a Jericho-style script (jericho_script.py)
runs unchanged with `from jitrl import FrotzEnv` on the ten games in
../shared, and the walkthroughs replay to the facts' scores."""
import pytest

from conftest import GAMES, story, walkthrough
from jitrl import FrotzEnv
import jericho_script


@pytest.mark.parametrize("game", GAMES)
def test_jericho_script(game):
    log, seen = jericho_script.run(story(game), steps=6)
    assert log, "no valid action at the first state of %s" % game
    assert all(loc for _, loc, _, _, _, _ in log), log
    assert len(seen) >= 1


@pytest.mark.parametrize("game", ["zork1", "detective", "pentari"])
def test_walkthrough_reaches_the_score(game):
    env = FrotzEnv(story(game))
    _, info = env.reset()
    start, total = info["score"], 0
    for a in walkthrough(game):
        obs, r, done, info = env.step(a)
        total += r
        if done:
            break
    assert start + total == env.get_score() > 0
    assert env.get_walkthrough() == walkthrough(game)
