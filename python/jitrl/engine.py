"""The JitRL engine from Python: Memory (decide / record / export / import /
stats over the JSON surface, include/jitrl/json.h and memory.h), Decision,
and Agent (the C agent of include/jitrl/agent.h on a FrotzEnv or on any
Python object with reset/step/valid_actions, through jitrl_env_create).

Why the JSON surface for decide and record: it is the schema `jitrl serve`
speaks, so Memory and Client take and give the same shapes, and a decision
made here equals one the service makes on the same memory.  Why the C
agent rather than a Python loop: the same algorithm as `jitrl play`, with
its reproducibility (episode e's RNG is seeded by (seed, e) alone).

A Python world runs inside C callbacks: every callback catches what the
Python code raises and hands the library an error code with the
exception's text, so a bug in the world becomes a JitrlError (with the
exception as its __cause__), never a crash of the interpreter.
"""
import ctypes
import json
import math
import os

from . import _lib
from ._lib import LIB, Closable, JitrlError, check, cstr, text, take_string

DEFAULT_FIELDS = (("current", 4, 0.7), ("history", 1, 0.3))


def _field_specs(fields):
    """fields: None, [(name, ngram, weight)], [{"name", "ngram", "weight"}]
    or {name: (ngram, weight)} -> list of (name, ngram, weight)."""
    if fields is None:
        return None
    if isinstance(fields, dict):
        fields = [(k,) + tuple(v) for k, v in fields.items()]
    out = []
    for f in fields:
        if isinstance(f, dict):
            f = (f["name"], f.get("ngram", 1), f.get("weight", 1.0))
        elif isinstance(f, str):
            f = (f, 1, 1.0)
        name, ngram, weight = f
        out.append((str(name), int(ngram), float(weight)))
    if len(out) > _lib.MAX_FIELDS:
        raise ValueError("at most %d fields" % _lib.MAX_FIELDS)
    return out


def _state(state):
    if isinstance(state, str):
        return {"current": state}
    if not isinstance(state, dict):
        raise TypeError("a state is a dict of field name -> text (or one text, the field 'current')")
    return {str(k): str(v) for k, v in state.items()}


class Decision:
    """One decision: `choice` and its `index` in `actions` (the candidates,
    then actions memory added), `probs`, `advantages` (A = Q - V), `v`,
    `neighbours` (|N(s)|); `raw` is the whole answer (with `trace` when
    asked, and the service's `decision_id`)."""

    def __init__(self, raw):
        self.raw = raw
        self.choice = raw.get("choice")
        self.index = raw.get("index")
        self.actions = raw.get("actions", [])
        self.probs = raw.get("probs", [])
        self.advantages = raw.get("advantages", [])
        self.v = raw.get("v", 0.0)
        self.neighbours = raw.get("neighbours", 0)
        self.seed = raw.get("seed")
        self.mode = raw.get("mode")
        self.trace = raw.get("trace")
        self.decision_id = raw.get("decision_id")

    def __repr__(self):
        return "Decision(choice=%r, index=%r, v=%.4g, neighbours=%r)" % (self.choice, self.index, self.v,
                                                                        self.neighbours)


def decide_request(state, candidates, logits=None, seed=None, mode=None, trace=False, params=None):
    """The JSON request of one decision (shared with Client)."""
    candidates = list(candidates)
    if logits is not None:
        logits = list(logits)
        if len(logits) != len(candidates):
            raise ValueError("%d logits for %d candidates" % (len(logits), len(candidates)))
        cands = [{"action": str(a), "logit": float(z)} for a, z in zip(candidates, logits)]
    else:
        cands = [{"action": str(a)} for a in candidates]
    req = {"state": _state(state), "candidates": cands}
    if params:
        req["params"] = {("lambda" if k == "lambda_" else k): v for k, v in params.items()}
    if seed is not None:
        req["seed"] = int(seed)
    if mode is not None:
        req["mode"] = mode
    if trace:
        req["trace"] = True
    return req


