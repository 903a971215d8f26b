"""The one place libjitrl.so is found, loaded and described to ctypes.

Why a module of its own: every other module of the package talks to the C
library through the prototypes declared here, so a missing or older library
fails once, at import, with an ImportError that says which file was tried
and what it lacks -- never later as a segfault on a call with the wrong
signature.  The structs mirror include/jitrl/*.h; the ones the library can
size for us (options and configs start with `size_t size`, set by their
_init) are checked against ctypes' layout at load time.

Search order: $JITRL_LIBRARY; the package's own folder (an installed
wheel); $JITRL_BUILD; the checkout's build/ folder (python/../build).
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_int32, c_int64, c_long,
                    c_size_t, c_ubyte, c_uint, c_uint16, c_uint32, c_uint64, c_uint8, c_void_p)

# The oldest library this package works with: 0.4 added jitrl_zgame_player
# and jitrl_zgame_progress.
MIN_VERSION = (0, 4)
ABI = 0

# enum jitrl_rc (include/jitrl/error.h): the numbers are part of the ABI.
RC_NAMES = {
    0: "OK", 1: "ENOMEM", 2: "EINVAL", 3: "EIO", 4: "ECORRUPT", 5: "EUNSUPPORTED", 6: "EBUDGET", 7: "EVM",
    8: "EDB", 9: "EHTTP", 10: "EPARSE", 11: "ENOTFOUND", 12: "ETOOBIG", 13: "ETIMEOUT", 14: "ESTATE",
    15: "EINTERRUPTED", 16: "EAUTH",
}
EINVAL, EIO, ECORRUPT, EUNSUPPORTED, ETOOBIG, ESTATE = 2, 3, 4, 5, 12, 14


class JitrlError(RuntimeError):
    """A call into libjitrl failed: `code` is the enum jitrl_rc value, `name`
    its symbol ("EVM"), and the message is the library's own detail."""

    def __init__(self, code, message=""):
        self.code = int(code)
        self.name = RC_NAMES.get(self.code, "E%d" % self.code)
        self.message = message or strerror(code)
        super().__init__("%s (%s)" % (self.message, self.name))


class Closable:
    """close() on garbage collection and at the end of a with block: every
    handle class of the package (FrotzEnv, Memory, Agent) frees its C handle
    this one way."""

    def close(self):
        raise NotImplementedError

    def __del__(self):
        try:
            self.close()
        except Exception:   # at interpreter shutdown the library may be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def strerror(code):
    try:
        return LIB.jitrl_strerror(int(code)).decode("utf-8", "replace")
    except Exception:  # during interpreter shutdown
        return "error %d" % code


def check(rc, message=None):
    """Raise JitrlError for a non-zero rc; `message` is a string or a
    callable giving the handle's errmsg."""
    if rc:
        msg = message() if callable(message) else message
        raise JitrlError(rc, msg or "")


def text(b):
    """A C string from the library (UTF-8, or Latin-1 from the Z-machine) as str."""
    if b is None:
        return ""
    if isinstance(b, int):
        b = ctypes.string_at(b)
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def cstr(s):
    if s is None:
        return None
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


# ---- structs (include/jitrl/*.h) ---------------------------------------

class Obs(Structure):
    _fields_ = [("text", c_void_p), ("reward", c_double), ("done", c_int), ("victory", c_int), ("death", c_int),
                ("score", c_int), ("moves", c_int), ("max_score", c_int)]


class Field(Structure):
    _fields_ = [("name", c_void_p), ("text", c_void_p)]


class FieldSpec(Structure):
    _fields_ = [("name", c_char_p), ("ngram", c_int), ("weight", c_double)]


MAX_FIELDS = 8


class MemoryOptions(Structure):
    _fields_ = [("size", c_size_t), ("fields", FieldSpec * MAX_FIELDS), ("n_fields", c_size_t),
                ("read_only", c_int), ("create", c_int), ("busy_timeout_ms", c_int), ("no_index", c_int),
                ("ns", c_char_p)]


class MemoryStats(Structure):
    _fields_ = [("episodes", c_size_t), ("steps", c_size_t), ("distinct_states", c_size_t),
                ("distinct_actions", c_size_t), ("mean_score", c_double), ("best_score", c_double),
                ("first_time", c_int64), ("last_time", c_int64), ("schema_version", c_int),
                ("index_bytes", c_size_t),
                ("_spare", c_ubyte * 256)]   # room for fields a newer library adds


