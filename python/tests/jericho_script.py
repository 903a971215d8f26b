"""A script as it is written for Jericho (its tutorial's loop), with only
the import changed: reset, then get_valid_actions and step, saving and
restoring the state, the world hash, the inventory and the location.
Run: python3 jericho_script.py STORY [STEPS]."""
import random
import sys

from jitrl import FrotzEnv


def run(rom, steps=8, seed=0):
    rng = random.Random(seed)
    env = FrotzEnv(rom)
    obs, info = env.reset()
    seen = set()
    log = []
    for t in range(steps):
        valid = env.get_valid_actions()
        state = env.get_state()
        h = env.get_world_state_hash()
        location = env.get_player_location()
        inventory = [o.name for o in env.get_inventory()]
        seen.add(h)
        if not valid:
            break
        action = rng.choice(valid)
        obs, reward, done, info = env.step(action)
        # try the action again from the saved state: the same outcome
        env.set_state(state)
        assert env.get_world_state_hash() == h
        obs2, reward2, done2, info2 = env.step(action)
        assert (obs2, reward2, done2, info2) == (obs, reward, done, info), action
        log.append((t, location.name if location else None, inventory, action, reward, info["score"]))
        if done:
            break
    env.close()
    return log, seen


if __name__ == "__main__":
    log, seen = run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8)
    for row in log:
        print(*row, sep="\t")
    print("%d distinct states" % len(seen))
