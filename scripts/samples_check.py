#!/usr/bin/env python3
"""The integration samples (samples/python, samples/php/curl, samples/php/laravel) run against the real server, and
their webhook receivers against its real deliveries.

Starts `wlcomm serve --seed-sandbox` (webhooks to loopback allowed, as for scripts/webhook_check.py) and the three
sample receivers (python3 samples/python/webhook_receiver.py, and PHP's built-in server for the plain PHP receiver
and the Laravel controller behind its test shim), each with the firm's secret and its own events file. The firm's
webhook points at a recording proxy here that passes every delivery, byte for byte, to all three receivers and
answers 200 only when all three accepted it. Then, for each sample:

- its send script with only WL_BASE_URL set (so the key is the default, the sandbox key) to the three sandbox
  numbers: exit 0, the statuses it prints are the server's (delivered, failed, failed);
- its send script with an invalid number: exit 1 and the API's 422 `validation_failed` reported;
- its purchase script for the default payer and for 254700000004: Received with 277.7778 credits (the server agrees)
  and Failed with `wrong_pin`;

and for the receivers (after an email to a good and a failing address and a purchase that ends Held, through the
API): every delivery (26 events and a `communication.test`) is accepted by all three, logged once each in every
receiver's events file with the payload as sent, and succeeded in the server's delivery log; every
delivered body matches its event's schema in the OpenAPI document's `webhooks`; replayed by hand, a genuine delivery
is accepted, also with two `v1,` signatures (rotation), but a changed byte, an X-WL-Signature or webhook-signature
made with another secret, a correctly signed timestamp 6 minutes old and a missing X-WL-Signature are each answered
401 and logged nowhere. Finally the secret is rotated, the receivers restarted with the new one, and a new event is
accepted by all three while the old secret is still in webhook-signature.

PHP (php-cli with the curl extension) must be installed: under CI (CI set) its absence is a failure; elsewhere the
PHP samples are reported skipped. The Python samples are checked to import the standard library only.

Usage: samples_check.py WLCOMM DATABASE_URL   (run with a Python that has PyYAML and jsonschema, e.g. .venv/bin/python)
"""
import ast
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import jsonschema
import yaml

from wltest import Checks, all_pages, call, cli, free_port, run_steps, start_server, stop_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
OPENAPI = os.path.join(ROOT, "Sources", "WLHTTP", "Resources", "communication.yaml")
SECRET, NEW_SECRET, WRONG_SECRET = "samples-secret-7", "samples-secret-8", "not-the-secret"
SANDBOX = {"254712345678": "delivered", "254700000099": "failed", "254700000088": "failed"}
MESSAGE_LINE = re.compile(r"^message (\d+) to (\d+): (\w+) \(status_code (\d)", re.MULTILINE)