class Params(Structure):
    _fields_ = [("size", c_size_t), ("gamma", c_double), ("k", c_size_t), ("threshold", c_double),
                ("keep_above", c_double), ("lambda_", c_double), ("alpha", c_double), ("beta", c_double),
                ("eps", c_double), ("mode", c_int), ("weighted", c_int), ("exact", c_int), ("augment", c_int),
                ("unseen_neutral", c_int), ("max_listed", c_size_t), ("kl_budget", c_double),
                ("explore", c_int), ("ucb_c", c_double)]


TRACE_FN = CFUNCTYPE(None, c_void_p, c_char_p)


class AgentConfig(Structure):
    _fields_ = [("size", c_size_t), ("kind", c_int), ("max_steps", c_int), ("seed", c_uint64),
                ("params", Params), ("history_len", c_size_t), ("llm", c_void_p), ("prior_mode", c_int),
                ("evaluator", c_int), ("task", c_char_p), ("trace", TRACE_FN), ("trace_ctx", c_void_p),
                ("run_id", c_int), ("stop", c_void_p), ("tabular_c", c_double)]


class EpisodeResult(Structure):
    _fields_ = [("episode", c_int), ("score", c_double), ("best_score", c_double), ("steps", c_int),
                ("done", c_int), ("victory", c_int), ("death", c_int), ("episode_id", c_int64),
                ("evaluated", c_int), ("prompt_tokens", c_long), ("completion_tokens", c_long),
                ("calls", c_long), ("fallbacks", c_long), ("wall_s", c_double),
                ("_spare", c_ubyte * 256)]


class ZgameOptions(Structure):
    _fields_ = [("size", c_size_t), ("seed", c_int32), ("use_facts", c_int), ("step_budget", c_uint64),
                ("threads", c_int), ("fast_actions", c_int), ("name", c_char_p), ("log_mask", c_uint),
                ("log", c_void_p), ("log_ctx", c_void_p), ("actions_cache", c_void_p)]


class ActionStats(Structure):
    _fields_ = [("cached", c_int), ("candidates", c_size_t), ("groups", c_size_t), ("ms", c_double),
                ("_spare", c_ubyte * 128)]


# jitrl_env_methods: the callbacks of a world written in Python (env.h)
RESET_FN = CFUNCTYPE(c_int, c_void_p, POINTER(Obs))
STEP_FN = CFUNCTYPE(c_int, c_void_p, c_char_p, POINTER(Obs))
ACTIONS_FN = CFUNCTYPE(c_int, c_void_p, POINTER(c_void_p), POINTER(c_size_t))
FIELDS_FN = CFUNCTYPE(c_int, c_void_p, POINTER(c_void_p), POINTER(c_size_t))
TEXT_FN = CFUNCTYPE(c_void_p, c_void_p)
SIZE_FN = CFUNCTYPE(c_size_t, c_void_p)
GET_STATE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
SET_STATE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)
HASH_FN = CFUNCTYPE(c_uint64, c_void_p)
CLOSE_FN = CFUNCTYPE(None, c_void_p)


class EnvMethods(Structure):
    _fields_ = [("size", c_size_t), ("reset", RESET_FN), ("step", STEP_FN), ("actions", ACTIONS_FN),
                ("state_fields", FIELDS_FN), ("prompt_fields", FIELDS_FN), ("observation", TEXT_FN),
                ("state_size", SIZE_FN), ("get_state", GET_STATE_FN), ("set_state", SET_STATE_FN),
                ("hash", HASH_FN), ("errmsg", TEXT_FN), ("close", CLOSE_FN)]


class EnvInfo(Structure):
    _fields_ = [("size", c_size_t), ("kind", c_char_p), ("name", c_char_p), ("preset", c_char_p),
                ("system_prompt", c_char_p), ("task", c_char_p), ("action_hint", c_char_p),
                ("reward_lo", c_double), ("reward_hi", c_double), ("fallback_actions", POINTER(c_char_p)),
                ("n_fallback", c_size_t), ("fields", POINTER(FieldSpec)), ("n_fields", c_size_t)]


WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)
READ_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))

# ---- prototypes ----------------------------------------------------------

