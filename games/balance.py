#!/usr/bin/env python3
"""balance.py -- a model of games/jitrl_cave.inf for balancing, not a test.

It re-implements the game's world (rooms, light, objects, points, deaths)
and the agent's side of the loop, both simplified:
  * valid actions as the environment offers them (go, take/drop each object,
    "carry all"/"drop all", eat, switch the lamp on, open/close; two-noun
    commands only with --two-noun);
  * the retrieval state: location (or Darkness), inventory and visible
    objects as text, plus the last --history actions;
  * the JitRL decision of src/engine/policy.c: neighbours = stored steps with
    similarity >= 0.95 (0.7 x 4-gram Jaccard of the state + 0.3 x word
    Jaccard of the history; different states never qualify here), the k=10
    most similar; V = mean return, Q = mean return per action, an unseen
    action gets V + alpha/|N| with probability lambda and 0 otherwise;
    A normalised by max|A|; softmax(beta * A); returns discounted by gamma.
It prints random play and the JitRL learning curve over --episodes
episodes of --steps steps, averaged over --runs runs.  Use it to see how a
change to the game moves those numbers before playing it for real with
`jitrl play --agent both`.

    python3 games/balance.py                 # the game as shipped
    python3 games/balance.py --history 0     # retrieval state without history
    python3 games/balance.py --no-room-points --beta 4
"""
import argparse
import collections
import math
import random

LIT = {"Hillside", "Shed", "CaveMouth", "Shrine"}
EXITS = {
    "Hillside": {"north": "CaveMouth", "east": "Shed"},
    "Shed": {"west": "Hillside"},
    "CaveMouth": {"south": "Hillside", "down": "Passage"},
    "Passage": {"up": "CaveMouth", "east": "Ledge", "west": "Grotto", "north": "Vault"},
    "Ledge": {"west": "Passage", "down": "DEATH"},
    "Grotto": {"east": "Passage"},
    "Vault": {"south": "Passage", "east": "Shrine"},
    "Shrine": {"west": "Vault"},
}
PORTABLE = ["lamp", "key", "coin", "mushroom", "bread", "gem"]
WORD = {"lamp": "tin", "key": "small", "coin": "gold", "mushroom": "pale", "bread": "loaf", "gem": "red"}
HELD_POINTS = {"lamp": 2, "coin": 2, "key": 4, "gem": 5}
ROOM_POINTS = {"Passage": 2, "Vault": 2, "Shrine": 2}


