"""Client: decide and record against `jitrl serve` (issue 12's HTTP API:
POST /v1/decide, POST /v1/episodes, GET /v1/namespaces/{ns}/stats ...),
with the standard library only (urllib).

Why it mirrors Memory: the service speaks the JSON surface of the library
(docs/api.md) plus a namespace, so code written against a local Memory
moves to a fleet-wide memory by changing one constructor.  Every failure
is a JitrlError: the server's {"error": {"code", "message"}} when it sent
one, with the HTTP status in `.status`.
"""
import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from ._lib import JitrlError
from .engine import Decision, decide_request, episode_request

# HTTP status -> enum jitrl_rc (error.h) for JitrlError.code
_STATUS_RC = {400: 2, 401: 16, 403: 16, 404: 11, 408: 13, 409: 14, 413: 12, 415: 2, 422: 2, 429: 9,
              503: 14, 504: 13}


class Client:
    """A client of `jitrl serve` at `url` (e.g. "http://127.0.0.1:8080"),
    with a bearer `token` (None for a server without a tokens file) and a
    default `namespace`."""

    def __init__(self, url, token=None, namespace="default", timeout=30.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        self.url = url.rstrip("/")
        self.token = token
        self.namespace = namespace
        self.timeout = float(timeout)

    def __repr__(self):   # never shows the token
        return "Client(%r, namespace=%r)" % (self.url, self.namespace)

    def _ns(self, namespace):
        return namespace if namespace is not None else self.namespace

    def _request(self, method, path, body=None, raw=False, query=None, content_type="application/json"):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body, allow_nan=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                payload = r.read()
        except urllib.error.HTTPError as e:
            payload = e.read()
            code, msg = "http_%d" % e.code, payload.decode("utf-8", "replace")[:300]
            try:
                err = json.loads(payload)["error"]
                code, msg = err.get("code", code), err.get("message", msg)
                if err.get("path"):
                    msg = "%s: %s" % (err["path"], msg)
            except Exception:
                pass
            ex = JitrlError(_STATUS_RC.get(e.code, 9), "%s %s: HTTP %d %s: %s" % (method, path, e.code, code, msg))
            ex.status, ex.error_code = e.code, code
            raise ex from None
        except (socket.timeout, TimeoutError) as e:
            raise JitrlError(13, "%s %s: timed out after %gs" % (method, path, self.timeout)) from e
        except (urllib.error.URLError, OSError) as e:
            raise JitrlError(9, "%s %s: %s" % (method, path, getattr(e, "reason", e))) from e
        if raw:
            return payload.decode("utf-8")
        try:
            return json.loads(payload) if payload else {}
        except ValueError as e:
            raise JitrlError(10, "%s %s: the answer is not JSON" % (method, path)) from e

    def decide(self, state, candidates, logits=None, seed=None, mode=None, trace=False, namespace=None,
               **params):
        req = decide_request(state, candidates, logits, seed, mode, trace, params)
        req["namespace"] = self._ns(namespace)
        return Decision(self._request("POST", "/v1/decide", req))

    def record(self, steps, gamma=None, task=None, score=None, episode_key=None, namespace=None):
        """Store one episode; its id.  The same episode_key stores once."""
        req = episode_request(steps, gamma, task, score)
        req["namespace"] = self._ns(namespace)
        if episode_key is not None:
            req["episode_key"] = str(episode_key)
        return self._request("POST", "/v1/episodes", req)["episode_id"]

    def _nspath(self, namespace, tail):
        return "/v1/namespaces/%s/%s" % (urllib.parse.quote(self._ns(namespace), safe=""), tail)

    def stats(self, namespace=None):
        return self._request("GET", self._nspath(namespace, "stats"))

    def export(self, namespace=None):
        """The namespace's episodes as JSON Lines (a str)."""
        return self._request("GET", self._nspath(namespace, "episodes"), raw=True)

    def import_(self, jsonl, namespace=None):
        data = jsonl.encode("utf-8") if isinstance(jsonl, str) else bytes(jsonl)
        return self._request("POST", self._nspath(namespace, "episodes:import"), data,
                             content_type="application/x-ndjson")

    import_episodes = import_

    def prune(self, before=None, keep=None, namespace=None):
        q = {}
        if before is not None:
            q["before"] = before
        if keep is not None:
            q["keep"] = int(keep)
        return self._request("DELETE", self._nspath(namespace, "episodes"), query=q)

    def health(self):
        """True when /healthz and /readyz both answer 200."""
        try:
            self._request("GET", "/healthz", raw=True)
            self._request("GET", "/readyz", raw=True)
            return True
        except JitrlError:
            return False