P = c_void_p
_PROTOS = {
    "jitrl_version": (c_char_p, []),
    "jitrl_strerror": (c_char_p, [c_int]),
    "jitrl_free": (None, [P]),
    # environments
    "jitrl_zgame_options_init": (None, [POINTER(ZgameOptions)]),
    "jitrl_zgame_open_file": (c_int, [c_char_p, POINTER(ZgameOptions), POINTER(P), c_char_p, c_size_t]),
    "jitrl_zgame_open_buffer": (c_int, [c_char_p, c_size_t, POINTER(ZgameOptions), POINTER(P), c_char_p,
                                        c_size_t]),
    "jitrl_zgame_max_score": (c_int, [P]),
    "jitrl_zgame_seed": (c_int32, [P]),
    "jitrl_zgame_known": (c_int, [P]),
    "jitrl_zgame_vm": (P, [P]),
    "jitrl_zgame_player": (c_uint, [P]),
    "jitrl_zgame_progress": (c_int, [P, POINTER(c_int), POINTER(c_int), POINTER(c_int), POINTER(c_int),
                                     POINTER(c_int)]),
    "jitrl_zgame_check_action": (c_int, [P, c_char_p, POINTER(c_int), POINTER(c_long)]),
    "jitrl_zgame_last_action_stats": (c_int, [P, POINTER(ActionStats)]),
    "jitrl_env_methods_init": (None, [POINTER(EnvMethods)]),
    "jitrl_env_info_init": (None, [POINTER(EnvInfo)]),
    "jitrl_env_create": (c_int, [POINTER(EnvMethods), POINTER(EnvInfo), P, POINTER(P), c_char_p, c_size_t]),
    "jitrl_env_close": (None, [P]),
    "jitrl_env_errmsg": (c_char_p, [P]),
    "jitrl_env_reset": (c_int, [P, POINTER(Obs)]),
    "jitrl_env_step": (c_int, [P, c_char_p, POINTER(Obs)]),
    "jitrl_env_actions": (c_int, [P, POINTER(POINTER(c_char_p)), POINTER(c_size_t)]),
    "jitrl_env_observation": (c_char_p, [P]),
    "jitrl_env_state_size": (c_size_t, [P]),
    "jitrl_env_get_state": (c_int, [P, c_char_p, c_size_t, POINTER(c_size_t)]),
    "jitrl_env_set_state": (c_int, [P, c_char_p, c_size_t]),
    "jitrl_env_hash": (c_uint64, [P]),
    "jitrl_env_name": (c_char_p, [P]),
    "jitrl_env_kind": (c_char_p, [P]),
    # the Z-machine, read only
    "jitrl_zvm_version": (c_int, [P]),
    "jitrl_zvm_object_count": (c_uint, [P]),
    "jitrl_zvm_parent": (c_uint, [P, c_uint]),
    "jitrl_zvm_sibling": (c_uint, [P, c_uint]),
    "jitrl_zvm_child": (c_uint, [P, c_uint]),
    "jitrl_zvm_attr": (c_int, [P, c_uint, c_uint]),
    "jitrl_zvm_object_name": (c_size_t, [P, c_uint, c_char_p, c_size_t]),
    "jitrl_zvm_next_prop": (c_uint, [P, c_uint, c_uint]),
    "jitrl_zvm_prop_addr": (c_uint32, [P, c_uint, c_uint, POINTER(c_uint)]),
    "jitrl_zvm_dict_count": (c_uint, [P]),
    "jitrl_zvm_dict_entry": (c_uint32, [P, c_uint]),
    "jitrl_zvm_dict_word": (c_size_t, [P, c_uint, c_char_p, c_size_t]),
    "jitrl_zvm_read_byte": (c_uint8, [P, c_uint32]),
    "jitrl_zvm_read_word": (c_uint16, [P, c_uint32]),
    # memory and engine
    "jitrl_memory_options_init": (None, [POINTER(MemoryOptions)]),
    "jitrl_memory_open": (c_int, [c_char_p, POINTER(MemoryOptions), POINTER(P), c_char_p, c_size_t]),
    "jitrl_memory_close": (None, [P]),
    "jitrl_memory_errmsg": (c_char_p, [P]),
    "jitrl_memory_stats_get": (c_int, [P, POINTER(MemoryStats)]),
    "jitrl_memory_export": (c_int, [P, c_char_p, c_uint, POINTER(c_size_t)]),
    "jitrl_memory_export_cb": (c_int, [P, WRITE_FN, P, c_uint, POINTER(c_size_t)]),
    "jitrl_memory_import": (c_int, [P, c_char_p, POINTER(c_size_t)]),
    "jitrl_memory_import_cb": (c_int, [P, READ_FN, P, POINTER(c_size_t)]),
    "jitrl_memory_refresh": (c_int, [P]),
    "jitrl_memory_prune": (c_int, [P, c_int64, c_size_t, c_int64, POINTER(c_size_t)]),
    "jitrl_decide_json": (c_int, [P, c_char_p, POINTER(c_void_p)]),
    "jitrl_record_json": (c_int, [P, c_char_p, POINTER(c_void_p)]),
    "jitrl_params_default": (c_int, [POINTER(Params), c_char_p]),
    # the agent
    "jitrl_agent_config_init": (None, [POINTER(AgentConfig)]),
    "jitrl_agent_config_init_env": (c_int, [POINTER(AgentConfig), P]),
    "jitrl_agent_open": (c_int, [P, P, POINTER(AgentConfig), POINTER(P), c_char_p, c_size_t]),
    "jitrl_agent_close": (None, [P]),
    "jitrl_agent_errmsg": (c_char_p, [P]),
    "jitrl_agent_run_episode": (c_int, [P, c_int, POINTER(EpisodeResult)]),
}


