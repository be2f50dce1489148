#!/usr/bin/env python3
"""Checks the OpenAPI documents: the 3.1 source (Sources/WLHTTP/Resources/communication.yaml, served by the API) and
its 3.0 rendering (openapi/communication-3.0.yaml).

- the checked-in 3.0 rendering is exactly what scripts/openapi_30.py makes from the 3.1 document now;
- both are valid OpenAPI (openapi-spec-validator, 3.1 and 3.0 schemas);
- no `multipleOf` (floating-point validators refuse valid amounts; precision is stated in words);
- every operation describes 500; every request body and every 2xx JSON response has an example, and every example
  on a request, response or parameter is valid against its schema (JSON Schema 2020-12, as OpenAPI 3.1 says);
- `webhooks` lists every event the server emits, each with a payload schema, an example and the signature headers;
- a generated client (openapi-python-client, from either document) has a model for every object schema, the email
  and webhook ones included, and reports no schema it could not process.

Usage: openapi_check.py   (run with a Python that has PyYAML, jsonschema and openapi-spec-validator, e.g. .venv/bin/python)
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml
from openapi_spec_validator import validate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_30  # noqa: E402
from wltest import Checks  # noqa: E402

EVENTS = {f"communication.sms.{s}" for s in ("processing", "delivered", "failed")} \
    | {f"communication.email.{s}" for s in ("processing", "delivered", "failed", "opened", "clicked")} \
    | {f"communication.payment.{s}" for s in ("received", "failed", "held")} | {"communication.credits.low", "communication.test"}
SIGNATURE_HEADERS = {"X-WL-Event", "X-WL-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def resolve(document, node):
    """`node`, or what its local `$ref` points at."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def find_key(node, key, path=""):
    """Paths of every `key` in a tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield f"{path}.{k}"
            yield from find_key(v, key, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from find_key(v, key, f"{path}[{i}]")


def operations(document):
    for section in ("paths", "webhooks"):
        for name, item in (document.get(section) or {}).items():
            for method in METHODS:
                if method in item:
                    yield section, name, method, item[method]


def main():
    checks = Checks("openapi")

    def check(what, ok, detail=""):
        checks.check(what, ok, "" if ok else detail)
    with open(openapi_30.SOURCE) as source:
        document = yaml.safe_load(source)

    fresh = openapi_30.text(document)
    with open(openapi_30.TARGET) as rendered:
        current = rendered.read()
    diff = list(difflib.unified_diff(current.splitlines(), fresh.splitlines(), "checked in", "fresh", lineterm="", n=1))
    check("openapi/communication-3.0.yaml is what scripts/openapi_30.py makes now", not diff,
          "run .venv/bin/python scripts/openapi_30.py and commit the result\n" + "\n".join(diff[:40]))

    for name, spec in (("3.1 document", document), ("3.0 rendering", yaml.safe_load(fresh))):
        try:
            validate(spec)
            check(f"the {name} is valid OpenAPI {spec['openapi']} (openapi-spec-validator)", True)
        except Exception as error:  # the validator's own error types differ between versions
            check(f"the {name} is valid OpenAPI (openapi-spec-validator)", False, str(error)[:600])

    found = list(find_key(document, "multipleOf"))
    check("no multipleOf in the 3.1 document", not found, ", ".join(found))

    missing_500, missing_examples, invalid = [], [], []

    def validate_example(where, schema, value):
        schema = schema or {}
        validator = jsonschema.Draft202012Validator(dict(schema, components=document["components"]),
                                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)]
        if errors:
            invalid.append(f"{where}: {'; '.join(errors)[:300]}")

    def media_examples(where, content, required):
        for media_type, media in (content or {}).items():
            values = [media["example"]] if "example" in media else []
            values += [resolve(document, e).get("value") for e in (media.get("examples") or {}).values()]
            if required(media_type) and not values:
                missing_examples.append(f"{where} {media_type}")
            if "json" in media_type:
                for value in values:
                    validate_example(f"{where} {media_type}", media.get("schema"), value)

    for section, name, method, operation in operations(document):
        where = f"{method.upper()} {name}" if section == "paths" else f"webhook {name}"
        responses = operation.get("responses", {})
        if section == "paths" and "500" not in responses:
            missing_500.append(where)
        for parameter in operation.get("parameters", []):
            parameter = resolve(document, parameter)
            if "example" in parameter:
                validate_example(f"{where} parameter {parameter['name']}", parameter.get("schema"), parameter["example"])
        if "requestBody" in operation:
            media_examples(f"{where} request", resolve(document, operation["requestBody"]).get("content"), lambda _: True)
        for status, response in responses.items():
            response = resolve(document, response)
            success = str(status).startswith("2")
            media_examples(f"{where} {status}", response.get("content"), lambda t: success and "json" in t)
    check("every operation describes 500", not missing_500, ", ".join(missing_500))
    check("every request body and every 2xx JSON response has an example", not missing_examples, "; ".join(missing_examples))
    check("every example is valid against its schema", not invalid, "\n  ".join(invalid[:20]))

    webhooks = document.get("webhooks") or {}
    check("webhooks lists every event the server emits, and no other", set(webhooks) == EVENTS,
          f"missing {sorted(EVENTS - set(webhooks))}, unknown {sorted(set(webhooks) - EVENTS)}")
    for name, item in webhooks.items():
        headers = {resolve(document, p)["name"] for p in item["post"].get("parameters", [])}
        check(f"webhook {name} documents the signature headers", SIGNATURE_HEADERS <= headers, str(sorted(SIGNATURE_HEADERS - headers)))
    generator = os.path.join(os.path.dirname(sys.executable), "openapi-python-client")
    if not os.path.exists(generator):
        check("openapi-python-client is installed beside this Python (contract_checks.sh installs it into .venv)", False)
    else:
        objects = sorted(name for name, schema in document["components"]["schemas"].items() if schema.get("type") == "object")
        for name, path in (("3.1 document", openapi_30.SOURCE), ("3.0 rendering", openapi_30.TARGET)):
            out = tempfile.mkdtemp(prefix="wlcomm-client.")
            try:
                result = subprocess.run([generator, "generate", "--path", path, "--output-path", os.path.join(out, "client"),
                                         "--meta", "none"], capture_output=True, text=True, timeout=300)
                log = result.stdout + result.stderr
                models = os.path.join(out, "client", "models")
                files = set(os.listdir(models)) if os.path.isdir(models) else set()
                missing = [n for n in objects if re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", n).lower() + ".py" not in files]
                unprocessed = re.findall(r"Unable to process schema (\S+)", log)
                check(f"a client generated from the {name} has a model for each of the {len(objects)} object schemas",
                      result.returncode == 0 and not missing and not unprocessed,
                      f"exit {result.returncode}; missing {missing}; unprocessed {unprocessed}\n{log[-800:]}")
            finally:
                shutil.rmtree(out, ignore_errors=True)
    checks.close()


if __name__ == "__main__":
    main()
