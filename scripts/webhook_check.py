#!/usr/bin/env python3
"""Signed webhooks as a receiver sees them, verified by the contract's formula and by the stock `standardwebhooks`
verifier from PyPI.

Starts a local HTTP receiver and `wlcomm serve --seed-sandbox`, points the sandbox firm's webhook at the receiver,
sends the contract's three sandbox numbers, and checks every delivery: the contract's
`'sha256=' + HMAC_SHA256(raw_body, secret)` equals X-WL-Signature (timing-safe compare); `standardwebhooks` accepts
it with the secret `whsec_` + base64(secret) and rejects a changed byte, a wrong secret and a timestamp 6 minutes
old; each message's events arrive in sequence order with the documented names.

Usage: webhook_check.py WLCOMM DATABASE_URL   (run with a Python that has standardwebhooks)
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wltest import Checks, api, cli, free_port, start_server

SECRET = "receiver-secret-42"
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    wlcomm, url = sys.argv[1:3]
    os.environ["WLCOMM_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the receiver is on loopback
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    server = start_server(wlcomm, url, port)
    checks = Checks("webhooks")
    try:
        # The secret from a file (kept out of the command line, where shell history and ps would see it).
        with tempfile.NamedTemporaryFile("w", suffix=".secret") as secret_file:
            secret_file.write(SECRET + "\n")
            secret_file.flush()
            cli(wlcomm, url, "webhook", "set", "--firm", "sandbox", "--url",
                f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "--secret-file", secret_file.name)
        refused = subprocess.run([wlcomm, "webhook", "set", "--firm", "sandbox", "--url", "https://x.example/h", "--secret", "a",
                                  "--secret-stdin"], env=dict(os.environ, WLCOMM_DATABASE_URL=url), input="b\n",
                                 capture_output=True, text=True)
        checks.check("two ways of giving the secret at once are refused", refused.returncode != 0
                     and "one way" in refused.stderr, refused.stderr.strip()[-200:])
        sent = api(port, "POST", "/sms", {"message": "Hello {name}", "reference": "hook-1",
                                          "recipients": ["254712345678", "254700000099", "254700000088"]})
        ids = {m["recipient"]: m["message_id"] for m in sent["data"]["messages"]}
        deadline = time.time() + 20
        while time.time() < deadline and len(received) < 5:
            time.sleep(0.1)
        # Then until the server has nothing left to deliver, so that a sixth (duplicate) delivery would be seen.
        while time.time() < deadline and api(port, "GET", "/webhooks/deliveries?status=pending")["data"]["deliveries"]:
            time.sleep(0.1)
        checks.check("five events delivered (processing and final for two, one failure)", len(received) == 5, str(len(received)))
        verifier = Webhook("whsec_" + base64.b64encode(SECRET.encode()).decode())
        for headers, body in received:
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            checks.check(f"contract signature of {headers.get('webhook-id')}",
                         hmac.compare_digest(expected, headers.get("x-wl-signature", "")))
            try:
                verifier.verify(body, headers)
                checks.check(f"standardwebhooks accepts {headers.get('webhook-id')}", True)
            except WebhookVerificationError as error:
                checks.check(f"standardwebhooks accepts {headers.get('webhook-id')}", False, str(error))
        headers, body = received[0]
        for name, data, hdrs, whsecret in [
            ("a changed byte", body.replace(b"sms", b"smz", 1), headers, None),
            ("a wrong secret", body, headers, "whsec_" + base64.b64encode(b"not-the-secret").decode()),
            ("a timestamp 6 minutes old", body, dict(headers, **{"webhook-timestamp": str(int(time.time()) - 360)}), None),
        ]:
            try:
                (Webhook(whsecret) if whsecret else verifier).verify(data, hdrs)
                checks.check(f"standardwebhooks rejects {name}", False)
            except WebhookVerificationError:
                checks.check(f"standardwebhooks rejects {name}", True)
        events = {}
        for headers, body in received:
            payload = json.loads(body)
            checks.check("X-WL-Event names the payload's event", headers.get("x-wl-event") == payload["event"])
            events.setdefault(payload["message_id"], []).append((payload["sequence"], payload["event"]))
        expected = {
            ids["254712345678"]: [(1, "communication.sms.processing"), (2, "communication.sms.delivered")],
            ids["254700000099"]: [(1, "communication.sms.processing"), (2, "communication.sms.failed")],
            ids["254700000088"]: [(1, "communication.sms.failed")],
        }
        checks.check("each message's events arrive in sequence order", events == expected, str(events))
        # Rotation: a new secret, the old one still valid for 24 hours; stock verifiers accept either.
        # The new secret on standard input.
        rotated = subprocess.run([wlcomm, "webhook", "set", "--firm", "sandbox", "--url",
                                  f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "--secret-stdin", "--json"],
                                 env=dict(os.environ, WLCOMM_DATABASE_URL=url), input=SECRET + "-rotated\n",
                                 capture_output=True, text=True)
        signed = rotated.returncode == 0 and json.loads(rotated.stdout).get("signed") is True
        checks.check("the secret is set from standard input", signed, rotated.stdout.strip() + rotated.stderr.strip()[-200:])
        before = len(received)
        api(port, "POST", "/sms", {"message": "After rotation", "recipients": ["254712345678"]})
        deadline = time.time() + 20
        while time.time() < deadline and len(received) < before + 2:
            time.sleep(0.1)
        headers, body = received[-1]
        for name, secret in [("the new secret", SECRET + "-rotated"), ("the old secret", SECRET)]:
            try:
                Webhook("whsec_" + base64.b64encode(secret.encode()).decode()).verify(body, headers)
                checks.check(f"during rotation standardwebhooks accepts {name}", True)
            except WebhookVerificationError as error:
                checks.check(f"during rotation standardwebhooks accepts {name}", False, str(error))
        newest = "sha256=" + hmac.new((SECRET + "-rotated").encode(), body, hashlib.sha256).hexdigest()
        checks.check("during rotation X-WL-Signature is one value, made with the new secret",
                     hmac.compare_digest(newest, headers.get("x-wl-signature", "")))
        sample = json.loads(received[0][1])
        checks.check("the payload has the contract's fields", {"type", "event", "message_id", "blast_id", "reference", "recipient",
                     "status", "status_code", "response", "firm_id", "timestamp"} <= set(sample), str(sorted(sample)))
    finally:
        server.terminate()
        server.wait()
        receiver.shutdown()
    checks.close()


if __name__ == "__main__":
    main()
