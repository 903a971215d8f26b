"""FrotzEnv: Jericho's interface and semantics on the built-in game and,
with ../shared, on zork1."""
import gc
import os
import warnings

import pytest

import jitrl
from jitrl import FrotzEnv, JitrlError
from conftest import figure, CAVE_WALK, story, walkthrough


def play(env, actions):
    out = [env.reset()]
    for a in actions:
        out.append(env.step(a))
    return out


def test_reset_step_semantics(cave):
    env = FrotzEnv(cave)
    obs, info = env.reset()
    assert "Shrine" in obs or obs
    assert info == {"moves": 0, "score": 0}
    total = 0
    for a in CAVE_WALK:
        before = env.get_score()
        obs, reward, done, info = env.step(a)
        assert reward == info["score"] - before          # reward = score delta
        assert info["score"] == env.get_score() and info["moves"] == env.get_moves()
        assert isinstance(obs, str)
        total += reward
    assert done and env.victory() and not env.game_over()
    assert total == env.get_max_score() == env.get_score() == 36
    # after the end: the last observation again, reward 0, still done
    again = env.step("look")
    assert again[1] == 0 and again[2] is True
    assert env.reset()[1]["score"] == 0 and not env.victory()
    env.close()


def test_two_environments_in_turn_equal_separate_runs(cave):
    a_actions = CAVE_WALK
    b_actions = ["north", "south", "take lamp", "turn on lamp", "north", "down", "east", "west", "look"]
    alone_a = play(FrotzEnv(cave), a_actions)
    alone_b = play(FrotzEnv(cave), b_actions)
    a, b = FrotzEnv(cave), FrotzEnv(cave)
    ra, rb = [a.reset()], [b.reset()]
    for i in range(max(len(a_actions), len(b_actions))):
        if i < len(a_actions):
            ra.append(a.step(a_actions[i]))
        if i < len(b_actions):
            rb.append(b.step(b_actions[i]))
    assert ra == alone_a and rb == alone_b
    assert ra != rb


def test_copy_forks_replay_exactly(cave):
    env = FrotzEnv(cave)
    env.reset()
    for a in CAVE_WALK[:5]:
        env.step(a)
    fork = env.copy()
    assert fork.get_world_state_hash() == env.get_world_state_hash()
    assert fork.get_score() == env.get_score() and fork.get_moves() == env.get_moves()
    rest = CAVE_WALK[5:]
    r1 = [env.step(a) for a in rest]
    r2 = [fork.step(a) for a in rest]
    assert r1 == r2 and env.get_world_state_hash() == fork.get_world_state_hash()
    # a fork that diverges leaves the original alone
    g = env.copy()
    h = env.get_world_state_hash()
    g.reset()
    g.step("take lamp")
    assert env.get_world_state_hash() == h


def test_state_round_trip(cave):
    env = FrotzEnv(cave)
    env.reset()
    for a in CAVE_WALK[:4]:
        env.step(a)
    st = env.get_state()
    assert isinstance(st, bytes) and len(st) > 100
    snap = (env.get_world_state_hash(), env.get_score(), env.get_moves(), env.get_valid_actions(),
            str(env.get_player_location()), [str(o) for o in env.get_inventory()])
    nxt = [env.step(a) for a in CAVE_WALK[4:9]]
    assert env.get_world_state_hash() != snap[0]
    env.set_state(st)
    assert (env.get_world_state_hash(), env.get_score(), env.get_moves(), env.get_valid_actions(),
            str(env.get_player_location()), [str(o) for o in env.get_inventory()]) == snap
    assert [env.step(a) for a in CAVE_WALK[4:9]] == nxt
    # into another handle of the same story, and refused by another story
    other = FrotzEnv(cave)
    other.set_state(st)
    assert other.get_world_state_hash() == snap[0]
    with pytest.raises(JitrlError) as e:
        other.set_state(b"JENV" + b"\0" * 80)
    assert "state" in str(e.value)


def test_objects_dictionary_and_facts(cave):
    env = FrotzEnv(cave)
    env.reset()
    player = env.get_player_object()
    assert player.num == env.player_obj_num > 0 and player.name in ("yourself", "(self object)")
    loc = env.get_player_location()
    assert loc.num == player.parent and loc.name
    assert env.get_inventory() == []
    env.step("take lamp")
    inv = env.get_inventory()
    assert [o.name for o in inv] == ["brass lamp"] or len(inv) == 1
    objs = env.get_world_objects()
    assert objs[0].num == 0 and len(objs) == env._nobj() + 1
    assert objs[player.num] == player
    o = objs[inv[0].num]
    assert o.parent == player.num and len(o.attr) == 32 and all(a in (0, 1) for a in o.attr)
    assert str(o).startswith("Obj%d: %s Parent%d Sibling%d Child%d Attributes [" % (o.num, o.name, o.parent,
                                                                                   o.sibling, o.child))
    assert env.get_object(0) is None and env.get_object(10 ** 6) is None
    words = env.get_dictionary()
    names = [w.word for w in words]
    assert "lamp" in names and "north" in names
    lamp = words[names.index("lamp")]
    assert lamp.is_noun and "noun" in lamp.pos() and repr(lamp) == "lamp"
    take = words[names.index("take")]
    assert take.is_verb
    assert env.get_max_score() == 36
    if env.bindings:   # the facts may know the built-in game
        assert env.bindings["max_score"] == 36


