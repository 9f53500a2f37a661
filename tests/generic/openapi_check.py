#!/usr/bin/python3
"""openapi_check.py - holds adapters/generic/openapi.yaml to the running
sigmat-generic: every documented path and method exists (401 without a
token, 200 for /v1/health); every request example, sent in document order,
gets the response example of the same name (status, and every documented
field except MessageID); 2xx examples and every real answer validate
against their schemas; every response example validates too.

  openapi_check.py SPEC BASE_URL TOKEN
The token must act for CI and BF. Exit 0 when everything holds.
"""
import json, re, sys, urllib.request, urllib.error
import yaml

SPEC, BASE, TOKEN = sys.argv[1:4]
doc = yaml.safe_load(open(SPEC, encoding="utf-8"))
errors = []


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = doc
        for p in parts:
            node = node[p]
    return node


def validate(value, schema, where):
    schema = resolve(schema)
    t = schema.get("type")
    if value is None:
        if not schema.get("nullable"):
            errors.append("%s: null" % where)
        return
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t in types and not isinstance(value, types[t]):
        errors.append("%s: not a %s: %r" % (where, t, value)); return
    if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        errors.append("%s: not an integer: %r" % (where, value)); return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if t == "string":
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append("%s: longer than %d" % (where, schema["maxLength"]))
    if t == "array":
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1 << 30):
            errors.append("%s: %d items" % (where, len(value)))
        for i, v in enumerate(value):
            validate(v, schema.get("items", {}), "%s/%d" % (where, i))
    if t == "object":
        props = schema.get("properties")
        for r in schema.get("required", []):
            if r not in value:
                errors.append("%s: %s missing" % (where, r))
        if props is not None:
            for k, v in value.items():
                if k not in props:
                    errors.append("%s: undocumented member %s" % (where, k))
                else:
                    validate(v, props[k], "%s/%s" % (where, k))


def call(method, path, body=None, token=TOKEN, ctype="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", ctype)
    def answer(status, ct, raw):
        # /metrics answers text (Prometheus), everything else JSON.
        if (ct or "").startswith("text/plain"):
            return status, ct, raw.decode()
        return status, ct, json.loads(raw or b"null")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return answer(r.status, r.headers.get("Content-Type"), r.read())
    except urllib.error.HTTPError as e:
        return answer(e.code, e.headers.get("Content-Type"), e.read())


def media(resp):
    content = resolve(resp).get("content", {})
    for ct in ("application/json", "application/problem+json", "text/plain"):
        if ct in content:
            return ct, content[ct]
    return None, None


MRN = resolve(doc["components"]["examples"]["declaration"])["value"]["DeclarationID"]
params = {"mrn": MRN, "office": "BF000101"}
nchecked = 0

for path, item in doc["paths"].items():
    url = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
    for method in ("get", "post"):
        op = item.get(method)
        if not op:
            continue
        where = "%s %s" % (method.upper(), path)
        # every response example validates against its own schema
        for code, resp in op["responses"].items():
            ct, m = media(resp)
            if m is None:
                continue
            for name, ex in (m.get("examples") or {}).items():
                validate(resolve(ex)["value"], m["schema"], "%s %s example %s" % (where, code, name))
            if "example" in m:
                validate(m["example"], m["schema"], "%s %s example" % (where, code))
        # the route exists
        status, ct, body = call(method.upper(), url, {} if method == "post" else None, token=None)
        want = 200 if op.get("security") == [] else 401
        if status != want:
            errors.append("%s without a token: %d, expected %d" % (where, status, want))
        # request examples in order
        rb = op.get("requestBody")
        examples = (resolve(rb)["content"].get("application/json", {}).get("examples") or {}) if rb else {}
        for name, ex in examples.items():
            value = resolve(ex)["value"]
            expect = None
            for code, resp in op["responses"].items():
                ct, m = media(resp)
                if m and name in (m.get("examples") or {}):
                    expect = (int(code), ct, m, resolve(m["examples"][name])["value"])
            if not expect:
                errors.append("%s example %s: no response example of that name" % (where, name)); continue
            code, ct, m, want_body = expect
            if code < 300:
                validate(value, resolve(rb)["content"]["application/json"]["schema"], "%s request %s" % (where, name))
            status, got_ct, body = call("POST", url, value)
            nchecked += 1
            if status != code:
                errors.append("%s example %s: %d %r, expected %d" % (where, name, status, body, code)); continue
            if not (got_ct or "").startswith(ct):
                errors.append("%s example %s: Content-Type %s, expected %s" % (where, name, got_ct, ct))
            validate(body, m["schema"], "%s answer %s" % (where, name))
            for k, v in want_body.items():
                if k != "MessageID" and body.get(k) != v:
                    errors.append("%s example %s: %s is %r, documented %r" % (where, name, k, body.get(k), v))
        if method == "get":
            status, ct, body = call("GET", url)
            nchecked += 1
            m = media(op["responses"]["200"])[1]
            if status != 200:
                errors.append("%s: %d %r" % (where, status, body))
            else:
                validate(body, m["schema"], "%s answer" % where)

for e in errors:
    print("openapi_check: " + e)
print("openapi_check: %d requests, %d problems" % (nchecked, len(errors)))
sys.exit(1 if errors else 0)