def _candidates():
    env = os.environ.get("JITRL_LIBRARY")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    out = [os.path.join(here, n) for n in ("libjitrl.so.%d" % ABI, "libjitrl.so")]
    build = os.environ.get("JITRL_BUILD")
    if build:
        out.append(os.path.join(build, "libjitrl.so.%d" % ABI))
    out.append(os.path.join(here, "..", "..", "build", "libjitrl.so.%d" % ABI))
    return [os.path.normpath(p) for p in out], False


def _load():
    paths, explicit = _candidates()
    tried = []
    for path in paths:
        if not explicit and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise ImportError("jitrl: cannot load the C library %s: %s" % (path, e)) from None
        return lib, path
    raise ImportError("jitrl: libjitrl.so not found (tried %s); build it with `make` in the checkout, or set "
                      "JITRL_LIBRARY to its path" % ", ".join(tried))


def _declare(lib, path):
    try:
        ver = lib.jitrl_version
    except AttributeError:
        raise ImportError("jitrl: %s is not libjitrl (no jitrl_version)" % path) from None
    ver.restype = c_char_p
    ver.argtypes = []
    version = ver().decode("ascii", "replace")
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        raise ImportError("jitrl: %s reports an unreadable version %r" % (path, version)) from None
    if major != ABI or (major, minor) < MIN_VERSION:
        raise ImportError("jitrl: %s is version %s; this package needs ABI %d, version %d.%d or newer "
                          "(rebuild the library)" % (path, version, ABI, MIN_VERSION[0], MIN_VERSION[1]))
    for name, (res, args) in _PROTOS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError("jitrl: %s (version %s) lacks %s: it is older than this package"
                              % (path, version, name)) from None
        fn.restype = res
        fn.argtypes = args
    # the structs the library can size for us must match its own layout
    def sized(struct, init, *extra):
        s = struct()
        init(ctypes.byref(s), *extra)
        if s.size != ctypes.sizeof(struct):
            raise ImportError("jitrl: %s: %s is %d bytes in the library, %d here (a mismatched build)"
                              % (path, struct.__name__, s.size, ctypes.sizeof(struct)))
    sized(MemoryOptions, lib.jitrl_memory_options_init)
    sized(AgentConfig, lib.jitrl_agent_config_init)
    sized(ZgameOptions, lib.jitrl_zgame_options_init)
    sized(EnvMethods, lib.jitrl_env_methods_init)
    sized(EnvInfo, lib.jitrl_env_info_init)
    p = Params()
    lib.jitrl_params_default(ctypes.byref(p), None)
    if p.size != ctypes.sizeof(Params):
        raise ImportError("jitrl: %s: jitrl_params is %d bytes in the library, %d here" % (path, p.size,
                                                                                         ctypes.sizeof(Params)))
    return version


LIB, LIB_PATH = _load()
VERSION = _declare(LIB, LIB_PATH)


def take_string(ptr):
    """A `char *` the library handed over as the caller's: copy, then jitrl_free."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        LIB.jitrl_free(ptr)
