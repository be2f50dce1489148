#!/usr/bin/env python3
"""Kill -9 in the middle of dispatching, restart, and check that nothing was lost or charged twice.

Starts `wlcomm serve --seed-sandbox` (SQLite file or PostgreSQL URL), schedules one sandbox blast of 3,000
recipients against the sandbox firm's 1,000 credits, kills the server with SIGKILL as soon as dispatching has
visibly begun, restarts it, waits for every message to settle, and then checks in the database that:
  - every message is final (delivered or failed) and none is left leased or half-sent;
  - no message was debited more than once, and every delivered message exactly once;
  - exactly 1,000 were delivered, the other 2,000 failed with "Insufficient SMS credits";
  - the balance is 0 and equals the sum of the ledger.

Usage: crash_check.py WLCOMM DATABASE_URL [PSQL]
Prints PASS/FAIL lines and exits 1 on any failure.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

KEY = "wl_test_communication_sms_sandbox"
COUNT = 3000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(wlcomm, url, port, log):
    env = dict(os.environ, WLCOMM_DATABASE_URL=url, WLCOMM_DISPATCH_BATCH_SIZE="25",
               WLCOMM_DISPATCH_LEASE_SECONDS="2", WLCOMM_LOG_LEVEL="warning")
    process = subprocess.Popen([wlcomm, "serve", "--seed-sandbox", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return process
        except Exception:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def api(port, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/communication{path}", method=method,
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def query(url, psql, sql):
    if url.startswith("postgres"):
        out = subprocess.run([psql, url, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    with sqlite3.connect(url) as db:
        return [tuple(str(v) for v in row) for row in db.execute(sql)]


def main():
    wlcomm, url = sys.argv[1:3]
    psql = sys.argv[3] if len(sys.argv) > 3 else "psql"
    port = free_port()
    log = open(os.devnull, "w")
    server = start(wlcomm, url, port, log)
    numbers = [f"2547{10_000_000 + i:08d}" for i in range(COUNT)]
    api(port, "POST", "/sms", {"message": "Crash test", "recipients": numbers})
    for _ in range(2000):
        if api(port, "GET", "/sms?status=delivered&limit=1")["data"]["messages"]:
            break
        time.sleep(0.005)
    server.send_signal(signal.SIGKILL)
    server.wait()
    unsettled = int(query(url, psql, "SELECT COUNT(*) FROM messages WHERE stage <> 'done'")[0][0])
    leased = int(query(url, psql, "SELECT COUNT(*) FROM messages WHERE lease_owner IS NOT NULL AND stage <> 'done'")[0][0])
    print(f"killed with {unsettled} of {COUNT} messages unsettled ({leased} leased to the dead process)")

    server = start(wlcomm, url, port, log)
    deadline = time.time() + 120
    while time.time() < deadline:
        if int(query(url, psql, "SELECT COUNT(*) FROM messages WHERE stage <> 'done'")[0][0]) == 0:
            break
        time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    server.wait()

    failures = 0
    passes = 0

    def check(name, ok, detail=""):
        nonlocal failures, passes
        print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        failures += 0 if ok else 1
        passes += 1 if ok else 0

    check("dispatching was under way at the kill", 0 < unsettled < COUNT, f"{unsettled} unsettled")
    statuses = dict(query(url, psql, "SELECT status, COUNT(*) FROM messages GROUP BY status"))
    check("every message is final", set(statuses) <= {"delivered", "failed"}, str(statuses))
    check("exactly the 1,000 paid for were delivered", statuses.get("delivered") == "1000", str(statuses))
    reasons = query(url, psql, "SELECT response, COUNT(*) FROM messages WHERE status = 'failed' GROUP BY response")
    check("the rest failed for insufficient credits", reasons == [("Insufficient SMS credits", str(COUNT - 1000))], str(reasons))
    twice = query(url, psql, "SELECT reference FROM credit_ledger WHERE kind = 'debit' GROUP BY reference HAVING COUNT(*) > 1")
    check("no message was charged twice", not twice, f"{len(twice)} charged twice")
    unpaid = query(url, psql, """SELECT COUNT(*) FROM messages m WHERE m.status = 'delivered' AND NOT EXISTS
        (SELECT 1 FROM credit_ledger l WHERE l.kind = 'debit' AND l.reference = 'message ' || m.id)""")
    check("every delivered message was charged", unpaid == [("0",)], str(unpaid))
    balance = query(url, psql, "SELECT f.sms_credits, (SELECT SUM(amount) FROM credit_ledger l WHERE l.firm_id = f.id) FROM firms f WHERE slug = 'sandbox'")
    check("the balance is 0 and equals the ledger", balance == [("0", "0")], str(balance))
    print(f"crash check: {passes} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
