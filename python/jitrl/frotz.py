"""FrotzEnv: Jericho's game environment, method for method, on jitrl's own
Z-machine (the environment kind "zgame", include/jitrl/zgame.h).

Why: research on text games is written against Jericho's `FrotzEnv`.  This
class keeps its calls, return shapes and semantics (reward = score delta,
done = victory or game over, info with moves and score, actions truncated
to the input buffer with a warning, objects with num/name/parent/sibling/
child/attr/properties, dictionary words with Jericho's part-of-speech
flags) so such code runs unchanged, while underneath each environment is
one library handle: many live in one process, valid actions come from the
library's grammar-driven, memoised search, and a story that faults raises
JitrlError instead of killing the interpreter.  python/README.md lists
where we differ.
"""
import ctypes
import os
import warnings

from . import _lib
from ._lib import LIB, Closable, JitrlError, check, cstr, text

# Jericho sends at most 200 - 2 bytes of a command (its input buffer less
# the newline and the terminator) and truncates longer ones with a warning.
INPUT_BUFFER_SIZE = 198


class UnsupportedGameWarning(UserWarning):
    pass


class TruncatedInputActionWarning(UserWarning):
    pass


class ZObject:
    """One object of the Z-machine's object tree, as Jericho shows it:
    `attr` is 32 flags (attributes 0..31, 1 = set), `properties` the
    property numbers the object has, in table order."""
    __slots__ = ("num", "name", "parent", "sibling", "child", "attr", "properties")

    def __init__(self, num=0, name="", parent=0, sibling=0, child=0, attr=None, properties=None):
        self.num, self.name, self.parent, self.sibling, self.child = num, name, parent, sibling, child
        self.attr = list(attr) if attr is not None else [0] * 32
        self.properties = list(properties) if properties is not None else []

    def __str__(self):
        return "Obj{}: {} Parent{} Sibling{} Child{} Attributes {} Properties {}".format(
            self.num, self.name, self.parent, self.sibling, self.child,
            [i for i, a in enumerate(self.attr) if a], [p for p in self.properties if p])

    __repr__ = __str__

    def __eq__(self, other):
        # as Jericho: siblings and children do not count, so trees compare loosely
        if not isinstance(other, ZObject):
            return NotImplemented
        return (self.num == other.num and self.name == other.name and self.parent == other.parent
                and self.attr == other.attr and self.properties == other.properties)

    def __hash__(self):
        return hash(str(self))


class DictionaryWord:
    """A word of the game's dictionary with Jericho's flags (read from the
    entry's first data byte: Inform's noun/verb/preposition/meta/plural
    bits, or Infocom's part-of-speech bits)."""
    FLAGS = ("is_noun", "is_verb", "is_prep", "is_meta", "is_plural", "is_dir", "is_adj", "is_special")
    __slots__ = ("word",) + FLAGS

    def __init__(self, word, **flags):
        self.word = word
        for f in self.FLAGS:
            setattr(self, f, bool(flags.get(f, False)))

    def __repr__(self):
        return self.word

    def __eq__(self, other):
        if isinstance(other, DictionaryWord):
            return all(getattr(self, f) == getattr(other, f) for f in self.__slots__)
        return NotImplemented

    def __hash__(self):
        return hash(self.word)

    def pos(self):
        return [f[3:] for f in ("is_noun", "is_verb", "is_prep", "is_meta", "is_plural", "is_dir", "is_adj",
                                "is_special") if getattr(self, f)]


def _dict_flags(flag, inform):
    """Jericho's word flags from the dictionary entry's first data byte."""
    f = {}
    if inform:
        f["is_noun"] = bool(flag & 0x80)
        f["is_prep"] = bool(flag & 0x08)
        f["is_plural"] = bool(flag & 0x04)
        f["is_meta"] = bool(flag & 0x02)
        f["is_verb"] = bool(flag & 0x01)
        return f
    # Infocom: the low two bits say which part of speech owns the first
    # data byte; every other part-of-speech bit stands for itself
    f["is_dir"] = bool(flag & 0x10)
    f["is_adj"] = bool(flag & 0x20)
    f["is_verb"] = bool(flag & 0x40)
    f["is_prep"] = bool(flag & 0x08)
    f["is_noun"] = bool(flag & 0x80)
    f["is_special"] = bool(flag & 0x04)
    return f