class Game:
    def __init__(self, opts):
        self.o = opts

    def start(self):
        return dict(loc="Hillside", where={"lamp": "Hillside", "key": "Passage", "coin": "Ledge",
                                           "mushroom": "Grotto", "bread": "crate", "gem": "chest"},
                    lampon=False, crate=False, chest="locked", paid=frozenset(), dead=0)

    def lit(self, s):
        return s["loc"] in LIT or (s["lampon"] and s["where"]["lamp"] in ("me", s["loc"]))

    def visible(self, s, o):
        w = s["where"][o]
        if w == "me":
            return True
        if not self.lit(s):
            return False
        return (w == s["loc"] or (w == "crate" and s["loc"] == "Shed" and s["crate"])
                or (w == "chest" and s["loc"] == "Vault" and s["chest"] == "open")
                or (w == "altar" and s["loc"] == "Shrine"))

    def actions(self, s):
        acts = [("go", d) for d, t in EXITS[s["loc"]].items() if t != "DEATH" or self.lit(s)]
        held = [o for o in PORTABLE if s["where"][o] == "me"]
        seen = [o for o in PORTABLE if self.visible(s, o) and s["where"][o] != "me"]
        acts += [("take", o) for o in seen] + [("drop", o) for o in held]
        if len(held) > 1:
            acts.append(("dropall",))
        if len(seen) > 1:
            acts.append(("takeall",))
        if "bread" in held or "bread" in seen:
            acts.append(("eat", "bread"))
        if "mushroom" in held:          # before_implicit: no implicit take
            acts.append(("eat", "mushroom"))
        if self.visible(s, "lamp") and not s["lampon"]:
            acts.append(("lampon",))
        if self.lit(s) and s["loc"] == "Shed":
            acts.append(("crate",))
        if self.lit(s) and s["loc"] == "Vault":
            if s["chest"] == "locked":
                if "key" in held:       # "open chest" unlocks it first
                    acts.append(("open",))
                if self.o.two_noun and "key" in held + seen:
                    acts.append(("unlock",))
            else:
                acts.append(("open",) if s["chest"] == "closed" else ("close",))
        if self.o.two_noun and s["loc"] == "Shrine":
            acts += [("puton", o) for o in held + seen]
        return acts

    def _drop(self, s, o):
        if o == "gem" and s["loc"] == "Shrine":   # "drop gem" sets it on the altar
            s["where"]["gem"] = "altar"
            s["dead"] = 2
            return 10 + self._pay(s, "gem", 5)
        s["where"][o] = s["loc"]
        return 0

    def _pay(self, s, tag, pts):
        if tag in s["paid"]:
            return 0
        s["paid"] = s["paid"] | {tag}
        return pts

    def step(self, s, a):
        s = dict(s, where=dict(s["where"]))
        r, k = 0, a[0]
        if k == "go":
            if s["where"]["mushroom"] == "me":
                s["where"]["mushroom"] = "Grotto"
            t = EXITS[s["loc"]][a[1]]
            if t == "DEATH":
                s["dead"] = 1
            else:
                s["loc"] = t
        elif k == "take":
            s["where"][a[1]] = "me"
        elif k == "takeall":
            for o in PORTABLE:
                if self.visible(s, o):
                    s["where"][o] = "me"
        elif k == "drop":
            r += self._drop(s, a[1])
        elif k == "dropall":
            for o in PORTABLE:
                if s["where"][o] == "me" and not s["dead"]:
                    r += self._drop(s, o)
        elif k == "eat":
            s["where"][a[1]] = "gone"
            if a[1] == "mushroom":
                s["dead"] = 1
        elif k == "puton":
            if a[1] == "gem":
                s["where"]["gem"] = "altar"
                s["dead"] = 2
                r += 10 + self._pay(s, "gem", 5)
            else:
                s["where"][a[1]] = "altar"
        elif k == "lampon":
            s["lampon"] = True
        elif k == "crate":
            s["crate"] = not s["crate"]
        elif k == "unlock":
            s["where"]["key"] = "me"
            s["chest"] = "closed"
        elif k == "open":
            s["chest"] = "open"
        elif k == "close":
            s["chest"] = "closed"
        if s["dead"] != 1:               # TimePasses
            for o, p in HELD_POINTS.items():
                if s["where"][o] == "me":
                    r += self._pay(s, o, p)
            if s["lampon"]:
                r += self._pay(s, "lit", 3)
            if s["chest"] != "locked":
                r += self._pay(s, "chest", 4)
            if self.o.room_points and s["loc"] in ROOM_POINTS and self.lit(s):
                r += self._pay(s, "room " + s["loc"], ROOM_POINTS[s["loc"]])
        return s, r

    def state_text(self, s):
        held = " ".join(WORD[o] for o in PORTABLE if s["where"][o] == "me") or "nothing"
        seen = " ".join(WORD[o] for o in PORTABLE if self.visible(s, o) and s["where"][o] != "me") or "nothing"
        loc = s["loc"] if self.lit(s) else "Darkness"
        extra = (" chest " + s["chest"]) if self.lit(s) and s["loc"] == "Vault" else ""
        return "location %s inventory %s visible %s%s" % (loc, held, seen, extra)


def command(a):
    k = a[0]
    if k == "go":
        return a[1]
    if k in ("take", "drop", "eat", "puton"):
        return {"take": "carry", "drop": "drop", "eat": "eat", "puton": "put"}[k] + " " + WORD[a[1]]
    return {"dropall": "drop all", "takeall": "carry all", "lampon": "switch tin", "crate": "open crate",
            "open": "open iron", "close": "close iron", "unlock": "unlock iron"}[k]