def test_long_action_truncated_with_warning(cave):
    env = FrotzEnv(cave)
    env.reset()
    with pytest.warns(jitrl.TruncatedInputActionWarning, match="truncated"):
        obs, _, _, info = env.step("look " + "x" * 300)
    assert info["moves"] >= 0
    # cut inside a multi-byte character (Jericho's own test): a warning, no error
    long_command = "It's a " + "tr\u00e8s " * 36 + "long action!"
    with pytest.warns(jitrl.TruncatedInputActionWarning):
        env.step(long_command * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env.step("x" * jitrl.INPUT_BUFFER_SIZE)   # exactly the buffer: no warning


def test_seed_and_load(cave):
    env = FrotzEnv(cave, seed=7)
    assert env.seed(9) == 9
    obs, info = env.reset()
    assert info["score"] == 0
    env.load(cave)
    assert env.get_moves() == 0
    with pytest.raises(FileNotFoundError):
        FrotzEnv("/nonexistent/story.z5")


def test_not_a_story_raises(tmp_path):
    p = tmp_path / "x.z5"
    p.write_bytes(b"not a story at all")
    with pytest.raises(JitrlError) as e:
        FrotzEnv(str(p))
    assert str(p) in str(e.value)


def fault_story(path):
    """A version 5 story that reads one line, then runs an illegal opcode."""
    n = 0x800
    m = bytearray(n)
    m[0], m[4], m[6], m[8], m[9], m[0xa], m[0xc], m[0xe], m[0xf], m[0x19] = 5, 4, 4, 3, 0x80, 3, 1, 3, 0xc0, 0x40
    m[0x1a], m[0x1b] = (n // 4) >> 8, (n // 4) & 0xff
    m[0x381] = 9
    m[0x200], m[0x280] = 60, 8
    code = bytes([0xe4, 0x0f, 0x02, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0x00])
    m[0x400:0x400 + len(code)] = code
    with open(path, "wb") as f:
        f.write(m)


def test_faulting_story_raises_and_interpreter_lives(tmp_path):
    p = str(tmp_path / "fault.z5")
    fault_story(p)
    env = FrotzEnv(p)
    with pytest.raises(JitrlError) as e:
        env.step("hello")
    assert e.value.name == "EVM" and "illegal opcode" in str(e.value)
    assert env._emulator_halted()
    with pytest.raises(JitrlError):
        env.step("again")          # the halted game is refused, not resumed
    env.reset()                     # reset recovers
    assert not env._emulator_halted()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert env.get_valid_actions() == []    # no grammar: unsupported, with a warning


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.skipif(os.environ.get("JITRL_SANITIZED") == "1",
                    reason="ASan's quarantine holds freed memory, so RSS says nothing there")
def test_open_reset_close_cycles_do_not_grow(cave):
    for _ in range(100):           # warm up the allocator
        e = FrotzEnv(cave)
        e.reset()
        e.close()
    gc.collect()
    before = rss_kb()
    for i in range(1000):
        e = FrotzEnv(cave)
        e.reset()
        if i % 2:
            e.close()
        del e              # half of them freed by the garbage collector alone, as Jericho's test does
    gc.collect()
    grown = rss_kb() - before
    figure("python 1000 FrotzEnv open/reset/close cycles: RSS grew %d kB" % grown)
    assert grown < 1024


def test_zork1_like_jericho():
    p = story("zork1")
    env = FrotzEnv(p)
    obs, info = env.reset()
    assert "West of House" in obs
    assert str(env.get_player_object()).startswith("Obj4: cretin Parent180")
    words = env.get_dictionary()
    assert [w.word for w in words[:8]] == ["$ve", ".", ",", '"', "a", "across", "activa", "advent"]
    assert [w.word for w in words if w.is_adj][:3] == ["ancien", "antiqu", "bare"]
    assert env.bindings["seed"] == 12 and env.get_max_score() == 350
    walk = env.get_walkthrough()
    assert walk == walkthrough("zork1")
    h0 = env.get_world_state_hash()
    st = env.get_state()
    env.step("north")
    assert env.get_world_state_hash() != h0
    env.set_state(st)
    assert env.get_world_state_hash() == h0
    assert "north" in env.get_valid_actions()
