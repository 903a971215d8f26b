"""example_agent.py -- an agent that learns a small task through `jitrl serve` (docs/serve.md).

The task: five rooms in a row, each with four doors; one door of each room leads on, the others end the
episode.  Reward 1 for each room passed (a random agent gets through all five once in 1,024 tries).  The agent knows nothing: it asks the service for every
choice (a uniform prior, no model) and records each episode; the service's memory makes the right doors likelier.

    python3 example_agent.py --url http://127.0.0.1:8080 [--token T] [--namespace doors] [--episodes 60]

Prints the success rate of the first and last 20 episodes; exits 0 when the agent got better, 1 when not.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jitrl_client import Client  # noqa: E402

DOORS = ["red door", "green door", "blue door", "white door"]
SECRET = ["green door", "blue door", "red door", "white door", "green door"]   # the door that leads on, per room


def run_episode(client, seed):
    ep = client.episode(gamma=0.9)
    passed = 0
    for room in range(len(SECRET)):
        state = {"current": f"You are in room {room + 1}. There are four doors: red, green, blue and white.",
                 "history": " ".join(s["action"] for s in ep.steps)}
        d = client.decide(state, DOORS, seed=seed * 10 + room, params={"beta": 4, "k": 0})
        ok = d["choice"] == SECRET[room]
        ep.step(state, d["choice"], 1.0 if ok else 0.0)
        if not ok:
            break
        passed += 1
    ep.finish()
    return passed == len(SECRET)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--token", default=os.environ.get("JITRL_TOKEN"))
    ap.add_argument("--namespace", default="doors")
    ap.add_argument("--episodes", type=int, default=80)
    a = ap.parse_args()
    client = Client(a.url, token=a.token, namespace=a.namespace)
    wins = [run_episode(client, e) for e in range(a.episodes)]
    first, last = sum(wins[:20]) / 20, sum(wins[-20:]) / 20
    print(f"solved {first:.0%} of the first 20 episodes, {last:.0%} of the last 20; "
          f"memory: {client.stats()['steps']} steps")
    return 0 if last > first + 0.25 else 1


if __name__ == "__main__":
    sys.exit(main())
