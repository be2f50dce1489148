#!/usr/bin/env python3
"""Rate limits and Idempotency-Key shared by two `wlcomm serve` processes on one PostgreSQL database.

Starts two servers on the same database with a sends limit of 50 per 10 s (bursts of 50, then 5 a second) and
fires 150 POST /sms/quote with the sandbox key, alternating between them, from 16 threads as fast as they go. The
two processes share one limit, so no more than the burst plus 5 a second of the elapsed time is accepted (5 % of
slack), and at least the burst; every refusal is a 429 `rate_limited` with Retry-After, RateLimit-Policy and
RateLimit, and every acceptance carries RateLimit-Policy and RateLimit. Then one Idempotency-Key is sent to each
server with the same purchase: the second answer is the first one replayed byte for byte (Idempotent-Replayed:
true) and no second payment is started; the same key with another body is refused (422).

SQLite keeps limits in each process, so there is nothing shared to check: the script says SKIP and passes.

Usage: limits_check.py WLCOMM DATABASE_URL [PSQL]
"""
import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from wltest import SANDBOX_KEY, Checks, free_port, query, start_server

QUOTA, WINDOW = 50, 10
REQUESTS = 3 * QUOTA
POLICY = f'"sends";q={QUOTA};w={WINDOW}'
LIMIT_FIELD = re.compile(r'^"sends";r=\d+;t=\d+$')
QUOTE = {"message": "Hi", "recipients": ["254712345678"]}
PURCHASE = {"phone": "0712345678", "amount": 10}


def post(port, path, body, headers=None):
    """(status, headers, raw body bytes) of a POST under the API base path with the sandbox key."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/communication{path}", method="POST", data=json.dumps(body).encode(),
        headers={"X-API-Key": SANDBOX_KEY, "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_when_allowed(port, path, body, headers=None):
    """POSTs, waiting out 429s (Retry-After) for up to 30 s: the sends quota may still be spent."""
    deadline = time.time() + 30
    while True:
        status, fields, raw = post(port, path, body, headers)
        if status != 429 or time.time() > deadline:
            return status, fields, raw
        time.sleep(int(fields.get("Retry-After", "1")))


def code(raw):
    try:
        return json.loads(raw).get("code")
    except ValueError:
        return None


def main():
    wlcomm, url = sys.argv[1:3]
    psql = sys.argv[3] if len(sys.argv) > 3 else "psql"
    if not url.startswith("postgres"):
        print("SKIP limits shared between processes: SQLite keeps rate limits in each process")
        return
    env = {"WLCOMM_LIMITS_SEND_QUOTA": str(QUOTA), "WLCOMM_LIMITS_SEND_WINDOW_SECONDS": str(WINDOW)}
    ports = [free_port(), free_port()]
    servers = []
    checks = Checks("limits across two processes")
    try:
        for port in ports:  # one after the other: the second one's --seed-sandbox finds the sandbox and keeps it
            servers.append(start_server(wlcomm, url, port, env))

        def quote(i):
            return post(ports[i % 2], "/sms/quote", QUOTE)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(quote, range(REQUESTS)))
        elapsed = time.monotonic() - started
        accepted = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] != 200]
        allowed = (QUOTA + QUOTA / WINDOW * elapsed) * 1.05
        print(f"     {REQUESTS} quotes in {elapsed:.2f} s: {len(accepted)} accepted, {len(refused)} refused; "
              f"the shared limit allows {QUOTA} + {QUOTA / WINDOW:g}/s x {elapsed:.2f} s = "
              f"{QUOTA + QUOTA / WINDOW * elapsed:.1f} (+5 % = {allowed:.1f})")
        per_server = [(sum(r[0] == 200 for r in results[p::2]), sum(r[0] != 200 for r in results[p::2])) for p in (0, 1)]
        checks.check("each server accepted some and refused some", all(a and r for a, r in per_server),
                     ", ".join(f"server {p + 1}: {a} accepted, {r} refused" for p, (a, r) in enumerate(per_server)))
        checks.check("no more accepted than one shared limit allows (burst + 5/s x elapsed, +5 %)",
                     len(accepted) <= allowed, f"{len(accepted)} accepted, at most {allowed:.1f}")
        checks.check("at least the burst is accepted", len(accepted) >= QUOTA, f"{len(accepted)} accepted")
        statuses = sorted({r[0] for r in refused})
        checks.check("every refusal is 429 rate_limited", refused and all(r[0] == 429 and code(r[2]) == "rate_limited"
                                                                             for r in refused),
                     f"statuses {statuses}, codes {sorted({str(code(r[2])) for r in refused})}")
        retry_after = sorted({r[1].get("Retry-After") for r in refused}, key=str)
        checks.check("every refusal has Retry-After, a positive integer",
                     all(re.fullmatch(r"[1-9][0-9]*", r[1].get("Retry-After") or "") for r in refused),
                     f"values {retry_after}")
        checks.check(f"every refusal has RateLimit-Policy {POLICY} and a RateLimit field",
                     all(r[1].get("RateLimit-Policy") == POLICY and LIMIT_FIELD.match(r[1].get("RateLimit") or "")
                         for r in refused),
                     f"e.g. {refused[0][1].get('RateLimit-Policy')} / {refused[0][1].get('RateLimit')}" if refused else "")
        checks.check(f"every acceptance has RateLimit-Policy {POLICY} and a RateLimit field",
                     all(r[1].get("RateLimit-Policy") == POLICY and LIMIT_FIELD.match(r[1].get("RateLimit") or "")
                         for r in accepted),
                     f"e.g. {accepted[0][1].get('RateLimit')}" if accepted else "")
        rows = query(url, psql, "SELECT key FROM rate_limits WHERE key LIKE 'key:%:sends'")
        checks.check("the sends limit is one row of rate_limits in the database", len(rows) == 1, str(rows))

        key = {"Idempotency-Key": f"limits-check-{uuid.uuid4()}"}
        first = post_when_allowed(ports[0], "/sms-credits/purchase", PURCHASE, key)
        second = post_when_allowed(ports[1], "/sms-credits/purchase", PURCHASE, key)
        checks.check("the purchase is accepted by the first server", first[0] == 202, f"{first[0]} {first[2][:200]!r}")
        checks.check("the first answer is not marked replayed", first[1].get("Idempotent-Replayed") is None)
        checks.check("the same key on the other server replays the status and body byte for byte",
                     (second[0], second[2]) == (first[0], first[2]), f"{second[0]} {second[2][:200]!r}")
        checks.check("the replay says Idempotent-Replayed: true", second[1].get("Idempotent-Replayed") == "true",
                     str(second[1].get("Idempotent-Replayed")))
        checks.check("the replay still carries RateLimit-Policy", second[1].get("RateLimit-Policy") == POLICY,
                     str(second[1].get("RateLimit-Policy")))
        payments = query(url, psql, "SELECT COUNT(*) FROM payments")
        checks.check("the replay started no second payment", payments == [("1",)], str(payments))
        other = post_when_allowed(ports[1], "/sms-credits/purchase", dict(PURCHASE, amount=11), key)
        checks.check("the same key with another body is refused (422 validation_failed)",
                     (other[0], code(other[2])) == (422, "validation_failed"), f"{other[0]} {other[2][:200]!r}")
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    checks.close()


if __name__ == "__main__":
    main()
