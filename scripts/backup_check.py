#!/usr/bin/env python3
"""A backup of a live server under load restores to a database with every message accepted before it and a ledger
that adds up.

Starts `wlcomm serve --seed-sandbox` (rate limits off) and two client threads that post single-recipient SMS as
fast as they are answered, each 202 noted with its message id and time. While they run:

- SQLite: `wlcomm backup --to FILE` (SQLite's VACUUM INTO, a snapshot on its own read transaction, with the key
  file), then `wlcomm restore --from FILE` into a new folder;
- PostgreSQL: `pg_dump --format=custom` of the live database, then `pg_restore` into a new database (the commands
  of docs/operate.md).

The load goes on for a moment after the backup, then stops, and the original server is stopped. The restored
database must hold every message whose 202 came before the backup started, its ledger must add up (each firm's
balance equals the sum of its ledger rows, and each ledger row's balance_after its running total), and a new server
on the restored database must serve those messages and the same balance. A second `wlcomm backup` to the same file
is refused.

Usage: backup_check.py WLCOMM DATABASE_URL [PSQL]
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal

from wltest import Checks, call, cli, free_port, query, start_server, stop_server


def wait_until(condition, seconds):
    """Polls `condition` every 50 ms until it holds or `seconds` pass (the check after it says which)."""
    deadline = time.time() + seconds
    while time.time() < deadline and not condition():
        time.sleep(0.05)


def load(port, stop, accepted, worker):
    """Posts one-recipient SMS until `stop` is set, noting (time of the 202, message id)."""
    n = 0
    while not stop.is_set():
        n += 1
        status, body = call(port, "POST", "/sms", {"message": f"Backup load {worker}-{n}", "recipients": [f"2547{worker}{n:07d}"]})
        if status == 202:
            accepted.append((time.time(), body["data"]["messages"][0]["message_id"]))


def ledger_adds_up(url, psql):
    """(ok, detail): every firm's balance is the sum of its ledger rows and the last row's balance_after."""
    rows = query(url, psql, """
        SELECT f.id, f.sms_credits, COALESCE(SUM(l.amount), 0),
               COALESCE((SELECT balance_after FROM credit_ledger WHERE firm_id = f.id ORDER BY id DESC LIMIT 1), 0)
        FROM firms f LEFT JOIN credit_ledger l ON l.firm_id = f.id GROUP BY f.id, f.sms_credits ORDER BY f.id""")
    bad = [row for row in rows if not (row[1] == row[2] == row[3])]
    return not bad and bool(rows), f"{len(rows)} firm(s), (id, balance, ledger sum, last balance_after): {rows if bad else rows[:3]}"


def main():
    wlcomm, url = sys.argv[1:3]
    psql = sys.argv[3] if len(sys.argv) > 3 else "psql"
    postgres = url.startswith("postgres")
    bindir = os.path.dirname(psql) if os.path.sep in psql else ""
    checks = Checks("backup")
    work = tempfile.mkdtemp(prefix="wlcomm-backup-")
    port = free_port()
    server = start_server(wlcomm, url, port, {"WLCOMM_LIMITS_ENABLED": "false"})
    restored_server = None
    try:
        cli(wlcomm, url, "firm", "adjust-credits", "--firm", "sandbox", "--credits", "100000", "--reason", "backup check")
        stop, accepted = threading.Event(), []
        workers = [threading.Thread(target=load, args=(port, stop, accepted, w)) for w in (1, 2)]
        for worker in workers:
            worker.start()
        wait_until(lambda: len(accepted) > 50, 30)
        started = time.time()
        if postgres:
            backup = os.path.join(work, "wlcomm.dump")
            subprocess.run([os.path.join(bindir, "pg_dump"), "--format=custom", "--file", backup, url], check=True)
        else:
            backup = os.path.join(work, "backup.sqlite")
            written = cli(wlcomm, url, "backup", "--to", backup)
            checks.check("wlcomm backup writes the database and its key file, both mode 0600",
                         written["database"] == backup and written.get("key_file") == backup + ".key"
                         and all(os.stat(p).st_mode & 0o777 == 0o600 for p in (backup, backup + ".key")), str(written))
        finished = time.time()
        wait_until(lambda: any(at >= finished for at, _ in list(accepted)), 30)
        stop.set()
        for worker in workers:
            worker.join()
        stop_server(server)
        server = None
        before = sorted(message for at, message in accepted if at < started)
        during = sum(1 for at, _ in accepted if started <= at < finished)
        print(f"{len(accepted)} SMS accepted in all: {len(before)} before the backup started, {during} while it ran "
              f"({finished - started:.2f} s), the rest after")
        checks.check("the load was running when the backup was taken", len(before) > 50 and len(accepted) > len(before),
                     f"{len(before)} before, {len(accepted)} in all")

        if postgres:
            name = f"restored_{int(time.time() * 1000)}"
            subprocess.run([psql, url, "-qc", f"CREATE DATABASE {name}"], check=True)
            restored = url.rsplit("/", 1)[0] + "/" + name
            subprocess.run([os.path.join(bindir, "pg_restore"), "--no-owner", "--dbname", restored, backup], check=True)
        else:
            restored = os.path.join(work, "restored", "wlcomm.sqlite")
            again = subprocess.run([wlcomm, "backup", "--to", backup], env=dict(os.environ, WLCOMM_DATABASE_URL=url),
                                   capture_output=True, text=True)
            checks.check("a backup never overwrites a file", again.returncode != 0 and "already exists" in again.stderr,
                         again.stderr.strip()[-120:])
            cli(wlcomm, restored, "restore", "--from", backup)

        ids = {int(row[0]) for row in query(restored, psql, "SELECT id FROM messages")}
        missing = [message for message in before if message not in ids]
        checks.check("every message accepted before the backup started is in the restored database", not missing,
                     f"{len(before)} expected, {len(missing)} missing, {len(ids)} in the restored database")
        ok, detail = ledger_adds_up(restored, psql)
        checks.check("the restored ledger adds up: balance = sum of ledger rows = last balance_after, per firm", ok, detail)

        restored_port = free_port()
        # API only: a dispatcher would charge the restored database's pending messages while the balance is compared.
        restored_server = start_server(wlcomm, restored, restored_port, {"WLCOMM_LIMITS_ENABLED": "false", "WLCOMM_ROLE": "api"})
        status, message = call(restored_port, "GET", f"/sms/{before[-1]}")
        checks.check("a server on the restored database serves a message accepted before the backup",
                     status == 200 and message.get("data", {}).get("message_id") == before[-1], f"{status} {str(message)[:160]}")
        status, balance = call(restored_port, "GET", "/sms-credits/balance", parse_float=Decimal)
        units = int(query(restored, psql, "SELECT sms_credits FROM firms WHERE slug = 'sandbox'")[0][0])
        checks.check("and the balance the restored ledger holds (credits are units of 1/10,000)",
                     status == 200 and Decimal(balance["data"]["sms_credits"]) * 10_000 == units,
                     f"{status} {balance.get('data')} vs {units} units")
        if not url.startswith("postgres"):
            # The server has the restored database open: replacing it under the server would lose what it writes.
            refused = subprocess.run([wlcomm, "restore", "--from", backup, "--replace", "--json"],
                                     env=dict(os.environ, WLCOMM_DATABASE_URL=restored), capture_output=True, text=True)
            checks.check("a restore over a database a server has open is refused",
                         refused.returncode != 0 and "is open in a running server" in refused.stdout + refused.stderr,
                         f"exit {refused.returncode}: {(refused.stdout + refused.stderr)[:200]}")
    finally:
        for process in (server, restored_server):
            if process:
                stop_server(process)
    checks.close()


if __name__ == "__main__":
    main()
