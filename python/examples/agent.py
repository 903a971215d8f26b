"""A JitRL agent on a Jericho game in 20 lines: valid actions as candidates,
the memory's decision, the episode recorded.  python3 agent.py STORY [EPISODES]"""
import sys
from jitrl import FrotzEnv, Memory

env, mem = FrotzEnv(sys.argv[1]), Memory(None)          # Memory("game.db") keeps it across runs
for episode in range(int(sys.argv[2]) if len(sys.argv) > 2 else 10):
    obs, info = env.reset()
    steps, last = [], ""
    for t in range(40):
        where = env.get_player_location()
        inv = ", ".join(o.name for o in env.get_inventory()) or "nothing"
        state = {"current": "location: %s\ninventory: %s" % (where.name if where else "?", inv), "history": last}
        d = mem.decide(state, env.get_valid_actions(), seed=episode * 1000 + t)   # logits=your model's
        obs, reward, done, info = env.step(d.choice)
        steps.append((state, d.choice, reward))
        last = d.choice
        if done:
            break
    mem.record(steps, gamma=0.5, task="game", score=info["score"])
    print("episode", episode, "score", info["score"], "memory", mem.stats()["steps"], "steps")
