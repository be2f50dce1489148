#!/usr/bin/env python3
"""Runs every request of the Postman collection against a running server and checks the status each request's
test script expects (`pm.response.to.have.status(N)`). Requests without a test script (endpoints not built yet, or whose status depends on state) are
reported as skipped, never as passed.

Usage: postman_check.py COLLECTION BASE_URL API_KEY
Prints one line per request and closes with 'N passed, N failed, N skipped'; exits 1 on any failure.
"""
import json
import re
import sys
import urllib.error
import urllib.request


def requests(items, folder=""):
    for item in items:
        if "item" in item:
            yield from requests(item["item"], folder + item["name"] + " / ")
        else:
            yield folder + item["name"], item


def expected_status(item):
    for event in item.get("event", []):
        if event.get("listen") == "test":
            match = re.search(r"to\.have\.status\((\d+)\)", "\n".join(event["script"]["exec"]))
            if match:
                return int(match.group(1))
    return None


def main():
    path, base_url, api_key = sys.argv[1:4]
    collection = json.load(open(path))
    variables = {v["key"]: v["value"] for v in collection.get("variable", [])}
    variables.update(base_url=base_url, api_key=api_key)

    def fill(text):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(variables[m.group(1)]), text)

    passed = failed = skipped = 0
    for name, item in requests(collection["item"]):
        expect = expected_status(item)
        if expect is None:
            skipped += 1
            print(f"SKIP {name}: no status test in the collection")
            continue
        request = item["request"]
        headers = {h["key"]: fill(h["value"]) for h in request.get("header", [])}
        auth = request.get("auth", collection.get("auth", {}))
        if auth.get("type") == "apikey":
            fields = {f["key"]: f["value"] for f in auth["apikey"]}
            headers[fields["key"]] = fill(fields["value"])
        body = request.get("body", {}).get("raw")
        http = urllib.request.Request(
            fill(request["url"]["raw"]), method=request["method"], headers=headers,
            data=fill(body).encode() if body else None)
        try:
            with urllib.request.urlopen(http, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status == expect:
            passed += 1
            print(f"PASS {name}: {status}")
        else:
            failed += 1
            print(f"FAIL {name}: expected {expect}, got {status}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
