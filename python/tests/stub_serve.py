"""A stand-in for `jitrl serve` in the tests, on the standard library: the
routes of issue 12 (POST /v1/decide, POST /v1/episodes with episode_key,
GET /v1/namespaces/{ns}/stats and /episodes, POST .../episodes:import,
DELETE .../episodes, /healthz, /readyz), bearer tokens with namespace
globs (401 / 403 with {"error": {"code", "message"}}), one jitrl.Memory
per namespace.  Used when the real server is not built."""
import fnmatch
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jitrl


class Stub:
    def __init__(self, tokens=None):
        self.tokens = tokens or {}
        self.mems = {}
        self.keys = {}
        self.lock = threading.Lock()
        stub = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body, ctype="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _err(self, code, ecode, msg):
                self._send(code, {"error": {"code": ecode, "message": msg}})

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n)

            def _auth(self, ns):
                if not stub.tokens:
                    return True
                h = self.headers.get("Authorization", "")
                tok = h[7:] if h.startswith("Bearer ") else None
                if tok not in stub.tokens:
                    self._err(401, "unauthorized", "a valid bearer token is required")
                    return False
                if not any(fnmatch.fnmatchcase(ns, g) for g in stub.tokens[tok]):
                    self._err(403, "forbidden", "the token may not use namespace %s" % ns)
                    return False
                return True

            def _handle(self, method):
                u = urllib.parse.urlsplit(self.path)
                parts = u.path.strip("/").split("/")
                if u.path in ("/healthz", "/readyz"):
                    return self._send(200, b"ok\n", "text/plain")
                if u.path in ("/v1/decide", "/v1/episodes") and method == "POST":
                    try:
                        req = json.loads(self._body())
                    except ValueError:
                        return self._err(400, "malformed_json", "not JSON")
                    ns = req.pop("namespace", "default")
                    if not self._auth(ns):
                        return
                    key = req.pop("episode_key", None)
                    with stub.lock:
                        mem = stub.mem(ns)
                        try:
                            if u.path == "/v1/decide":
                                raw = mem._json(jitrl._lib.LIB.jitrl_decide_json, req)
                                raw["decision_id"] = "d-%d" % id(raw)
                                return self._send(200, raw)
                            if key is not None and (ns, key) in stub.keys:
                                return self._send(200, stub.keys[(ns, key)])
                            raw = mem._json(jitrl._lib.LIB.jitrl_record_json, req)
                            if key is not None:
                                stub.keys[(ns, key)] = raw
                            return self._send(200, raw)
                        except jitrl.JitrlError as e:
                            return self._err(413 if e.name == "ETOOBIG" else 400, "invalid_request", e.message)
                if len(parts) == 4 and parts[:2] == ["v1", "namespaces"]:
                    ns = urllib.parse.unquote(parts[2])
                    if not self._auth(ns):
                        return
                    with stub.lock:
                        mem = stub.mem(ns)
                        if parts[3] == "stats" and method == "GET":
                            return self._send(200, dict(mem.stats(), namespace=ns))
                        if parts[3] == "episodes" and method == "GET":
                            return self._send(200, mem.export().encode(), "application/x-ndjson")
                        if parts[3] == "episodes:import" and method == "POST":
                            return self._send(200, {"imported": mem.import_(self._body())})
                        if parts[3] == "episodes" and method == "DELETE":
                            q = urllib.parse.parse_qs(u.query)
                            return self._send(200, {"removed": mem.prune(keep=int(q.get("keep", ["0"])[0]))})
                return self._err(404, "not_found", "no route %s %s" % (method, u.path))

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def mem(self, ns):
        if ns not in self.mems:
            self.mems[ns] = jitrl.Memory(None)
        return self.mems[ns]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        for m in self.mems.values():
            m.close()