def episode_request(steps, gamma=None, task=None, score=None):
    """The JSON episode of record() (shared with Client): steps are dicts
    {"state", "action", "reward"} or tuples (state, action, reward)."""
    out = []
    for s in steps:
        if isinstance(s, dict):
            st, a, r = s["state"], s["action"], s.get("reward", 0.0)
        else:
            st, a, r = s
        out.append({"state": _state(st), "action": str(a), "reward": float(r)})
    req = {"steps": out}
    if gamma is not None:
        req["gamma"] = float(gamma)
    if task is not None:
        req["task"] = str(task)
    if score is not None:
        req["score"] = float(score)
    return req


class Memory(Closable):
    """A JitRL memory: a SQLite file (a path or sqlite:PATH), or RAM only
    (None or ":memory:").

    :param fields: the similarity fields, [(name, ngram, weight)]; None =
        the text-game default for a new memory (current 4-grams 0.7,
        history 1-grams 0.3), or what an existing memory was made with.
    """

    def __init__(self, path_or_uri=None, fields=None, read_only=False, create=True):
        opt = _lib.MemoryOptions()
        LIB.jitrl_memory_options_init(ctypes.byref(opt))
        specs = _field_specs(fields)
        self._names = []
        if specs is not None:
            for i, (name, ngram, weight) in enumerate(specs):
                b = cstr(name)
                self._names.append(b)   # the library copies; kept until open returns
                opt.fields[i].name, opt.fields[i].ngram, opt.fields[i].weight = b, ngram, weight
            opt.n_fields = len(specs)
        elif path_or_uri not in (None, ":memory:") and os.path.exists(str(path_or_uri)):
            opt.n_fields = 0   # as the file was made
        opt.read_only = int(bool(read_only))
        opt.create = int(bool(create))
        out = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        uri = None if path_or_uri is None else cstr(os.fspath(path_or_uri))
        rc = LIB.jitrl_memory_open(uri, ctypes.byref(opt), ctypes.byref(out), err, len(err))
        check(rc, lambda: text(err.value))
        self._mem = out.value
        self.fields = specs if specs is not None else list(DEFAULT_FIELDS)

    def _h(self):
        if not self._mem:
            raise JitrlError(_lib.ESTATE, "the memory is closed")
        return self._mem

    def _errmsg(self):
        return text(LIB.jitrl_memory_errmsg(self._mem)) if self._mem else ""

    def close(self):
        if getattr(self, "_mem", None):
            LIB.jitrl_memory_close(self._mem)
            self._mem = None

    def _json(self, fn, req):
        resp = ctypes.c_void_p()
        rc = fn(self._h(), json.dumps(req, allow_nan=False).encode("utf-8"), ctypes.byref(resp))
        body = take_string(resp.value)
        data = json.loads(body) if body else {}
        if rc:
            e = data.get("error", {}) if isinstance(data, dict) else {}
            msg = e.get("message", "")
            if e.get("path"):
                msg = "%s: %s" % (e["path"], msg)
            raise JitrlError(rc, msg)
        return data

    def decide(self, state, candidates, logits=None, seed=None, mode=None, trace=False, **params):
        """One JitRL decision among `candidates` (with the prior's `logits`,
        or a uniform prior); params are jitrl_params by name (beta, k,
        threshold, lambda_ or "lambda", alpha, ...; docs/api.md)."""
        return Decision(self._json(LIB.jitrl_decide_json,
                                   decide_request(state, candidates, logits, seed, mode, trace, params)))

    def record(self, steps, gamma=0.5, task=None, score=None):
        """Store one episode (returns computed here with gamma); its id."""
        return self._json(LIB.jitrl_record_json, episode_request(steps, gamma, task, score))["episode_id"]

    def stats(self):
        st = _lib.MemoryStats()
        check(LIB.jitrl_memory_stats_get(self._h(), ctypes.byref(st)), self._errmsg)
        return {k: getattr(st, k) for k, _ in _lib.MemoryStats._fields_ if not k.startswith("_")}

    def refresh(self):
        check(LIB.jitrl_memory_refresh(self._h()), self._errmsg)

    def prune(self, max_age_s=0, keep=0):
        n = ctypes.c_size_t()
        check(LIB.jitrl_memory_prune(self._h(), int(max_age_s), int(keep), 0, ctypes.byref(n)), self._errmsg)
        return n.value

    def export(self, path=None):
        """Every episode as JSON Lines: into the file at path (returns
        None), or returned as a str."""
        if path is not None:
            check(LIB.jitrl_memory_export(self._h(), cstr(os.fspath(path)), 0, None), self._errmsg)
            return None
        chunks = []

        def write(ctx, buf, n):
            chunks.append(ctypes.string_at(buf, n))
            return 0
        cb = _lib.WRITE_FN(write)
        check(LIB.jitrl_memory_export_cb(self._h(), cb, None, 0, None), self._errmsg)
        return b"".join(chunks).decode("utf-8")

    def import_(self, source):
        """Import JSON Lines: a path, or the text itself (a str with a
        newline or starting with '{', or bytes).  Returns the count."""
        n = ctypes.c_size_t()
        if isinstance(source, (bytes, bytearray)) or (isinstance(source, str) and
                                                      ("\n" in source or source.lstrip().startswith("{"))):
            data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
            pos = [0]

            def read(ctx, buf, cap, got):
                k = min(cap, len(data) - pos[0])
                ctypes.memmove(buf, data[pos[0]:pos[0] + k], k)
                pos[0] += k
                got[0] = k
                return 0
            cb = _lib.READ_FN(read)
            check(LIB.jitrl_memory_import_cb(self._h(), cb, None, ctypes.byref(n)), self._errmsg)
        else:
            check(LIB.jitrl_memory_import(self._h(), cstr(os.fspath(source)), ctypes.byref(n)), self._errmsg)
        return n.value

    import_episodes = import_


