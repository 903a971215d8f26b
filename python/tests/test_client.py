"""jitrl.Client against `jitrl serve` when the build has it, else against
the stub of stub_serve.py (the same routes and error shapes): decide,
record (idempotent with episode_key), stats, export / import, prune,
health, 401 / 403 with the server's message, a dead server as JitrlError."""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import jitrl
from jitrl import Client, JitrlError, Memory
from conftest import figure, BUILD

TOKEN_A, TOKEN_B = "token-for-a-0123456789", "token-for-b-9876543210"
STATE = {"current": "location: hall\ninventory: lamp\nvisible: door", "history": ""}


def have_serve():
    binary = os.environ.get("JITRL_BIN") or os.path.join(BUILD, "jitrl")
    try:
        r = subprocess.run([binary, "serve", "--help"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return binary if r.returncode == 0 else None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class LiveServe:
    """`jitrl serve` on a loopback port it picks (--listen 127.0.0.1:0, read
    back from its "listening on ADDR:PORT" line), with a tokens file: a
    grants a*, b grants b; each namespace a SQLite memory in a temp dir."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="jitrl-py-serve-")
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("# test grants\n%s a*\n%s b\n" % (hashlib.sha256(TOKEN_A.encode()).hexdigest(),
                                                     hashlib.sha256(TOKEN_B.encode()).hexdigest()))
        os.mkdir(os.path.join(self.dir, "mem"))
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--memory",
                                      os.path.join(self.dir, "mem"), "--tokens", tokens],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        self.url = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            self.log.seek(0)
            m = re.search(r"listening on (\S+):(\d+)", self.log.read())
            if m:
                self.url = "http://127.0.0.1:%s" % m.group(2)
                if Client(self.url).health():
                    return
            time.sleep(0.05)
        self.log.seek(0)
        out = self.log.read()
        self.close()
        raise RuntimeError("jitrl serve did not start: %s" % out[-500:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    binary = have_serve()
    if binary:
        s = LiveServe(binary)
        figure("python Client tested against a live `jitrl serve` (%s)" % binary)
    else:
        import stub_serve
        s = stub_serve.Stub({TOKEN_A: ["a*"], TOKEN_B: ["b"]})
        figure("python Client tested against the stdlib stub (no `jitrl serve` in %s)" % BUILD)
    yield s
    s.close()


def test_client_round_trip(server):
    c = Client(server.url, TOKEN_A, namespace="a1")
    assert TOKEN_A not in repr(c)
    assert c.health()
    d0 = c.decide(STATE, ["open door", "west"], seed=5)
    assert d0.choice in ("open door", "west") and d0.neighbours == 0
    steps = [(STATE, "open door", 0.0), ({"current": "location: yard", "history": "open door"}, "dig", 3.0)]
    eid = c.record(steps, gamma=0.5, episode_key="ep-1")
    assert c.record(steps, gamma=0.5, episode_key="ep-1") == eid     # idempotent
    d = c.decide(STATE, ["open door", "west"], seed=5, beta=50, mode="argmax", lambda_=0)
    assert d.choice == "open door" and d.neighbours >= 1 and d.v == 1.5
    # the same decision as a local memory holding the same episode
    m = Memory(None)
    m.record(steps, gamma=0.5)
    local = m.decide(STATE, ["open door", "west"], seed=5, beta=50, mode="argmax", lambda_=0)
    assert (local.choice, local.probs, local.advantages, local.v) == (d.choice, d.probs, d.advantages, d.v)
    st = c.stats()
    assert st["episodes"] == 1 and st["steps"] == 2
    text = c.export()
    assert text.count("\n") == 1 and '"dig"' in text
    c2 = Client(server.url, TOKEN_A, namespace="a2")
    assert c2.import_(text)["imported"] == 1
    assert c2.stats()["steps"] == 2 and c2.export() == text
    c2.record([(STATE, "west", -1.0)])
    assert c2.prune(keep=1)["removed"] == 1          # the worse episode goes
    assert c2.stats()["episodes"] == 1


def test_client_errors(server):
    with pytest.raises(JitrlError) as e:
        Client(server.url, "wrong-token", namespace="a1").stats()
    assert e.value.status == 401 and e.value.name == "EAUTH"
    with pytest.raises(JitrlError) as e:
        Client(server.url, TOKEN_B, namespace="a1").decide(STATE, ["x"])
    assert e.value.status == 403
    with pytest.raises(JitrlError) as e:
        Client(server.url, TOKEN_B, namespace="b").decide(STATE, ["x"], beta=-1)
    assert e.value.status == 400 and "beta" in str(e.value)
    dead = Client("http://127.0.0.1:%d" % free_port(), TOKEN_A, timeout=2)
    with pytest.raises(JitrlError) as e:
        dead.decide(STATE, ["x"])
    assert e.value.name in ("EHTTP", "ETIMEOUT")
    assert not dead.health()
    with pytest.raises(ValueError):
        Client("ftp://x")
