"""jitrl: Just-In-Time RL and a Jericho-compatible game environment, over
libjitrl.so (ctypes and the standard library only).

    from jitrl import FrotzEnv          # Jericho's FrotzEnv, method for method
    from jitrl import Memory, Agent     # the engine: decide / record, the C agent
    from jitrl import Client            # the same decide / record against `jitrl serve`

Every library failure is a JitrlError carrying the library's message.
"""
from ._lib import VERSION as library_version, LIB_PATH as library_path, JitrlError
from .frotz import (FrotzEnv, ZObject, DictionaryWord, UnsupportedGameWarning, TruncatedInputActionWarning,
                    INPUT_BUFFER_SIZE)
from .engine import Memory, Decision, Agent
from .client import Client

__version__ = "0.4.0"
__all__ = ["FrotzEnv", "ZObject", "DictionaryWord", "UnsupportedGameWarning", "TruncatedInputActionWarning",
           "INPUT_BUFFER_SIZE", "Memory", "Decision", "Agent", "Client", "JitrlError", "library_version",
           "library_path"]
