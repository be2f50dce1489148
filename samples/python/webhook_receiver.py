#!/usr/bin/env python3
"""A webhook receiver for World Ledgers delivery and payment events, on the Python standard library alone.

    WL_WEBHOOK_SECRET='the secret set with `wlcomm webhook set --secret`' python3 webhook_receiver.py [PORT]

It listens on 127.0.0.1:PORT (default 8000; WL_RECEIVER_HOST to change the address) and accepts a POST only when
both signatures hold:

- `X-WL-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (the contract's formula), and
- the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
  "id.timestamp.body">`, with the timestamp within 5 minutes (so a captured request cannot be replayed later).

Anything else is answered 401 and not processed. Accepted events are printed, one JSON line each, and appended to
WL_EVENTS_FILE when it is set; replace `handle` with your own (queue a job and answer at once: World Ledgers waits
15 s, then retries). The same event can arrive twice (a retry after a time-out), so it is handled once per
`webhook-id`.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

TOLERANCE_SECONDS = 5 * 60


def verify(body, headers, secret, now=None):
    """None when `body` (the raw bytes) and `headers` (names in lower case) carry valid signatures made with
    `secret`, else the reason they do not."""
    # The secret's bytes, exactly as set; a stock Standard Webhooks library takes the same key as "whsec_" + base64.
    key = secret.encode()
    # 1. The contract's signature, over the raw body exactly as it arrived (never re-encoded JSON).
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters (a forged header) with TypeError.
    if not hmac.compare_digest(expected.encode(), headers.get("x-wl-signature", "").encode()):
        return "X-WL-Signature does not match"
    # 2. Standard Webhooks: id.timestamp.body, a fresh timestamp, any one of the space-separated v1 signatures
    #    (while a secret is being rotated there is one per valid secret).
    event_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not event_id or not timestamp.isdigit():
        return "webhook-id or webhook-timestamp missing"
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return "webhook-timestamp is more than 5 minutes away"
    signed = f"{event_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    candidates = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
        return "webhook-signature does not match"
    return None


seen, seen_lock = set(), threading.Lock()


def handle(event_id, payload):
    """Your code goes here. `payload["type"]` is sms, email, payment or test; see docs/integrate.md."""
    with seen_lock:
        if event_id in seen:
            return  # a redelivery of an event already handled
        seen.add(event_id)
    line = json.dumps({"webhook_id": event_id, **payload}, sort_keys=True)
    print(line, flush=True)
    events_file = os.environ.get("WL_EVENTS_FILE")
    if events_file:
        with open(events_file, "a") as out:
            out.write(line + "\n")


class Receiver(http.server.BaseHTTPRequestHandler):
    secret = ""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reason = verify(body, headers, self.secret)
        if reason is None:
            try:
                payload = json.loads(body)
            except ValueError:
                reason = "the body is not JSON"
        if reason is not None:
            self.answer(401, {"error": reason})
            return
        handle(headers["webhook-id"], payload)
        self.answer(200, {"received": True})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write("webhook_receiver: " + (format % args) + "\n")


def main():
    secret = os.environ.get("WL_WEBHOOK_SECRET")
    if not secret:
        sys.exit("Set WL_WEBHOOK_SECRET to the firm's webhook secret.")
    Receiver.secret = secret
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = http.server.ThreadingHTTPServer((os.environ.get("WL_RECEIVER_HOST", "127.0.0.1"), port), Receiver)
    print(f"listening on http://{server.server_address[0]}:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