# ---- a world written in Python, through jitrl_env_create ------------------

class _PyWorld:
    """The callbacks of a Python environment.  Every string handed to the
    library stays referenced here until the same callback runs again (the
    ownership rule of include/jitrl/env.h)."""

    def __init__(self, obj, fields, name):
        self.obj = obj
        self.field_name = fields[0][0]
        self.err = ctypes.create_string_buffer(1024)
        self.exc = None
        self.keep = {}
        self.score = 0.0
        self.steps = 0
        self.last = ""
        self.actions_fn = None
        for n in ("valid_actions", "get_valid_actions"):
            if callable(getattr(obj, n, None)):
                self.actions_fn = getattr(obj, n)
                break
        self.state_fn = getattr(obj, "state_fields", None)
        m = _lib.EnvMethods()
        LIB.jitrl_env_methods_init(ctypes.byref(m))
        # the CFUNCTYPE objects must live as long as the handle: kept on self
        self.cb = {"reset": _lib.RESET_FN(self._reset), "step": _lib.STEP_FN(self._step),
                   "state_fields": _lib.FIELDS_FN(self._fields), "errmsg": _lib.TEXT_FN(self._errmsg)}
        if self.actions_fn:
            self.cb["actions"] = _lib.ACTIONS_FN(self._actions)
        for k, f in self.cb.items():
            setattr(m, k, f)
        self.methods = m

    def _fail(self, where, e):
        self.exc = e
        msg = "%s: %s: %s" % (where, type(e).__name__, e)
        self.err.value = msg.encode("utf-8", "replace")[:1000]
        return _lib.EIO

    def _errmsg(self, ctx):
        return ctypes.addressof(self.err)

    def _keep(self, slot, b):
        self.keep[slot] = b
        return ctypes.cast(ctypes.c_char_p(b), ctypes.c_void_p).value

    def _fill(self, out, text_, reward, done, info):
        o = out[0]
        o.text = self._keep("obs", text_.encode("utf-8", "replace"))
        o.reward = reward
        o.done = int(bool(done))
        info = info or {}
        o.victory = int(bool(info.get("victory", False)))
        o.death = int(bool(info.get("death", False)))
        o.score = int(round(info.get("score", self.score)))
        o.moves = int(info.get("moves", self.steps))
        o.max_score = int(info.get("max_score", 0))

    def _reset(self, ctx, out):
        try:
            r = self.obj.reset()
            obs, info = r if isinstance(r, tuple) else (r, {})
            self.score, self.steps, self.last = 0.0, 0, str(obs)
            self._fill(out, self.last, 0.0, False, info)
            return 0
        except BaseException as e:
            return self._fail("reset", e)

    def _step(self, ctx, action, out):
        try:
            r = self.obj.step(action.decode("utf-8", "replace"))
            obs, reward, done, info = (tuple(r) + ({},))[:4] if len(r) == 3 else r
            reward = float(reward)
            if not math.isfinite(reward):
                raise ValueError("reward %r is not finite" % reward)
            self.score += reward
            self.steps += 1
            self.last = str(obs)
            self._fill(out, self.last, reward, done, info)
            return 0
        except BaseException as e:
            return self._fail("step", e)

    def _actions(self, ctx, acts, n):
        try:
            lst = [str(a).encode("utf-8") for a in self.actions_fn()]
            arr = (ctypes.c_char_p * max(len(lst), 1))(*lst)
            self.keep["actions"] = (lst, arr)
            acts[0] = ctypes.addressof(arr)
            n[0] = len(lst)
            return 0
        except BaseException as e:
            return self._fail("valid_actions", e)

    def _fields(self, ctx, fields, n):
        try:
            if callable(self.state_fn):
                st = self.state_fn()
                st = {self.field_name: st} if isinstance(st, str) else dict(st)
            else:
                st = {self.field_name: self.last}
            st.pop("history", None)
            enc = [(str(k).encode("utf-8"), str(v).encode("utf-8")) for k, v in st.items()]
            arr = (_lib.Field * max(len(enc), 1))()
            for i, (k, v) in enumerate(enc):
                arr[i].name = ctypes.cast(ctypes.c_char_p(k), ctypes.c_void_p).value
                arr[i].text = ctypes.cast(ctypes.c_char_p(v), ctypes.c_void_p).value
            self.keep["fields"] = (enc, arr)
            fields[0] = ctypes.addressof(arr)
            n[0] = len(enc)
            return 0
        except BaseException as e:
            return self._fail("state_fields", e)


