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
import signal
import sys
import time

from wltest import Checks, api, free_port, query, start_server

COUNT = 3000
ENV = {"WLCOMM_DISPATCH_BATCH_SIZE": "25", "WLCOMM_DISPATCH_LEASE_SECONDS": "2"}


def main():
    wlcomm, url = sys.argv[1:3]
    psql = sys.argv[3] if len(sys.argv) > 3 else "psql"
    port = free_port()
    server = start_server(wlcomm, url, port, ENV)
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

    server = start_server(wlcomm, url, port, ENV)
    deadline = time.time() + 120
    while time.time() < deadline:
        if int(query(url, psql, "SELECT COUNT(*) FROM messages WHERE stage <> 'done'")[0][0]) == 0:
            break
        time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    server.wait()

    checks = Checks("crash check")
    check = checks.check

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
    checks.close()


if __name__ == "__main__":
    main()
