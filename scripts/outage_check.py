#!/usr/bin/env python3
"""PostgreSQL stopped for 20 s under light load: fast 503s, recovery within seconds, nothing lost (issue #16).

Starts its OWN throwaway PostgreSQL cluster (initdb in a temporary folder, a free port on 127.0.0.1; the shared test
cluster is never touched) and `wlcomm serve --seed-sandbox` on it, with the dispatcher polling every 50 ms. Two
client threads put light load on the API: POST /sms (one sandbox recipient) every 50 ms and GET
/sms-credits/balance every 100 ms; a third asks /readyz every second. After ~3 s PostgreSQL is stopped
(`pg_ctl stop -m fast`), stays down for 20 s, is started again (`pg_ctl start -w`), and the load goes on for 8 s more.
Then, once every accepted message is final (at most 60 s), it checks:
  a. every answer is the endpoint's success (202 / 200) or 503, within 2 s, and so is every answer to a request
     sent during the outage;
  b. every 503 has the envelope code `service_unavailable`, `Retry-After` and `X-Request-Id`;
  c. the first success for a request sent after the restart came within 2 s of the restart;
  d. every accepted message is final and stored exactly once (no id twice; the list and `messages` hold exactly
     the accepted ones);
  e. the balance equals the sum of the ledger and the starting credits minus the credits of the firm's delivered
     messages; every delivered message is debited exactly once;
  f. /readyz answered 503 during the outage and 200 after; /metrics shows `wlcomm_database_outages_total` >= 1 and
     `wlcomm_database_up 1`;
  g. the server log holds at most 10 warning/error lines from the outage on.
Everything is on loopback and bounded in time; the cluster and its folder are removed on exit, failure included.

Usage: outage_check.py WLCOMM [DATABASE_URL] [PSQL]
Given a DATABASE_URL that is not PostgreSQL (the empty one of contract_checks.sh's SQLite run) it says SKIP and
passes; the URL only says which run this is and is not used otherwise. PostgreSQL's binaries are looked up beside
PSQL, then as scripts/postgres.sh does.
"""
import base64
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal

from wltest import (Checks, Load, accepted_ids, all_pages, call, check_ledger, free_port, is_unavailable_envelope, metric,
                    query, request, run_steps, start_server, stop_server, warning_lines)

BEFORE, OUTAGE, AFTER = 3.0, 20.0, 8.0
SEND_EVERY, BALANCE_EVERY, READY_EVERY = 0.05, 0.1, 1.0
CLIENT_TIMEOUT, WITHIN = 10.0, 2.0
SETTLE_SECONDS, LOG_LINES_ALLOWED = 60, 10
RECIPIENT = "254712345678"
FINAL = {"delivered", "failed"}