KINDS = {"jitrl": 0, "static": 1, "tabular": 2}


class Agent(Closable):
    """The C JitRL agent (or "static", "tabular") on a FrotzEnv or on any
    Python object with reset() -> obs | (obs, info), step(action) ->
    (obs, reward, done, info), and valid_actions() (or get_valid_actions())
    -> [str]; optionally state_fields() -> {field: text} (default: the last
    observation as the first field).  info may carry score, victory, death.

    :param memory: a Memory (opened with the environment's fields); None =
        a fresh memory in RAM.
    :param fields: a Python world's similarity fields (default
        [("current", 1, 1.0)]); a field named "history" gets the agent's
        last actions.
    :param params: jitrl_params by name (beta, k, threshold, lambda_,
        alpha, kl_budget, ucb_c, explore="ucb"|"lambda", mode, gamma ...).
    """

    def __init__(self, env, memory=None, kind="jitrl", seed=1, max_steps=60, history_len=1, fields=None,
                 name=None, preset=None, fallback_actions=None, **params):
        from .frotz import FrotzEnv
        if kind not in KINDS:
            raise ValueError("kind is one of %s" % ", ".join(KINDS))
        self._world = None
        self._own_env = None
        self._ag = None
        self.env = env
        err = ctypes.create_string_buffer(512)
        if isinstance(env, FrotzEnv):
            handle = env._handle()
            specs = list(DEFAULT_FIELDS)
        else:
            specs = _field_specs(fields) or [("current", 1, 1.0)]
            self._world = _PyWorld(env, specs, name)
            info = _lib.EnvInfo()
            LIB.jitrl_env_info_init(ctypes.byref(info))
            self._info_keep = [cstr("python"), cstr(name or type(env).__name__), cstr(preset)]
            info.kind, info.name = self._info_keep[0], self._info_keep[1]
            if preset:
                info.preset = self._info_keep[2]
            fs = (_lib.FieldSpec * len(specs))()
            names = [cstr(s[0]) for s in specs]
            for i, (nm, ng, w) in enumerate(specs):
                fs[i].name, fs[i].ngram, fs[i].weight = names[i], ng, w
            info.fields, info.n_fields = fs, len(specs)
            fb = [cstr(a) for a in (fallback_actions or [])]
            if fb:
                fba = (ctypes.c_char_p * len(fb))(*fb)
                info.fallback_actions, info.n_fallback = fba, len(fb)
            out = ctypes.c_void_p()
            rc = LIB.jitrl_env_create(ctypes.byref(self._world.methods), ctypes.byref(info), None,
                                      ctypes.byref(out), err, len(err))
            check(rc, lambda: text(err.value))
            self._own_env = handle = out.value
        self._env = handle
        if memory is None and kind == "jitrl":
            memory = Memory(None, fields=specs)
        self.memory = memory
        cfg = _lib.AgentConfig()
        check(LIB.jitrl_agent_config_init_env(ctypes.byref(cfg), handle), "unknown preset")
        cfg.kind = KINDS[kind]
        cfg.seed = int(seed)
        cfg.max_steps = int(max_steps)
        cfg.history_len = int(history_len)
        for k, v in params.items():
            k = "lambda_" if k == "lambda" else k
            if k == "explore":
                v = {"lambda": 0, "ucb": 1}.get(v, v)
            if k == "mode":
                v = {"sample": 0, "argmax": 1, "legacy": 2}.get(v, v)
            if k in ("tabular_c",):
                cfg.tabular_c = float(v)
                continue
            if k not in dict(_lib.Params._fields_) or k == "size":
                raise TypeError("unknown parameter %r" % k)
            setattr(cfg.params, k, v)
        out = ctypes.c_void_p()
        rc = LIB.jitrl_agent_open(handle, memory._h() if memory is not None else None, ctypes.byref(cfg),
                                  ctypes.byref(out), err, len(err))
        check(rc, lambda: text(err.value))
        self._ag = out.value

    def run_episode(self, episode):
        """Play episode number `episode` (it seeds the episode's RNG) and
        store it; a dict of the result (score, best_score, steps, done,
        victory, death, episode_id, wall_s)."""
        if not self._ag:
            raise JitrlError(_lib.ESTATE, "the agent is closed")
        if self._world:
            self._world.exc = None
        r = _lib.EpisodeResult()
        rc = LIB.jitrl_agent_run_episode(self._ag, int(episode), ctypes.byref(r))
        exc = self._world.exc if self._world else None
        if rc or exc is not None:
            msg = text(LIB.jitrl_agent_errmsg(self._ag))
            if exc is not None:
                msg = msg or self._world.err.value.decode("utf-8", "replace")
                raise JitrlError(rc or _lib.EIO, msg) from exc
            raise JitrlError(rc, msg)
        return {k: getattr(r, k) for k, _ in _lib.EpisodeResult._fields_ if not k.startswith("_")}

    def run(self, episodes, start=0):
        return [self.run_episode(start + i) for i in range(episodes)]

    def close(self):
        if getattr(self, "_ag", None):
            LIB.jitrl_agent_close(self._ag)
            self._ag = None
        if getattr(self, "_own_env", None):
            LIB.jitrl_env_close(self._own_env)
            self._own_env = None