class Proxy(http.server.BaseHTTPRequestHandler):
    """Passes each webhook POST to every receiver and records the raw delivery and each receiver's status."""
    receivers = {}  # name -> base URL
    deliveries, lock = [], threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        answers = {name: post(url, body, headers)[0] for name, url in self.receivers.items()}
        with self.lock:
            self.deliveries.append({"headers": {k.lower(): v for k, v in headers.items()}, "body": body, "answers": answers})
        self.send_response(200 if all(200 <= s < 300 for s in answers.values()) else 502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def post(url, body, headers):
    """(status, text) of a POST, 0 when nothing answered."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError as error:
        return 0, repr(error)


def php_problem():
    """None when php-cli with the curl extension is here, else what is missing."""
    php = shutil.which("php")
    if not php:
        return "php is not installed (Debian: apt-get install php-cli php-curl)"
    if subprocess.run([php, "-r", "exit(function_exists('curl_init') ? 0 : 1);"]).returncode != 0:
        return "php has no curl extension (Debian: apt-get install php-curl)"
    return None


class Receiver:
    """One sample receiver as a subprocess on a fixed port, with its own events file."""

    def __init__(self, name, command, workdir, port, events):
        self.name, self.command, self.workdir, self.port, self.events = name, command, workdir, port, events
        self.url, self.process = f"http://127.0.0.1:{port}/hooks", None

    def start(self, secret, log):
        env = dict(os.environ, WL_WEBHOOK_SECRET=secret, WL_EVENTS_FILE=self.events)
        self.process = subprocess.Popen(self.command, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):  # ready when it answers anything (a GET is refused)
            try:
                urllib.request.urlopen(self.url, timeout=1)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} receiver exited at start")
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} receiver did not start")

    def stop(self):
        if self.process:
            stop_server(self.process, grace=5)

    def logged(self):
        if not os.path.exists(self.events):
            return []
        with open(self.events) as events:
            return [json.loads(line) for line in events if line.strip()]


def run(command, cwd, env, timeout=180):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def standard_signature(secret, event_id, timestamp, body):
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def contract_signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_validators():
    """Event name -> a jsonschema validator of its payload, from the OpenAPI document's `webhooks`."""
    document = yaml.safe_load(open(OPENAPI))
    validators = {}
    for name, item in (document.get("webhooks") or {}).items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        validators[name] = jsonschema.Draft202012Validator(
            {"$ref": schema["$ref"], "components": document["components"]} if "$ref" in schema else schema)
    return validators


def main():
    wlcomm, url = sys.argv[1:3]
    checks = Checks("samples")

    def check(what, ok, detail=""):
        checks.check(what, ok, "" if ok else detail)
    work = tempfile.mkdtemp(prefix="wlcomm-samples.")
    log = open(os.path.join(work, "processes.log"), "a")
    os.environ["WLCOMM_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the receivers are on loopback
    problem = php_problem()
    if problem and os.environ.get("CI"):
        check("php-cli and php-curl are installed (CI installs them in .ci/run)", False, problem)
    elif problem:
        print(f"SKIP PHP samples: {problem}")

    python = shutil.which("python3") or sys.executable
    receivers = [Receiver("python", [python, "-B", "-E", "-s", "webhook_receiver.py", str(p := free_port())],
                          os.path.join(SAMPLES, "python"), p, os.path.join(work, "python.jsonl"))]
    samples = [("python", os.path.join(SAMPLES, "python"), [python, "-B", "-E", "-s", "send_sms.py"],
                [python, "-B", "-E", "-s", "buy_credits.py"])]
    if not problem:
        receivers += [
            Receiver("php", ["php", "-S", f"127.0.0.1:{(p := free_port())}", "webhook_receiver.php"],
                     os.path.join(SAMPLES, "php", "curl"), p, os.path.join(work, "php.jsonl")),
            Receiver("laravel", ["php", "-S", f"127.0.0.1:{(p := free_port())}", "shim/serve.php"],
                     os.path.join(SAMPLES, "php", "laravel"), p, os.path.join(work, "laravel.jsonl")),
        ]
        samples += [
            ("php", os.path.join(SAMPLES, "php", "curl"), ["php", "send_sms.php"], ["php", "buy_credits.php"]),
            ("laravel", os.path.join(SAMPLES, "php", "laravel"), ["php", "demo.php", "sms"], ["php", "demo.php", "credits"]),
        ]

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    Proxy.receivers = {r.name: r.url for r in receivers}
    port = free_port()
    server = start_server(wlcomm, url, port, log_path=os.path.join(work, "server.log"))
    sample_env = {k: v for k, v in os.environ.items() if not k.startswith("WL_")}
    sample_env["WL_BASE_URL"] = f"http://127.0.0.1:{port}/api/v1/communication"  # WL_API_KEY unset: the default
    expected_events = []  # (kind, id) whose webhooks must arrive

    def python_is_standard_library_only():
        for name in sorted(os.listdir(os.path.join(SAMPLES, "python"))):
            if name.endswith(".py"):
                tree = ast.parse(open(os.path.join(SAMPLES, "python", name)).read())
                modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                           for alias in node.names}
                modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                            if isinstance(node, ast.ImportFrom) and node.module}
                foreign = sorted(m for m in modules if m not in sys.stdlib_module_names and m != "worldledgers")
                check(f"samples/python/{name} imports the standard library only", not foreign, ", ".join(foreign))

    def php_files_lint():
        for folder, _, files in os.walk(os.path.join(SAMPLES, "php")):
            for name in sorted(f for f in files if f.endswith(".php")):
                code, out = run(["php", "-l", os.path.join(folder, name)], ROOT, sample_env, 30)
                check(f"php -l {os.path.relpath(os.path.join(folder, name), ROOT)}", code == 0, out.strip()[-200:])

    def start_receivers():
        cli(wlcomm, url, "webhook", "set", "--firm", "sandbox", "--url", f"http://127.0.0.1:{proxy.server_address[1]}/hooks",
            "--secret", SECRET)
        for receiver in receivers:
            receiver.start(SECRET, log)
        check(f"receivers started: {', '.join(r.name for r in receivers)}", True)

    def sample_runs(name, folder, send, buy):
        def step():
            code, out = run(send, folder, sample_env)
            found = {recipient: (int(mid), status, int(sc)) for mid, recipient, status, sc in MESSAGE_LINE.findall(out)}
            check(f"{name}: send sample exits 0 with the sandbox's outcomes for the three numbers",
                  code == 0 and {r: v[1] for r, v in found.items()} == SANDBOX, f"exit {code}: {out.strip()[-600:]}")
            for recipient, (message_id, status, status_code) in found.items():
                got, body = call(port, "GET", f"/sms/{message_id}")
                server_status = body["data"]["status"] if got == 200 else got
                check(f"{name}: message {message_id} is {status} (status_code {status_code}) on the server too",
                      server_status == status and body["data"]["status_code"] == status_code, str(server_status))
                expected_events.append(("message", message_id))
            code, out = run(send + ["12345"], folder, sample_env)
            check(f"{name}: send sample reports the API's 422 validation_failed for an invalid number and exits 1",
                  code == 1 and "422" in out and "validation_failed" in out, f"exit {code}: {out.strip()[-300:]}")
            code, out = run(buy, folder, sample_env)
            match = re.search(r"payment (\d+): Received, ([\d.]+) credits applied", out)
            check(f"{name}: purchase sample exits 0 with Received and 277.7778 credits for KES 500",
                  code == 0 and match is not None and Decimal(match.group(2)) == Decimal("277.7778"),
                  f"exit {code}: {out.strip()[-400:]}")
            if match:
                got, body = call(port, "GET", f"/sms-credits/purchase/{match.group(1)}", parse_float=Decimal)
                check(f"{name}: payment {match.group(1)} is Received with 277.7778 credits on the server too",
                      got == 200 and body["data"]["payment_status"] == "Received"
                      and body["data"]["sms_credits_applied"] == Decimal("277.7778"), str(body)[:300])
                expected_events.append(("payment", int(match.group(1))))
            code, out = run(buy + ["254700000004"], folder, sample_env)
            match = re.search(r"payment (\d+): Failed, wrong_pin", out)
            check(f"{name}: purchase sample reports a wrong PIN as Failed, wrong_pin", code == 0 and match is not None,
                  f"exit {code}: {out.strip()[-400:]}")
            if match:
                expected_events.append(("payment", int(match.group(1))))
        return step

    def other_events():
        # Email (processing, delivered, failed) and a held payment, through the API, so that the receivers and the
        # OpenAPI schemas meet those payloads too.
        status, body = call(port, "POST", "/email", {"subject": "Statement", "message": "<p>Hello {first_name}</p>",
                                                      "recipients": ["jane@example.com", "fail@example.com"]})
        check("POST /email for jane@example.com and fail@example.com: 202", status == 202, str(body)[:300])
        status, body = call(port, "POST", "/sms-credits/purchase", {"phone": "254700000007", "amount": 500})
        check("a purchase by 254700000007 (pays half): 202", status == 202, str(body)[:300])
        deadline = time.time() + 30
        while time.time() < deadline and status == 202:
            got, payment = call(port, "GET", f"/sms-credits/purchase/{body['data']['payment_id']}")
            if payment["data"]["payment_status"] != "Pending":
                break
            time.sleep(0.2)
        check("the half payment ends Held", payment["data"]["payment_status"] == "Held", str(payment)[:300])

    def wait_for_deliveries(count):
        deadline, deliveries = time.time() + 60, []
        while time.time() < deadline:
            deliveries = all_pages(port, "/webhooks/deliveries", "deliveries")
            if len(deliveries) >= count and all(d["status"] != "pending" for d in deliveries):
                break
            time.sleep(0.25)
        return deliveries

    def deliveries_accepted():
        # 5 message events per sample (processing and delivered, processing and failed, failed) and 2 payments; 4
        # email events and the held payment.
        wanted = 7 * len(samples) + 5
        deliveries = wait_for_deliveries(wanted)
        check(f"{wanted} deliveries in the server's log, none pending", len(deliveries) == wanted
              and all(d["status"] != "pending" for d in deliveries), f"{len(deliveries)}")
        failed = [d for d in deliveries if d["status"] != "succeeded" or d["attempts"][-1]["status_code"] != 200]
        check("every delivery succeeded at the first answer of 200 (all receivers accepted it)", not failed,
              json.dumps(failed[:2])[:600])
        covered = {("message", d["message_id"]) if d["message_id"] else ("payment", d["payment_id"]) for d in deliveries}
        check("every message and payment the samples made has its webhooks", set(expected_events) <= covered,
              str(sorted(set(expected_events) - covered)))
        status, body = call(port, "POST", "/webhooks/test")
        check("POST /webhooks/test: the signed communication.test event is accepted by every receiver",
              status == 200 and body["data"]["succeeded"] and body["data"]["status_code"] == 200, str(body)[:300])

    def receivers_logged_every_event():
        delivered = {d["headers"]["webhook-id"]: json.loads(d["body"]) for d in Proxy.deliveries}
        refused = [(d["headers"]["webhook-id"], d["answers"]) for d in Proxy.deliveries
                   if not all(s == 200 for s in d["answers"].values())]
        check(f"each of the {len(delivered)} deliveries was answered 200 by every receiver", not refused, str(refused[:3]))
        for receiver in receivers:
            logged = receiver.logged()
            ids = [e["webhook_id"] for e in logged]
            check(f"{receiver.name} receiver logged each event once", sorted(set(ids)) == sorted(delivered)
                  and len(ids) == len(set(ids)), f"{len(ids)} logged, {len(set(ids))} distinct, {len(delivered)} delivered")
            same = all({k: v for k, v in e.items() if k != "webhook_id"} == delivered.get(e["webhook_id"]) for e in logged)
            check(f"{receiver.name} receiver saw each payload exactly as sent", same)

    def payloads_match_openapi():
        validators = webhook_validators()
        events = sorted({json.loads(d["body"])["event"] for d in Proxy.deliveries})
        check("the OpenAPI document has a webhooks entry for every event delivered", set(events) <= set(validators),
              str(sorted(set(events) - set(validators))))
        mismatches = []
        for delivery in Proxy.deliveries:
            payload = json.loads(delivery["body"])
            validator = validators.get(payload["event"])
            errors = [e.message for e in validator.iter_errors(payload)] if validator else ["no schema"]
            if errors:
                mismatches.append(f"{payload['event']} {delivery['headers']['webhook-id']}: {'; '.join(errors)}")
        check(f"all {len(Proxy.deliveries)} delivered payloads ({', '.join(events)}) match their OpenAPI webhooks schemas",
              bool(Proxy.deliveries) and not mismatches, " | ".join(mismatches)[:800])

    def tampered_deliveries_refused():
        sample = next(d for d in Proxy.deliveries if d["headers"]["x-wl-event"] == "communication.sms.delivered")
        headers, body = dict(sample["headers"]), sample["body"]
        event_id, stale = headers["webhook-id"], str(int(time.time()) - 360)
        cases = [
            ("a changed byte in the body", body.replace(b'"delivered"', b'"delivereD"', 1), headers),
            ("an X-WL-Signature made with another secret", body,
             dict(headers, **{"x-wl-signature": contract_signature(WRONG_SECRET, body)})),
            ("a webhook-signature made with another secret", body,
             dict(headers, **{"webhook-signature": standard_signature(WRONG_SECRET, event_id, headers["webhook-timestamp"], body)})),
            ("a timestamp 6 minutes old, correctly signed", body,
             dict(headers, **{"webhook-timestamp": stale, "webhook-signature": standard_signature(SECRET, event_id, stale, body)})),
            ("no X-WL-Signature", body, {k: v for k, v in headers.items() if k != "x-wl-signature"}),
            ("a non-ASCII X-WL-Signature", body, dict(headers, **{"x-wl-signature": "sha256=\u00e9"})),
        ]
        for receiver in receivers:
            before = len(receiver.logged())
            for what, data, hdrs in cases:
                status, text = post(receiver.url, data, hdrs)
                check(f"{receiver.name} receiver refuses {what} with 401", status == 401, f"{status} {text[:200]}")
            check(f"{receiver.name} receiver logged none of the refused requests", len(receiver.logged()) == before)
            rotated = dict(headers, **{"webhook-signature": standard_signature(WRONG_SECRET, event_id, headers["webhook-timestamp"], body)
                                       + " " + headers["webhook-signature"]})
            for what, hdrs in [("the genuine delivery replayed", headers), ("two v1 signatures, the second valid", rotated)]:
                status, text = post(receiver.url, body, hdrs)
                check(f"{receiver.name} receiver accepts {what}", status == 200, f"{status} {text[:200]}")

    def rotation_accepted():
        cli(wlcomm, url, "webhook", "set", "--firm", "sandbox", "--url", f"http://127.0.0.1:{proxy.server_address[1]}/hooks",
            "--secret", NEW_SECRET)
        for receiver in receivers:
            receiver.stop()
            receiver.start(NEW_SECRET, log)
        before = len(Proxy.deliveries)
        status, body = call(port, "POST", "/sms", {"message": "After rotation", "recipients": ["254712345678"]})
        deadline = time.time() + 30
        while time.time() < deadline and len(Proxy.deliveries) < before + 2:
            time.sleep(0.1)
        fresh = Proxy.deliveries[before:]
        check("after rotating the secret, webhook-signature carries two signatures",
              bool(fresh) and all(len(d["headers"].get("webhook-signature", "").split()) == 2 for d in fresh), str(len(fresh)))
        check("receivers restarted with the new secret accept the deliveries made during rotation",
              len(fresh) == 2 and all(s == 200 for d in fresh for s in d["answers"].values()),
              str([d["answers"] for d in fresh]))

    steps = [("0. the Python samples use the standard library only", python_is_standard_library_only)]
    if not problem:
        steps.append(("0. every PHP sample file parses", php_files_lint))
    steps.append(("1. the receivers start", start_receivers))
    steps += [(f"2. the {name} samples", sample_runs(name, folder, send, buy)) for name, folder, send, buy in samples]
    steps += [("3. email and a held payment", other_events), ("4. every delivery accepted", deliveries_accepted),
              ("5. receivers logged every event", receivers_logged_every_event),
              ("6. payloads match the OpenAPI webhooks", payloads_match_openapi),
              ("7. tampered deliveries refused", tampered_deliveries_refused), ("8. secret rotation", rotation_accepted)]
    try:
        run_steps(check, steps)
    finally:
        stop_server(server)
        for receiver in receivers:
            receiver.stop()
        proxy.shutdown()
        log.close()
        if checks.failed:
            for name in ("server.log", "processes.log"):
                with open(os.path.join(work, name), errors="replace") as out:
                    print(f"--- {name} (last 40 lines)")
                    print("".join(out.readlines()[-40:]))
        shutil.rmtree(work, ignore_errors=True)
    checks.close()


if __name__ == "__main__":
    main()
