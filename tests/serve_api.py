"""serve_api.py ADDR TOKEN NS OTHER_NS -- every route of a live `jitrl serve` against docs/openapi.yaml.

Run by tests/test_serve_api.sh.  Each request it sends is first checked against the operation's request schema,
and each answer against the response schema for its status (or `default`) and content type (JSON Lines: each
line); every path and method in the document must have been exercised.  The checker reads the subset of JSON
Schema the document uses: type, properties, required, additionalProperties, items, enum, $ref.
"""

import http.client
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = yaml.safe_load(open(os.path.join(ROOT, "docs", "openapi.yaml")))
ADDR, TOKEN, NS, OTHER = sys.argv[1:5]
seen = set()
failures = []

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def resolve(s):
    while "$ref" in s:
        node = SPEC
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


def validate(x, s, where):
    s = resolve(s)
    t = s.get("type")
    if t == "integer":
        ok = isinstance(x, int) and not isinstance(x, bool)
    elif t == "number":
        ok = isinstance(x, (int, float)) and not isinstance(x, bool)
    elif t:
        ok = isinstance(x, TYPES[t])
    else:
        ok = True
    if not ok:
        raise AssertionError(f"{where}: {x!r:.80} is not {t}")
    if "enum" in s and x not in s["enum"]:
        raise AssertionError(f"{where}: {x!r} not in {s['enum']}")
    if isinstance(x, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in x:
                raise AssertionError(f"{where}: missing required '{k}'")
        extra = s.get("additionalProperties", True)
        for k, v in x.items():
            if k in props:
                validate(v, props[k], f"{where}.{k}")
            elif extra is False:
                raise AssertionError(f"{where}: '{k}' is not in the schema")
            elif isinstance(extra, dict):
                validate(v, extra, f"{where}.{k}")
    if isinstance(x, list) and "items" in s:
        for i, v in enumerate(x):
            validate(v, s["items"], f"{where}[{i}]")


def operation(path, method):
    tmpl = path.split("?")[0]
    for p in SPEC["paths"]:
        parts, got = p.split("/"), tmpl.split("/")
        if len(parts) == len(got) and all(a == b or a.startswith("{") for a, b in zip(parts, got)):
            return p, SPEC["paths"][p][method.lower()]
    raise AssertionError(f"{method} {path} is not in docs/openapi.yaml")


def call(method, path, body=None, token=TOKEN, ctype="application/json", expect=200, check_request=True):
    p, op = operation(path, method)
    seen.add((p, method.lower()))
    data = None
    if body is not None:
        if check_request and "requestBody" in op:
            rs = op["requestBody"]["content"][ctype]["schema"]
            if ctype == "application/x-ndjson":
                for i, line in enumerate(body.splitlines()):
                    validate(json.loads(line), rs, f"request line {i + 1}")
            else:
                validate(body, rs, "request")
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    h = {"Content-Type": ctype} if data is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    host, port = ADDR.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    if data is not None and len(data) > (1 << 20):
        # too big: send the headers alone, as a client expecting 100-continue would; the server answers at once
        c.putrequest(method, path)
        for k, v in list(h.items()) + [("Content-Length", str(len(data)))]:
            c.putheader(k, v)
        c.endheaders()
    else:
        c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    where = f"{method} {path} -> {r.status}"
    if r.status != expect:
        raise AssertionError(f"{where}: expected {expect}: {text[:300]}")
    resp = op["responses"].get(str(r.status)) or op["responses"].get("default")
    if resp is None:
        raise AssertionError(f"{where}: status not documented")
    resp = resolve(resp)
    rtype = r.getheader("Content-Type", "").split(";")[0].strip()
    if rtype not in resp["content"]:
        raise AssertionError(f"{where}: content type {rtype} not documented ({list(resp['content'])})")
    schema = resp["content"][rtype]["schema"]
    if rtype == "application/x-ndjson":
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        for i, d in enumerate(docs):
            validate(d, schema, f"{where} line {i + 1}")
        return docs, text
    if rtype == "application/json":
        doc = json.loads(text)
        validate(doc, schema, where)
        return doc, text
    validate(text, schema, where)
    return text, text


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except AssertionError as e:
        failures.append(name)
        print(f"FAIL {name}: {e}")


state = {"current": "West of House. A small mailbox.", "history": ""}
cands = [{"action": "open mailbox"}, {"action": "go north"}]


def t_health():
    assert call("GET", "/healthz", token=None)[0]["status"] == "ok"
    assert call("GET", "/readyz", token=None)[0]["status"] == "ready"


def t_decide():
    d, _ = call("POST", "/v1/decide", {"namespace": NS, "state": state, "candidates": cands, "seed": 1})
    assert d["neighbours"] == 0 and len(d["probs"]) == 2
    d, _ = call("POST", "/v1/decide", {"namespace": NS, "state": state, "candidates": [
        {"action": "open mailbox", "logit": -0.1}, {"action": "go north", "logit": -2.0}],
        "params": {"beta": 3, "k": 5, "threshold": 0.9}, "mode": "argmax", "trace": True, "seed": 2})
    assert d["choice"] == "open mailbox" and "trace" in d


def t_record():
    ep = {"namespace": NS, "episode_key": "api-1", "gamma": 0.9, "task": "zork",
          "steps": [{"state": state, "action": "open mailbox", "reward": 5}]}
    a, _ = call("POST", "/v1/episodes", ep)
    b, _ = call("POST", "/v1/episodes", ep)
    assert a["episode_id"] == b["episode_id"] and b["replayed"] and not a["replayed"]
    d, _ = call("POST", "/v1/decide", {"namespace": NS, "state": state, "candidates": cands, "seed": 1})
    assert d["neighbours"] == 1 and d["probs"][0] > d["probs"][1]


def t_stats_export_import_prune():
    s, _ = call("GET", f"/v1/namespaces/{NS}/stats")
    assert s["episodes"] == 1 and s["steps"] == 1
    docs, text = call("GET", f"/v1/namespaces/{NS}/episodes")
    assert len(docs) == 1
    n, _ = call("POST", f"/v1/namespaces/{NS}-copy/episodes:import", text, ctype="application/x-ndjson")
    assert n["imported"] == 1
    r, _ = call("DELETE", f"/v1/namespaces/{NS}-copy/episodes?keep=5")
    assert r["removed"] == 0
    r, _ = call("DELETE", f"/v1/namespaces/{NS}-copy/episodes?before=99999999999")
    assert r["removed"] == 1


def t_metrics():
    m, _ = call("GET", "/metrics", token=None)
    assert 'jitrl_requests_total{route="decide",code="200"}' in m
    assert f'jitrl_stored_steps{{namespace="{NS}"}} 1' in m


def t_errors():
    # each documented error status, answered with the Error schema
    call("POST", "/v1/decide", "{not json", expect=400, check_request=False)
    call("POST", "/v1/decide", {"namespace": NS, "state": {"current": 1}, "candidates": []}, expect=400,
         check_request=False)
    call("POST", "/v1/decide", {"namespace": NS, "state": state, "candidates": cands}, token="wrong", expect=401)
    call("GET", f"/v1/namespaces/{OTHER}/stats", expect=403)
    call("GET", f"/v1/namespaces/{NS}-never/stats", expect=404)
    call("POST", "/v1/decide", {"namespace": NS, "state": state, "candidates": cands}, ctype="text/plain",
         expect=415, check_request=False)
    call("POST", "/v1/episodes", "x" * (2 << 20), expect=413, check_request=False)
    call("DELETE", f"/v1/namespaces/{NS}/episodes", expect=400)


for name, fn in [("health", t_health), ("decide", t_decide), ("record + idempotency", t_record),
                 ("stats/export/import/prune", t_stats_export_import_prune), ("metrics", t_metrics),
                 ("errors", t_errors)]:
    check(name, fn)
documented = {(p, m) for p, ops in SPEC["paths"].items() for m in ops if m in ("get", "post", "delete", "put")}
missing = documented - seen
if missing:
    failures.append("coverage")
    print(f"FAIL coverage: routes never exercised: {sorted(missing)}")
print(f"FIGURE serve_api: {len(seen)} routes checked against docs/openapi.yaml, {len(failures)} failures")
sys.exit(1 if failures else 0)
