#!/usr/bin/env python3
"""Runs every request of the Postman collection, in order, against a running server, as Postman's runner would.

Every request must carry a test script that asserts its status (`pm.response.to.have.status(N)`, or
`pm.expect(pm.response.code).to.be.oneOf([N, …])` where the answer depends on the firm's set-up) and at least one
saved example response whose status is one the test accepts; a request without either fails. The check sends each
request and runs its test script with node against the answer, through a small stand-in for Postman's `pm` (pm.test,
pm.expect with the chai assertions the collection uses, pm.response, pm.collectionVariables), so every `pm.test` must
pass and the ids a script stores are used by later requests, as in Postman's runner. Without node it checks the
status only and applies the scripts' `pm.collectionVariables.set("name", data.path)` lines itself (and says so).
`{{send_later}}`, which the collection's pre-request script sets to this time tomorrow, is set the same way here.

Usage: postman_check.py COLLECTION BASE_URL API_KEY            check
       postman_check.py --record COLLECTION BASE_URL API_KEY   run the requests and save each real answer as the
                                                               request's example response (rewrites COLLECTION)
Prints one line per request and closes with 'N passed, N failed'; exits 1 on any failure.
"""
import datetime
import http
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

SETTER = re.compile(r'pm\.collectionVariables\.set\("(\w+)",\s*data((?:\.\w+|\[\d+\])*)\)')
KEPT_HEADERS = ("Content-Type", "X-Request-Id", "RateLimit-Policy", "RateLimit", "Retry-After", "Allow")
# Postman's `pm`, as much of it as the collection's test scripts use. Reads {script, code, text, variables} on stdin
# and prints {tests: [[name, passed, error]], variables}.
PM_HARNESS = r"""
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const variables = input.variables, tests = [];
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function expect(actual, negate = false) {
  const check = (ok, what) => { if (ok === negate) throw new Error(`expected ${JSON.stringify(actual)} ${negate ? "not " : ""}${what}`); };
  const chain = {
    eql: (x) => check(same(actual, x), `to deeply equal ${JSON.stringify(x)}`),
    equal: (x) => check(actual === x, `to equal ${JSON.stringify(x)}`),
    a: (type) => check(type === "array" ? Array.isArray(actual) : (typeof actual === type && !Array.isArray(actual)), `to be a ${type}`),
    match: (re) => check(typeof actual === "string" && re.test(actual), `to match ${re}`),
    above: (n) => check(actual > n, `to be above ${n}`),
    below: (n) => check(actual < n, `to be below ${n}`),
    include: (x) => check(actual != null && actual.includes(x), `to include ${JSON.stringify(x)}`),
    oneOf: (list) => check(list.some((x) => same(x, actual)), `to be one of ${JSON.stringify(list)}`),
  };
  chain.an = chain.a;
  chain.to = chain.be = chain.been = chain.have = chain;
  Object.defineProperty(chain, "not", { get: () => expect(actual, !negate) });
  return chain;
}
const response = {
  code: input.code,
  text: () => input.text,
  json: () => JSON.parse(input.text),
  to: { have: { status: (n) => { if (input.code !== n) throw new Error(`expected status ${n}, got ${input.code}`); } } },
};
const pm = {
  test: (name, fn) => { try { fn(); tests.push([name, true, null]); } catch (e) { tests.push([name, false, String(e.message || e)]); } },
  expect, response,
  collectionVariables: { set: (k, v) => { variables[k] = v; }, get: (k) => variables[k] },
};
try { new Function("pm", input.script)(pm); } catch (e) { tests.push(["the script runs", false, String(e.message || e)]); }
process.stdout.write(JSON.stringify({ tests, variables }));
"""


def requests(items, folder=""):
    for item in items:
        if "item" in item:
            yield from requests(item["item"], folder + item["name"] + " / ")
        else:
            yield folder + item["name"], item


def test_script(item):
    return "\n".join(line for event in item.get("event", []) if event.get("listen") == "test"
                     for line in event["script"]["exec"])


def expected_statuses(script):
    """The statuses the test script accepts, or None when it asserts none."""
    match = re.search(r"to\.have\.status\((\d+)\)", script)
    if match:
        return {int(match.group(1))}
    match = re.search(r"pm\.expect\(pm\.response\.code\)\.to\.be\.oneOf\(\[([\d,\s]+)\]\)", script)
    return {int(n) for n in match.group(1).split(",")} if match else None