def pg_bindir(psql):
    """The folder of initdb and pg_ctl: beside `psql`, else pg_config's, else the newest /usr/lib/postgresql."""
    candidates = [os.path.dirname(psql)] if psql and os.path.dirname(psql) else []
    if shutil.which("pg_config"):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]), reverse=True)
    for candidate in candidates:
        if candidate and os.access(os.path.join(candidate, "initdb"), os.X_OK):
            return candidate
    raise SystemExit("outage check: no PostgreSQL binaries (initdb) found")


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, run as the postgres user when we are root."""

    def __init__(self, bindir):
        self.bindir, self.port = bindir, free_port()
        self.dir = tempfile.mkdtemp(prefix="wlcomm-outage.")
        self.data = os.path.join(self.dir, "data")
        self.run_as = []
        if os.geteuid() == 0:
            try:
                shutil.chown(self.dir, "postgres")
            except (LookupError, OSError):
                shutil.rmtree(self.dir, ignore_errors=True)
                raise
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.psql = os.path.join(bindir, "psql")

    def _pg(self, program, *args):
        subprocess.run([*self.run_as, os.path.join(self.bindir, program), *args], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def create(self):
        self._pg("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        self._pg("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"), "-w", "-o", options, "start")

    def stop(self, mode="fast"):
        self._pg("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self):
        if os.path.isdir(self.data):
            try:
                self.stop("immediate")
            except Exception:
                pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_final(port, ids):
    """{id: message} of the firm's messages once every accepted one, and every other one of the firm, is final; or
    when SETTLE_SECONDS have passed."""
    deadline, messages = time.monotonic() + SETTLE_SECONDS, {}
    while time.monotonic() < deadline:
        try:
            messages = {m["message_id"]: m for m in all_pages(port, "/sms", "messages", CLIENT_TIMEOUT)}
        except RuntimeError:  # not recovered (yet): 503 or 500
            time.sleep(0.5)
            continue
        if set(ids) <= set(messages) and all(m.get("status") in FINAL for m in messages.values()):
            break
        time.sleep(0.5)
    return messages


def phase(record, stopped_at, restarted_at):
    if record["sent"] < stopped_at:
        return "before"
    return "outage" if record["sent"] < restarted_at else "after"


def check_answers(check, records, stopped_at, restarted_at):
    api = [r for r in records if r["endpoint"] != "readyz"]
    success = {"sms": 202, "balance": 200}
    by_phase = {p: Counter((r["endpoint"], r["status"]) for r in api if phase(r, stopped_at, restarted_at) == p)
                for p in ("before", "outage", "after")}
    for name, counts in by_phase.items():
        print(f"  {name}: " + ", ".join(f"{e} {s}: {n}" for (e, s), n in sorted(counts.items(), key=str)))
    outage = [r for r in api if phase(r, stopped_at, restarted_at) == "outage"]
    slowest = max(api, key=lambda r: r["latency"])
    slowest_outage = max((r["latency"] for r in outage), default=0.0)
    wrong = [r for r in outage if r["status"] not in (success[r["endpoint"]], 503)]
    check("a. every answer during the outage is 202/200 or 503", bool(outage) and not wrong,
          f"{len(outage)} requests, {len(wrong)} others: {Counter(r['status'] for r in wrong).most_common(5)}")
    wrong_anytime = [r for r in api if r["status"] not in (success[r["endpoint"]], 503)]
    late = [r for r in api if r["latency"] > WITHIN]
    check(f"a. every answer (whole run) is a success or 503 within {WITHIN} s", not wrong_anytime and not late,
          f"{len(api)} answers, {len(wrong_anytime)} other statuses, {len(late)} slower than {WITHIN} s; "
          f"max latency {slowest['latency']:.3f} s ({slowest['endpoint']} {slowest['status']}), "
          f"max during the outage {slowest_outage:.3f} s")
    for r in (wrong_anytime + [r for r in late if r not in wrong_anytime])[:5]:
        print(f"  {r['endpoint']} {r['status']} after {r['latency']:.3f} s, sent {r['sent'] - stopped_at:+.3f} s from the stop")

    unavailable = [r for r in api if r["status"] == 503]
    bad = [r for r in unavailable if not is_unavailable_envelope(r)]
    example = f"; e.g. {bad[0]['body']} Retry-After={bad[0]['retry_after']} X-Request-Id={bad[0]['request_id']}" if bad else ""
    check("b. every 503 is the envelope `service_unavailable` with Retry-After and X-Request-Id",
          bool(unavailable) and not bad, f"{len(unavailable)} 503s, {len(bad)} not{example}")

    recovered = sorted((r for r in api if r["sent"] >= restarted_at and r["status"] == success[r["endpoint"]]),
                       key=lambda r: r["done"])
    gap = recovered[0]["done"] - restarted_at if recovered else None
    per_endpoint = {e: min((r["done"] - restarted_at for r in recovered if r["endpoint"] == e), default=None)
                    for e in success}
    gaps = ", ".join(f"{e} {g:.3f} s" if g is not None else f"{e} none" for e, g in per_endpoint.items())
    check(f"c. first success within {WITHIN} s of the restart", gap is not None and gap <= WITHIN,
          f"gap {gap:.3f} s ({gaps})" if gap is not None else "no success after the restart")


def check_messages(check, port, cluster, records):
    ids = accepted_ids(records)
    lost_answers = sum(1 for r in records if r["endpoint"] == "sms" and r["status"] is None)
    messages = wait_final(port, ids)
    statuses = Counter(messages.get(i, {}).get("status", "missing") for i in ids)
    stored = int(query(cluster.url, cluster.psql, "SELECT count(*) FROM messages")[0][0])
    check("d. every accepted message is final", set(statuses) <= FINAL, f"{len(ids)} accepted: {dict(statuses)}")
    check("d. each accepted id once; the list and `messages` hold exactly the accepted ones",
          len(set(ids)) == len(ids) == len(messages) == stored,
          f"{len(ids)} ids ({len(set(ids))} distinct), {len(messages)} listed, {stored} in messages, "
          f"{lost_answers} POSTs without an answer")
    return messages


def check_health(check, port, records, stopped_at, restarted_at, metrics_during):
    ready = [r for r in records if r["endpoint"] == "readyz"]
    during = Counter(r["status"] for r in ready if stopped_at + 1 <= r["sent"] < restarted_at)
    final_ready = request(f"http://127.0.0.1:{port}/readyz")[0]
    check("f. /readyz 503 during the outage and 200 after", during.get(503, 0) >= 1 and final_ready == 200,
          f"during {dict(during)}, at the end {final_ready}")
    status, _, text, _ = request(f"http://127.0.0.1:{port}/metrics")
    up, outages = metric(text, "wlcomm_database_up"), metric(text, "wlcomm_database_outages_total")
    print(f"  /metrics during the outage: wlcomm_database_up {metric(metrics_during, 'wlcomm_database_up')}")
    check("f. /metrics: wlcomm_database_outages_total >= 1 and wlcomm_database_up 1 at the end",
          status == 200 and up == 1 and outages is not None and outages >= 1,
          f"status {status}, wlcomm_database_up {up}, wlcomm_database_outages_total {outages}"
          + (" (not served by this build)" if up is None or outages is None else ""))


def check_log(check, log_path, offset):
    lines = warning_lines(log_path, offset)
    check(f"g. at most {LOG_LINES_ALLOWED} warning/error lines in the log from the outage on",
          len(lines) <= LOG_LINES_ALLOWED, f"{len(lines)} lines")


def run(wlcomm, cluster, checks):
    port = free_port()
    log_path = os.path.join(cluster.dir, "wlcomm.log")
    env = {"WLCOMM_DISPATCH_POLL_MILLISECONDS": "50",
           "WLCOMM_SECRETS_KEY": os.environ.get("WLCOMM_SECRETS_KEY") or base64.b64encode(os.urandom(32)).decode()}
    for limit in ("SEND", "READ"):  # far above the load, so no answer is a 429
        env |= {f"WLCOMM_LIMITS_{limit}_QUOTA": "1000000", f"WLCOMM_LIMITS_{limit}_WINDOW_SECONDS": "1000"}
    server = start_server(wlcomm, cluster.url, port, env, log_path=log_path)
    try:
        _, body = call(port, "GET", "/sms-credits/balance", parse_float=Decimal, timeout=CLIENT_TIMEOUT)
        starting = Decimal(str(body["data"]["sms_credits"]))
        load = Load(port, [
            ("sms", SEND_EVERY, "POST", "/api/v1/communication/sms",
             lambda n: {"message": f"outage {n}", "recipients": [RECIPIENT]}),
            ("balance", BALANCE_EVERY, "GET", "/api/v1/communication/sms-credits/balance", None),
            ("readyz", READY_EVERY, "GET", "/readyz", None)], CLIENT_TIMEOUT)
        load.start()
        time.sleep(BEFORE)
        log_offset = os.path.getsize(log_path)
        stopped_at = time.monotonic()
        cluster.stop()
        print(f"PostgreSQL stopped ({time.monotonic() - stopped_at:.2f} s for pg_ctl stop); down for {OUTAGE:.0f} s")
        time.sleep(OUTAGE / 2)
        metrics_during = request(f"http://127.0.0.1:{port}/metrics")[2]
        time.sleep(max(0.0, stopped_at + OUTAGE - time.monotonic()))
        cluster.start()
        restarted_at = time.monotonic()
        print(f"PostgreSQL started again after {restarted_at - stopped_at:.1f} s; load goes on for {AFTER:.0f} s")
        time.sleep(AFTER)
        load.stop()
        records = sorted(load.records, key=lambda r: r["sent"])
        check = checks.check
        check_answers(check, records, stopped_at, restarted_at)
        messages = {}
        run_steps(check, (("d", lambda: messages.update(check_messages(check, port, cluster, records))),
                          ("e", lambda: check_ledger(check, port, starting, messages, "e. ", CLIENT_TIMEOUT)),
                          ("f", lambda: check_health(check, port, records, stopped_at, restarted_at, metrics_during)),
                          ("g", lambda: check_log(check, log_path, log_offset))))
    finally:
        stop_server(server)
        if checks.failed:  # the cluster's folder goes; the server's log is worth keeping to find out why
            kept = tempfile.NamedTemporaryFile(prefix="wlcomm-outage-server.", suffix=".log", delete=False).name
            shutil.copyfile(log_path, kept)
            print(f"server log kept in {kept}")


def main():
    wlcomm = sys.argv[1]
    url = sys.argv[2] if len(sys.argv) > 2 else None
    psql = sys.argv[3] if len(sys.argv) > 3 else shutil.which("psql") or ""
    if url is not None and not url.startswith("postgres"):
        print("SKIP outage check: it stops PostgreSQL (its own cluster); the SQLite run has nothing to stop")
        return
    print("-- PostgreSQL stopped for 20 s under light load: 503 + Retry-After within 2 s, recovery, nothing lost")
    # SIGTERM (a CI time-out) unwinds through the finally blocks, so the cluster and its folder go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cluster = Cluster(pg_bindir(psql))
    checks = Checks("outage check")
    try:
        cluster.create()
        run(wlcomm, cluster, checks)
    finally:
        cluster.remove()
    checks.close()


if __name__ == "__main__":
    main()