def jaccard(a, b):
    return 1.0 if not a and not b else len(a & b) / len(a | b)


class JitRL:
    def __init__(self, o, rng):
        self.o, self.rng = o, rng
        self.by_state = collections.defaultdict(list)   # state text -> [(history words, action, G)]

    def choose(self, state, history, acts):
        hw = set(" ".join(history).split())
        scored = []
        for i, (h2, a, g) in enumerate(self.by_state.get(state, [])):
            sim = 0.7 + 0.3 * jaccard(hw, h2)
            if sim >= self.o.threshold - 1e-12:
                scored.append((sim, i, a, g))
        scored.sort(key=lambda x: (-x[0], -x[1]))
        nb = scored[:self.o.k]
        if not nb:
            return self.rng.randrange(len(acts))
        v = sum(x[3] for x in nb) / len(nb)
        q = collections.defaultdict(list)
        for x in nb:
            q[x[2]].append(x[3])
        adv = []
        for a in acts:
            c = command(a)
            if c in q:
                qa = sum(q[c]) / len(q[c])
            else:
                qa = v + self.o.alpha / len(nb) if self.rng.random() < self.o.lam else 0.0
            adv.append(qa - v)
        m = max(abs(x) for x in adv) + 1e-8
        z = [self.o.beta * x / m for x in adv]
        top = max(z)
        w = [math.exp(x - top) for x in z]
        return self.rng.choices(range(len(acts)), weights=w)[0]

    def learn(self, traj):
        g = 0.0
        for state, history, c, r in reversed(traj):
            g = r + self.o.gamma * g
            self.by_state[state].append((set(" ".join(history).split()), c, g))


def episode(game, o, rng, agent=None):
    s, traj, hist, total = game.start(), [], [], 0
    for _ in range(o.steps):
        acts = game.actions(s)
        state = game.state_text(s)
        h = hist[-o.history:] if o.history else []
        i = agent.choose(state, h, acts) if agent else rng.randrange(len(acts))
        s, r = game.step(s, acts[i])
        traj.append((state, h, command(acts[i]), r))
        hist.append(command(acts[i]))
        total += r
        if s["dead"]:
            break
    return total, s["dead"], traj


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--episodes", type=int, default=50)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--history", type=int, default=4)
    p.add_argument("--beta", type=float, default=2.0)
    p.add_argument("--gamma", type=float, default=0.5)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--lam", type=float, default=0.65)
    p.add_argument("--alpha", type=float, default=5.0)
    p.add_argument("--two-noun", action="store_true", help="the environment offers two-noun commands")
    p.add_argument("--no-room-points", dest="room_points", action="store_false")
    p.add_argument("--seed", type=int, default=1)
    o = p.parse_args()
    rng = random.Random(o.seed)
    game = Game(o)
    n = 1000
    rand = [episode(game, o, rng) for _ in range(n)]
    print("random: mean %.2f, deaths %.2f, wins %.3f per episode" % (
        sum(x[0] for x in rand) / n, sum(x[1] == 1 for x in rand) / n, sum(x[1] == 2 for x in rand) / n))
    curve = [0.0] * o.episodes
    late, wins, deaths = max(1, o.episodes // 5), 0, 0
    for _ in range(o.runs):
        agent = JitRL(o, rng)
        for e in range(o.episodes):
            total, dead, traj = episode(game, o, rng, agent)
            agent.learn(traj)
            curve[e] += total / o.runs
            if e >= o.episodes - late:
                wins += dead == 2
                deaths += dead == 1
    print("jitrl curve: " + " ".join("%.0f" % c for c in curve))
    print("jitrl: first %d episodes %.1f, last %d %.1f, wins %.2f and deaths %.2f in the last %d" % (
        late, sum(curve[:late]) / late, late, sum(curve[-late:]) / late,
        wins / (o.runs * late), deaths / (o.runs * late), late))


if __name__ == "__main__":
    main()