def lookup(data, path):
    """`data` followed along `.key` and `[n]` steps, or None when a step is missing."""
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        try:
            data = data[int(index)] if index else data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def example_body(text, content_type):
    """An answer as a saved example: JSON pretty-printed; a long document cut to its first 30 lines."""
    if "json" in content_type:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    lines = text.splitlines()
    return text if len(lines) <= 30 else "\n".join(lines[:30] + ["# … (cut here; the whole document is served)"])


def run_script(node, script, status, text, variables):
    """([(test name, passed, error)], variables after the script) of a test script run by node."""
    result = subprocess.run([node, "-e", PM_HARNESS], input=json.dumps(
        {"script": script, "code": status, "text": text, "variables": variables}), capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return [("the script runs", False, result.stderr.strip()[-300:])], variables
    output = json.loads(result.stdout)
    return output["tests"], output["variables"]


def main():
    record = sys.argv[1] == "--record"
    path, base_url, api_key = sys.argv[2:5] if record else sys.argv[1:4]
    collection = json.load(open(path))
    variables = {v["key"]: v["value"] for v in collection.get("variable", [])}
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    variables.update(base_url=base_url, api_key=api_key, send_later=tomorrow.strftime("%Y-%m-%dT%H:%M:%S.000Z"))

    def fill(text):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(variables[m.group(1)]), text)

    node = shutil.which("node")
    if not node and os.environ.get("CI"):
        print("FAIL node is not installed (CI installs nodejs in .ci/run): the collection's test scripts cannot run")
        sys.exit(1)
    if not node:
        print("NOTE node is not installed: each request's status is checked, the rest of its test script is not run")
    passed = failed = 0
    for name, item in requests(collection["item"]):
        script = test_script(item)
        expect = expected_statuses(script)
        examples = item.get("response", [])
        problems = []
        if expect is None:
            problems.append("no test asserting its status")
        if not record and not examples:
            problems.append("no saved example response")
        elif not record and expect and not any(e.get("code") in expect for e in examples):
            problems.append(f"no example with a status its test accepts ({sorted(expect)})")
        request = item["request"]
        headers = {h["key"]: fill(h["value"]) for h in request.get("header", [])}
        auth = request.get("auth", collection.get("auth", {}))
        if auth.get("type") == "apikey":
            fields = {f["key"]: f["value"] for f in auth["apikey"]}
            headers[fields["key"]] = fill(fields["value"])
        elif auth.get("type") == "noauth":
            pass
        body = request.get("body", {}).get("raw")
        call = urllib.request.Request(fill(request["url"]["raw"]), method=request["method"], headers=headers,
                                      data=fill(body).encode() if body else None)
        try:
            with urllib.request.urlopen(call, timeout=10) as response:
                status, answer_headers, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            status, answer_headers, text = error.code, error.headers, error.read().decode()
        if expect is not None and status not in expect:
            problems.append(f"expected {' or '.join(map(str, sorted(expect)))}, got {status}: {text[:200]}")
        if node and script:
            tests, variables = run_script(node, script, status, text, variables)
            problems += [f"pm.test \"{test}\" failed: {error}" for test, ok, error in tests if not ok]
            if not tests:
                problems.append("its test script ran no pm.test")
        else:
            try:
                data = json.loads(text).get("data")
            except (ValueError, AttributeError):
                data = None
            for variable, steps in SETTER.findall(script):
                value = lookup(data, steps)
                if value is not None:
                    variables[variable] = value
        if record:
            item["response"] = [{
                "name": f"{status} {name.split(' / ')[-1]}",
                "originalRequest": {k: v for k, v in request.items() if k != "description"},
                "status": http.HTTPStatus(status).phrase,
                "code": status,
                "_postman_previewlanguage": "json" if "json" in answer_headers.get("Content-Type", "") else "text",
                "header": [{"key": k, "value": answer_headers[k]} for k in KEPT_HEADERS if answer_headers.get(k)],
                "body": example_body(text, answer_headers.get("Content-Type", "")),
            }]
        if problems:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"PASS {name}: {status}" + (f", {len(tests)} pm.test passed" if node and script else ""))
    if record:
        with open(path, "w") as out:
            json.dump(collection, out, indent=2, ensure_ascii=False)
            out.write("\n")
        print(f"recorded the answers as examples in {path}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
