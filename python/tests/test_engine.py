"""Memory, Decision and Agent: round trips through the JSON surface and
the store, library errors as exceptions, and the C agent learning a world
written in Python."""
import os

import pytest

import jitrl
from jitrl import Agent, FrotzEnv, JitrlError, Memory
from conftest import figure, CAVE_WALK

ROOM = [("room", 1, 1.0)]


def test_memory_round_trip(tmp_path):
    path = str(tmp_path / "m.db")
    m = Memory(path, fields=ROOM)
    d0 = m.decide({"room": "hall"}, ["left", "right"], seed=3)
    assert d0.neighbours == 0 and d0.v == 0 and d0.choice in ("left", "right")
    assert abs(sum(d0.probs) - 1) < 1e-12 and d0.seed == 3
    eid = m.record([({"room": "hall"}, "right", 0.0), ({"room": "door"}, "open", 1.0)], gamma=0.5, task="t")
    assert eid == 1
    d = m.decide({"room": "hall"}, ["left", "right"], seed=3, beta=50, mode="argmax")
    assert d.choice == "right" and d.neighbours == 1 and d.v == 0.5
    assert d.advantages[d.actions.index("right")] == 0
    # the same request gives the same decision
    again = m.decide({"room": "hall"}, ["left", "right"], seed=3, beta=50, mode="argmax", trace=True)
    assert again.probs == d.probs and again.trace["n_neighbours"] == 1
    # logits are the prior
    p = m.decide({"room": "nowhere"}, ["a", "b"], logits=[0.0, 5.0], seed=1, mode="argmax")
    assert p.choice == "b"
    st = m.stats()
    assert st["episodes"] == 1 and st["steps"] == 2 and st["best_score"] == 1.0
    text = m.export()
    assert text.count("\n") == 1 and '"open"' in text
    m.export(str(tmp_path / "e.jsonl"))
    m.close()
    # reopen: everything is still there, and an import into a new memory exports the same bytes
    m2 = Memory(path)
    assert m2.stats()["steps"] == 2 and m2.fields == [("room", 1, 1.0)] or m2.stats()["steps"] == 2
    m3 = Memory(None, fields=ROOM)
    assert m3.import_(text) == 1 and m3.export() == text
    m4 = Memory(None, fields=ROOM)
    assert m4.import_(str(tmp_path / "e.jsonl")) == 1 and m4.export() == text
    assert m4.prune(keep=0) == 0


def test_memory_errors_carry_the_library_message(tmp_path):
    m = Memory(None, fields=ROOM)
    with pytest.raises(JitrlError) as e:
        m.decide({"room": "x"}, ["a"], beta=-1)
    assert e.value.name == "EINVAL" and "params.beta" in str(e.value) and "outside" in str(e.value)
    with pytest.raises(JitrlError) as e:
        m.record([({"room": "x"}, "", 1.0)])
    assert e.value.code == 2
    with pytest.raises(JitrlError) as e:
        m.import_("{not json\n")
    assert "line 1" in str(e.value)
    with pytest.raises(JitrlError) as e:
        Memory(str(tmp_path / "missing" / "deep" / "m.db"), create=True)
    assert str(tmp_path) in str(e.value) or e.value.name in ("EIO", "EDB", "ENOTFOUND")
    p = str(tmp_path / "f.db")
    Memory(p, fields=ROOM).close()
    with pytest.raises(JitrlError) as e:
        Memory(p, fields=[("other", 2, 1.0)])
    assert e.value.name == "EINVAL"
    m.close()
    with pytest.raises(JitrlError):
        m.stats()


class Chain:
    """The chain world of examples/chain_world.c, written in Python: room
    p offers four moves, the p-th of a fixed code leads on and earns 1."""
    MOVES = ["left", "right", "jump", "duck"]
    CODE = [1, 0, 3, 2, 2, 1, 0, 3]

    def reset(self):
        self.p = 0
        return "room 0"

    def valid_actions(self):
        return list(self.MOVES)

    def step(self, action):
        right = action == self.MOVES[self.CODE[self.p]]
        self.p += right
        done = self.p == len(self.CODE)
        return "room %d" % self.p, float(right), done, {"victory": done, "score": self.p}


def last10(kind, seed):
    ag = Agent(Chain(), kind=kind, seed=seed, max_steps=16, beta=5.0)
    scores = [r["score"] for r in ag.run(30)]
    ag.close()
    return sum(scores[-10:]) / 10


def test_agent_learns_a_python_world():
    j = [last10("jitrl", s) for s in (1, 2, 3)]
    s = [last10("static", s) for s in (1, 2, 3)]
    mj, ms = sum(j) / 3, sum(s) / 3
    figure("python Agent on a Python chain world, 3 seeds x 30 episodes, mean of the last 10: "
          "jitrl %.2f static %.2f (margin required 2.5)" % (mj, ms))
    assert mj > ms + 2.5
    # reproducible: the same seed, the same scores
    assert last10("jitrl", 1) == j[0]


def test_agent_world_errors_become_exceptions():
    class Broken(Chain):
        def step(self, action):
            if self.p == 1:
                raise ValueError("the world broke")
            return super().step(action)

    ag = Agent(Broken(), max_steps=50, seed=1)
    with pytest.raises(JitrlError) as e:
        for i in range(20):
            ag.run_episode(i)
    assert "the world broke" in str(e.value) and isinstance(e.value.__cause__, ValueError)

    class BadReward(Chain):
        def step(self, action):
            return "room", float("nan"), False, {}
    with pytest.raises(JitrlError) as e:
        Agent(BadReward(), max_steps=5).run_episode(0)
    assert "not finite" in str(e.value)

    class NoList(Chain):
        def valid_actions(self):
            return 42          # not a list of strings
    with pytest.raises(JitrlError) as e:
        Agent(NoList(), max_steps=5).run_episode(0)
    assert "TypeError" in str(e.value)
    with pytest.raises(TypeError):
        Agent(Chain(), nonsense=1)


def test_agent_on_a_frotzenv(quick_story, tmp_path):
    env = FrotzEnv(quick_story)
    mem = Memory(str(tmp_path / "cave.db"))
    ag = Agent(env, mem, seed=1, max_steps=8)
    results = ag.run(3)
    assert [r["episode"] for r in results] == [0, 1, 2]
    assert all(r["steps"] > 0 for r in results)
    assert mem.stats()["episodes"] == 3
    ag.close()
    # the environment is still usable by hand afterwards
    obs, info = env.reset()
    assert info["moves"] == 0
    assert env.step("look")[3]["moves"] in (0, 1)