def _walkthrough_file(name, story_file):
    """Where a known game's walkthrough is: $JITRL_SHARED, then the
    Jericho layout around the story (games/ beside walkthroughs/)."""
    here = os.path.dirname(os.path.abspath(story_file))
    roots = []
    if os.environ.get("JITRL_SHARED"):
        roots.append(os.path.join(os.environ["JITRL_SHARED"], "jericho", "walkthroughs"))
    roots += [os.path.join(here, "..", "walkthroughs"), os.path.join(here, "walkthroughs"),
              os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "jericho",
                           "walkthroughs")]
    for r in roots:
        p = os.path.join(r, name + ".txt")
        if os.path.isfile(p):
            return p
    return None


class FrotzEnv(Closable):
    """A Z-machine game with Jericho's interface.

    :param story_file: path to a Z-machine story (.z3 .z4 .z5 .z7 .z8).
    :param seed: the game's random seed (`dfrotz -s N`); None = the known
        game's own seed (its walkthrough's), else 0.
    """

    def __init__(self, story_file, seed=None, threads=0, step_budget=0):
        self._env = None
        self._threads = threads
        self._step_budget = step_budget
        self._story = None
        self.load(story_file, seed)

    # ---- life cycle ------------------------------------------------------

    def load(self, story_file, seed=None):
        """Load a story (and start it, as Jericho does); a file that is
        missing raises FileNotFoundError, one that is not a story JitrlError."""
        story_file = os.fspath(story_file)
        if not os.path.isfile(story_file):
            raise FileNotFoundError(story_file)
        with open(story_file, "rb") as f:
            self._story = f.read()
        self.story_file = story_file
        self._seed = seed if seed else None
        self._open()
        self._bindings = self._make_bindings()
        self.is_fully_supported = bool(LIB.jitrl_zgame_known(self._env))
        self.reset()

    def _open(self):
        self._close_handle()
        opt = _lib.ZgameOptions()
        LIB.jitrl_zgame_options_init(ctypes.byref(opt))
        opt.seed = -1 if self._seed is None else int(self._seed)
        opt.threads = int(self._threads)
        opt.step_budget = int(self._step_budget)
        out = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        rc = LIB.jitrl_zgame_open_buffer(self._story, len(self._story), ctypes.byref(opt), ctypes.byref(out),
                                         err, len(err))
        check(rc, lambda: "%s: %s" % (self.story_file, text(err.value)))
        self._env = out.value
        self._open_seed = self._seed
        self._fault = False
        self._last = ""

    def _close_handle(self):
        if self._env:
            LIB.jitrl_env_close(self._env)
            self._env = None

    def close(self):
        """Free the game; a later reset() starts it again."""
        if getattr(self, "_env", None):
            self._close_handle()

    def _handle(self):
        if not self._env:
            self._open()
        return self._env

    @property
    def _vm(self):
        # fetched at each use: reset and set_state replace the machine
        return LIB.jitrl_zgame_vm(self._handle())

    def _errmsg(self):
        return text(LIB.jitrl_env_errmsg(self._env)) if self._env else ""

    def seed(self, seed=None):
        """Set the seed the next reset() uses; returns it."""
        self._seed = seed if seed else None
        if self._env is None or self._seed != self._open_seed:
            self._close_handle()   # reopened by reset with the new seed
        return self._seed if self._seed is not None else self.bindings.get("seed", 0)

    def reset(self):
        """Start the game afresh: (observation, {'moves', 'score'})."""
        env = self._handle()
        o = _lib.Obs()
        rc = LIB.jitrl_env_reset(env, ctypes.byref(o))
        check(rc, self._errmsg)
        self._fault = False
        self._last = text(o.text)
        return self._last, {"moves": o.moves, "score": o.score}

    def step(self, action):
        """Send one command: (observation, reward, done, {'moves', 'score'})."""
        env = self._handle()
        data = action.encode("utf-8")
        if len(data) > INPUT_BUFFER_SIZE:
            data = data[:INPUT_BUFFER_SIZE]
            warnings.warn("Once converted to bytes, actions should have less than %d characters. Action '%s' "
                          "was truncated to '%s'." % (INPUT_BUFFER_SIZE, action, data.decode("utf-8", "ignore")),
                          TruncatedInputActionWarning, stacklevel=2)
        s, m, d, v, k = self._progress()
        if d and not self._fault:
            # the game has ended: Jericho's game keeps answering with its
            # end text; we answer the last observation until reset
            return self._last, 0, True, {"moves": m, "score": s}
        o = _lib.Obs()
        rc = LIB.jitrl_env_step(env, data, ctypes.byref(o))
        if rc:
            self._fault = True
            check(rc, self._errmsg)
        self._last = text(o.text)
        reward = int(o.reward) if float(o.reward).is_integer() else o.reward   # a score delta, as Jericho's
        return self._last, reward, bool(o.done), \
            {"moves": o.moves, "score": o.score}

    # ---- state -----------------------------------------------------------

    def get_state(self):
        """The whole game state as bytes (for set_state on this story)."""
        env = self._handle()
        n = LIB.jitrl_env_state_size(env)
        buf = ctypes.create_string_buffer(max(n, 1))
        got = ctypes.c_size_t()
        check(LIB.jitrl_env_get_state(env, buf, n, ctypes.byref(got)), self._errmsg)
        return buf.raw[:got.value]

    def set_state(self, state):
        env = self._handle()
        state = bytes(state)
        check(LIB.jitrl_env_set_state(env, state, len(state)), self._errmsg)
        self._fault = False
        self._last = text(LIB.jitrl_env_observation(env))

    def copy(self):
        """A new, independent environment in this one's state."""
        other = FrotzEnv.__new__(FrotzEnv)
        other._env = None
        other._threads, other._step_budget = self._threads, self._step_budget
        other._story, other.story_file, other._seed = self._story, self.story_file, self._seed
        other._open()
        other._bindings = self._bindings
        other.is_fully_supported = self.is_fully_supported
        other.set_state(self.get_state())
        return other

    def get_world_state_hash(self):
        """A hash of the world (object tree, attributes, properties, globals
        but the move counter) as 16 hex digits: equal worlds, equal hash."""
        return "%016x" % LIB.jitrl_env_hash(self._handle())

    # ---- score and end ---------------------------------------------------

    def _progress(self):
        v = [ctypes.c_int() for _ in range(5)]
        LIB.jitrl_zgame_progress(self._handle(), *[ctypes.byref(x) for x in v])
        return [x.value for x in v]

    def get_score(self):
        return self._progress()[0]

    def get_moves(self):
        return self._progress()[1]

    def get_max_score(self):
        return LIB.jitrl_zgame_max_score(self._handle())

    def victory(self):
        return bool(self._progress()[3])

    def game_over(self):
        """True once the game has ended without a victory (death, or quit)."""
        s, m, d, v, k = self._progress()
        return bool(k or (d and not v))

    def _emulator_halted(self):
        return self._fault

    # ---- valid actions -----------------------------------------------------

    def get_valid_actions(self, use_object_tree=True, use_ctypes=True, use_parallel=True):
        """The commands that change the world here, one per distinct
        outcome (the arguments are Jericho's and change nothing)."""
        env = self._handle()
        arr = ctypes.POINTER(ctypes.c_char_p)()
        n = ctypes.c_size_t()
        rc = LIB.jitrl_env_actions(env, ctypes.byref(arr), ctypes.byref(n))
        if rc == _lib.EUNSUPPORTED:
            warnings.warn("Unable to find valid actions in an unsupported game: %s" % self._errmsg(),
                          UnsupportedGameWarning, stacklevel=2)
            return []
        check(rc, self._errmsg)
        return [text(arr[i]) for i in range(n.value)]

    def _check_action(self, action):
        """(changes_world, index of the valid action with the same outcome
        or -1), tried on a snapshot: the state is unchanged."""
        changes, idx = ctypes.c_int(), ctypes.c_long(-1)
        rc = LIB.jitrl_zgame_check_action(self._handle(), cstr(action), ctypes.byref(changes), ctypes.byref(idx))
        check(rc, self._errmsg)
        return bool(changes.value), idx.value

    def _last_action_stats(self):
        st = _lib.ActionStats()
        LIB.jitrl_zgame_last_action_stats(self._handle(), ctypes.byref(st))
        return {"cached": bool(st.cached), "candidates": st.candidates, "groups": st.groups, "ms": st.ms}

    # ---- the object tree ---------------------------------------------------

    @property
    def player_obj_num(self):
        return LIB.jitrl_zgame_player(self._handle())

    def _nobj(self):
        return LIB.jitrl_zvm_object_count(self._vm)

    def _object(self, n, vm=None):
        vm = vm or self._vm
        buf = ctypes.create_string_buffer(256)
        LIB.jitrl_zvm_object_name(vm, n, buf, len(buf))
        attr = [LIB.jitrl_zvm_attr(vm, n, a) for a in range(32)]
        props, p, guard = [], LIB.jitrl_zvm_next_prop(vm, n, 0), 0
        while p and guard < 64:
            props.append(p)
            p = LIB.jitrl_zvm_next_prop(vm, n, p)
            guard += 1
        return ZObject(n, buf.value.decode("latin-1"), LIB.jitrl_zvm_parent(vm, n), LIB.jitrl_zvm_sibling(vm, n),
                       LIB.jitrl_zvm_child(vm, n), attr, props)

    def get_object(self, obj_num):
        """The object numbered obj_num, or None when there is none (out of
        range, or an object without a name, as Jericho)."""
        if not isinstance(obj_num, int) or obj_num < 1 or obj_num > self._nobj():
            return None
        o = self._object(obj_num)
        return o if o.name else None

    def get_world_objects(self, clean=False):
        """Every object, with an empty object 0 first (Jericho's layout).
        `clean` is accepted; our hash needs no per-game cleaning."""
        vm = self._vm
        return [ZObject()] + [self._object(n, vm) for n in range(1, self._nobj() + 1)]

    def get_player_object(self):
        n = self.player_obj_num
        return self.get_object(n) if n else None

    def get_player_location(self):
        p = self.get_player_object()
        return self.get_object(p.parent) if p else None

    def get_inventory(self):
        p = self.get_player_object()
        out, n, guard = [], p.child if p else 0, 0
        while n > 0 and guard < 4096:
            o = self.get_object(n)
            if not o:
                break
            out.append(o)
            n = o.sibling
            guard += 1
        return out

    # ---- dictionary, facts ---------------------------------------------------

    def get_dictionary(self):
        vm = self._vm
        version = LIB.jitrl_zvm_version(vm)
        serial = bytes(LIB.jitrl_zvm_read_byte(vm, 0x12 + i) for i in range(6))
        # Inform stamps its serial as a date YYMMDD after 1990; Infocom's
        # (8xxxxx) and others use Infocom's part-of-speech bits
        inform = (serial[:2].isdigit() and serial[2:3] in b"01" and serial[3:4].isdigit()
                  and serial[4:5] in b"0123" and serial[5:6].isdigit() and serial[:1] != b"8")
        text_len = 4 if version <= 3 else 6
        buf = ctypes.create_string_buffer(64)
        out = []
        for i in range(LIB.jitrl_zvm_dict_count(vm)):
            LIB.jitrl_zvm_dict_word(vm, i, buf, len(buf))
            flag = LIB.jitrl_zvm_read_byte(vm, LIB.jitrl_zvm_dict_entry(vm, i) + text_len)
            out.append(DictionaryWord(buf.value.decode("latin-1"), **_dict_flags(flag, inform)))
        return out

    def _make_bindings(self):
        if not LIB.jitrl_zgame_known(self._env):
            return {}
        name = text(LIB.jitrl_env_name(self._env))
        b = {"name": name, "rom": os.path.basename(self.story_file), "seed": LIB.jitrl_zgame_seed(self._env),
             "max_score": LIB.jitrl_zgame_max_score(self._env)}
        wt = _walkthrough_file(name, self.story_file)
        if wt:
            with open(wt, encoding="utf-8") as f:
                b["walkthrough"] = "/".join(line.strip() for line in f if line.strip())
        return b

    @property
    def bindings(self):
        """What the game facts know of this game: name, rom, seed,
        max_score, and the walkthrough ('/'-separated) when its file is
        found; {} for an unknown story."""
        return self._bindings

    def get_walkthrough(self):
        if not self._bindings.get("walkthrough"):
            warnings.warn("Unable to retrieve walkthrough for this game.", UnsupportedGameWarning, stacklevel=2)
            return []
        return self._bindings["walkthrough"].split("/")

    def get_observation(self):
        """The last observation (an addition: Jericho has none)."""
        return self._last
