"""jitrl_client -- a client for `jitrl serve` (docs/serve.md, docs/openapi.yaml), standard library only.

    from jitrl_client import Client
    c = Client("http://127.0.0.1:8080", token="...", namespace="my-agent")
    d = c.decide({"current": "a dark room"}, ["north", "south"])
    ep = c.episode()                 # collects steps, records them once at the end
    ep.step({"current": "a dark room"}, d["choice"], reward=1.0)
    ep.finish()

One keep-alive connection per Client (use one Client per thread). Transient failures (connection reset, 503
over the connection limit or a store that is away) are retried with backoff; recording is safe to retry because
every episode carries an episode_key (a random one unless you give your own), which the server stores once.
Errors the server answers come back as JitrlError(status, code, message).
"""

import http.client
import json
import random
import time
import urllib.parse
import uuid

__all__ = ["Client", "Episode", "JitrlError"]


class JitrlError(Exception):
    """An error answer: HTTP status, the server's error code and message."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Client:
    def __init__(self, base_url="http://127.0.0.1:8080", token=None, namespace="default", timeout=10.0,
                 retries=4, backoff=0.05):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"base_url must be http://HOST:PORT, not {base_url!r}")
        self._https = u.scheme == "https"
        self._host, self._port = u.hostname, u.port or (443 if self._https else 80)
        self.token, self.namespace = token, namespace
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._conn = None

    # ---- transport ----
    def _connect(self):
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        self._conn = cls(self._host, self._port, timeout=self.timeout)

    def close(self):
        if self._conn:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, ctype="application/json", raw=False):
        """One request; the parsed JSON answer (or the text with raw=True).  Retries transient failures."""
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            data = data.encode() if isinstance(data, str) else data
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = ctype
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                if self._conn is None:
                    self._connect()
                self._conn.request(method, path, body=data, headers=headers)
                r = self._conn.getresponse()
                text = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
            except (OSError, http.client.HTTPException):
                self.close()
                if last:
                    raise
                time.sleep(self.backoff * (2 ** attempt) * (0.5 + random.random()))
                continue
            if r.status == 503 and not last:
                time.sleep(self.backoff * (2 ** attempt) * (0.5 + random.random()))
                continue
            if r.status >= 400:
                try:
                    e = json.loads(text)["error"]
                    raise JitrlError(r.status, e.get("code", "?"), e.get("message", ""))
                except (ValueError, KeyError, TypeError):
                    raise JitrlError(r.status, "http_error", text[:200].decode("utf-8", "replace")) from None
            return text.decode() if raw else json.loads(text)
        raise AssertionError("unreachable")

    def _ns_path(self, what, namespace=None):
        ns = urllib.parse.quote(namespace or self.namespace, safe="")
        return f"/v1/namespaces/{ns}/{what}"

    # ---- the API ----
    def decide(self, state, candidates, logits=None, params=None, seed=None, mode=None, trace=False, task=None,
               observation=None, namespace=None):
        """The JitRL choice among candidates (strings) in state ({field: text}); logits optional (one per candidate)."""
        if logits is not None and len(logits) != len(candidates):
            raise ValueError("one logit per candidate, or none")
        cands = [{"action": a} if logits is None else {"action": a, "logit": float(z)}
                 for a, z in zip(candidates, logits or [None] * len(candidates))]
        body = {"namespace": namespace or self.namespace, "state": state, "candidates": cands}
        for k, v in (("params", params), ("seed", seed), ("mode", mode), ("task", task),
                     ("observation", observation)):
            if v is not None:
                body[k] = v
        if trace:
            body["trace"] = True
        return self.request("POST", "/v1/decide", body)

    def record(self, steps, episode_key=None, gamma=None, task=None, score=None, namespace=None):
        """Record an episode: steps are (state, action, reward) tuples or {"state","action","reward"} dicts."""
        body = {"namespace": namespace or self.namespace, "episode_key": episode_key or uuid.uuid4().hex,
                "steps": [s if isinstance(s, dict) else {"state": s[0], "action": s[1], "reward": float(s[2])}
                          for s in steps]}
        for k, v in (("gamma", gamma), ("task", task), ("score", score)):
            if v is not None:
                body[k] = v
        return self.request("POST", "/v1/episodes", body)

    def episode(self, **record_args):
        return Episode(self, **record_args)

    def stats(self, namespace=None):
        return self.request("GET", self._ns_path("stats", namespace))

    def export(self, namespace=None):
        """Every stored episode, as dicts (the JSON Lines export)."""
        text = self.request("GET", self._ns_path("episodes", namespace), raw=True)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def import_episodes(self, episodes, namespace=None):
        """Import episodes (dicts as export gives them, or JSON Lines text); returns how many."""
        text = episodes if isinstance(episodes, str) else "".join(json.dumps(e) + "\n" for e in episodes)
        return self.request("POST", self._ns_path("episodes:import", namespace), text,
                            ctype="application/x-ndjson")["imported"]

    def prune(self, before=None, keep=None, namespace=None):
        q = urllib.parse.urlencode({k: int(v) for k, v in (("before", before), ("keep", keep)) if v is not None})
        return self.request("DELETE", self._ns_path("episodes", namespace) + "?" + q)["removed"]

    def healthz(self):
        return self.request("GET", "/healthz")

    def readyz(self):
        return self.request("GET", "/readyz")

    def metrics(self):
        return self.request("GET", "/metrics", raw=True)


class Episode:
    """Collects an episode's steps and records them in one request (retry-safe: one episode_key)."""

    def __init__(self, client, **record_args):
        self.client, self.args, self.steps = client, record_args, []
        self.key = record_args.pop("episode_key", None) or uuid.uuid4().hex

    def step(self, state, action, reward):
        self.steps.append({"state": state, "action": action, "reward": float(reward)})

    def finish(self):
        return self.client.record(self.steps, episode_key=self.key, **self.args)
