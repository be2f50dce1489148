#!/usr/bin/env python3
"""SQLite on a full disk: writes answer 503 fast, reads go on, recovery within 2 s of space, nothing lost (issue #16).

Mounts a 4 MiB tmpfs on a temporary folder (root only; otherwise it says SKIP) and starts `wlcomm serve
--seed-sandbox` with its SQLite file there, the dispatcher polling every 50 ms and limits far above the load; the
sandbox firm gets 10,000,000 credits through `wlcomm firm adjust-credits`. A writer POSTs /sms every 100 ms (500
distinct generated Kenyan numbers, a 160-character text: each accepted POST stores 500 messages) until the disk is
full, and with 20 numbers once there is room again; a reader GETs /sms-credits/balance and /sms/{id} of an accepted
message, each every 100 ms. The disk stays full for 5 s, then the tmpfs is grown to 64 MiB (`mount -o
remount,size=64m`) and the load goes on for 4 s. Once every accepted message is final (at most 90 s) it checks:
  a. the disk filled: POSTs answered 503 within 30 s of the start;
  b. every answer is the endpoint's success (202 / 200) or 503, within 2 s, the whole run;
  c. every 503 is the envelope `service_unavailable` with Retry-After and X-Request-Id;
  d. every read during the full period answered 200 within 2 s;
  e. the first POST success after the remount came within 2 s of it;
  f. every accepted message is final and stored exactly once: no id twice, and the `messages` table holds exactly
     the accepted recipients (a 503 left nothing half-written);
  g. the balance equals the sum of the ledger and the starting credits minus the delivered credits; no message is
     debited twice;
  h. the server log holds at most 10 warning/error lines from the disk filling on.
Everything is on loopback and bounded in time. The server is stopped, and the tmpfs unmounted and removed, on every
exit: success, failure, an exception or SIGTERM/SIGINT/SIGHUP. After a failure the server's log is kept (the path is
printed).

Usage: disk_full_check.py WLCOMM [DATABASE_URL]
Given a PostgreSQL DATABASE_URL (contract_checks.sh's PostgreSQL run) it says SKIP and passes; the URL only says
which run this is and is not used otherwise.
"""
import atexit
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal

from wltest import (Checks, Load, accepted_ids, all_pages, call, check_ledger, cli, free_port, is_unavailable_envelope,
                    metric, request, run_steps, start_server, stop_server, warning_lines)

FULL_SIZE, FREED_SIZE = "4m", "64m"
RECIPIENTS_PER_POST, RECIPIENTS_AFTER, CREDITS = 500, 20, 10_000_000
SEND_EVERY, READ_EVERY = 0.1, 0.1
FILL_WITHIN, FULL_FOR, AFTER = 30.0, 5.0, 4.0
CLIENT_TIMEOUT, WITHIN = 10.0, 2.0
SETTLE_SECONDS, LOG_LINES_ALLOWED = 90, 10
TEXT = ("Disk full check: this sandbox message is one hundred and sixty characters long, so each of the five hundred "
        "recipients stores a full SMS segment here.")[:160].ljust(160, ".")
FINAL = {"delivered", "failed"}
API = "/api/v1/communication"


class Tmpfs:
    """A size-limited tmpfs mounted on a temporary folder; `remove` unmounts it and removes the folder (idempotent)."""

    def __init__(self):
        self.dir, self.mounted = tempfile.mkdtemp(prefix="wlcomm-diskfull."), False

    def mount(self, size):
        """None, or why the tmpfs could not be mounted."""
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", self.dir],
                                capture_output=True, text=True, timeout=10)
        self.mounted = result.returncode == 0
        return None if self.mounted else (result.stderr.strip() or f"mount exited {result.returncode}")

    def resize(self, size):
        subprocess.run(["mount", "-o", f"remount,size={size}", self.dir], check=True, capture_output=True, timeout=10)

    def remove(self):
        if self.mounted:
            # A lazy unmount when something still holds a file open (it is detached now and freed once closed).
            if subprocess.run(["umount", self.dir], capture_output=True, timeout=10).returncode != 0:
                subprocess.run(["umount", "-l", self.dir], capture_output=True, timeout=10)
            self.mounted = False
        shutil.rmtree(self.dir, ignore_errors=True)


class Cleanup:
    """Stops the server, then removes the tmpfs; runs once, from `finally`, atexit or a signal's unwinding."""

    def __init__(self, tmpfs):
        self.tmpfs, self.server = tmpfs, None

    def __call__(self):
        server, self.server = self.server, None
        if server is not None:
            stop_server(server)
        self.tmpfs.remove()


def phase(record, full_at, freed_at):
    if record["sent"] < full_at:
        return "before"
    return "full" if record["sent"] < freed_at else "after"


def sms_path(accepted):
    """GET /sms/{id} of the first accepted message; None (skip the round) until one is accepted."""
    return lambda _: f"{API}/sms/{accepted[0]}" if accepted else None


def recipients(n, count):
    """`count` (at most RECIPIENTS_PER_POST) distinct valid numbers for POST number `n`, never another POST's
    (2547 1xxx xxxx: never a special sandbox number)."""
    first = 10_000_000 + n * RECIPIENTS_PER_POST
    return [f"2547{first + i}" for i in range(count)]


def fill(load, deadline):
    """The send time of the first POST answered 503, or None when the disk did not fill before `deadline`."""
    seen = 0
    while time.monotonic() < deadline:
        with load.lock:
            records = load.records[seen:]
            seen += len(records)
        for r in records:
            if r["endpoint"] == "sms" and r["status"] == 202 and not load.accepted:
                load.accepted.append(r["body"]["data"]["messages"][0]["message_id"])
            if r["endpoint"] == "sms" and r["status"] == 503:
                return r["sent"]
        time.sleep(0.05)
    return None


def check_answers(check, records, full_at, freed_at):
    success = {"sms": 202, "balance": 200, "sms_status": 200}
    by_phase = {p: Counter((r["endpoint"], r["status"]) for r in records if phase(r, full_at, freed_at) == p)
                for p in ("before", "full", "after")}
    for name, counts in by_phase.items():
        print(f"  {name}: " + ", ".join(f"{e} {s}: {n}" for (e, s), n in sorted(counts.items(), key=str)))
    wrong = [r for r in records if r["status"] not in (success[r["endpoint"]], 503)]
    late = [r for r in records if r["latency"] > WITHIN]
    slowest = max(records, key=lambda r: r["latency"])
    full = [r for r in records if phase(r, full_at, freed_at) == "full"]
    slowest_full = {e: max((r["latency"] for r in full if r["endpoint"] == e), default=0.0) for e in success}
    check(f"b. every answer is a success or 503 within {WITHIN} s", not wrong and not late,
          f"{len(records)} answers, {len(wrong)} other statuses {Counter(r['status'] for r in wrong).most_common(5)}, "
          f"{len(late)} slower than {WITHIN} s; max latency {slowest['latency']:.3f} s ({slowest['endpoint']} "
          f"{slowest['status']}); max while full: " + ", ".join(f"{e} {t:.3f} s" for e, t in slowest_full.items()))
    for r in (wrong + [r for r in late if r not in wrong])[:5]:
        print(f"  {r['endpoint']} {r['status']} after {r['latency']:.3f} s, sent {r['sent'] - full_at:+.3f} s from "
              f"the disk filling: {str(r['body'])[:200]}")

    unavailable = [r for r in records if r["status"] == 503]
    bad = [r for r in unavailable if not is_unavailable_envelope(r)]
    example = (f"; e.g. {bad[0]['body']} Retry-After={bad[0]['retry_after']} X-Request-Id={bad[0]['request_id']}"
               if bad else "")
    retry_after = Counter(r["retry_after"] for r in unavailable)
    check("c. every 503 is the envelope `service_unavailable` with Retry-After and X-Request-Id",
          bool(unavailable) and not bad,
          f"{len(unavailable)} 503s ({dict(Counter(r['endpoint'] for r in unavailable))}, Retry-After "
          f"{dict(retry_after)}), {len(bad)} not{example}")

    reads = [r for r in full if r["endpoint"] != "sms"]
    failed_reads = [r for r in reads if r["status"] != 200 or r["latency"] > WITHIN]
    check(f"d. every read while the disk is full answers 200 within {WITHIN} s", bool(reads) and not failed_reads,
          f"{len(reads)} reads ({dict(Counter(r['endpoint'] for r in reads))}), {len(failed_reads)} not: "
          f"{Counter((r['endpoint'], r['status']) for r in failed_reads).most_common(4)}")
    for r in failed_reads[:3]:
        print(f"  {r['endpoint']} {r['status']} after {r['latency']:.3f} s: {str(r['body'])[:200]}")

    recovered = sorted((r for r in records if r["endpoint"] == "sms" and r["sent"] >= freed_at and r["status"] == 202),
                       key=lambda r: r["done"])
    gap = recovered[0]["done"] - freed_at if recovered else None
    check(f"e. first POST success within {WITHIN} s of the remount", gap is not None and gap <= WITHIN,
          f"gap {gap:.3f} s" if gap is not None else "no POST succeeded after the remount")


def wait_final(database_path, expected):
    """Seconds until the `messages` table holds no message that is not final (at most SETTLE_SECONDS), or None."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_SECONDS:
        try:
            with sqlite3.connect(f"file:{database_path}?mode=ro", uri=True, timeout=5) as db:
                open_messages = db.execute("SELECT count(*) FROM messages WHERE status NOT IN ('delivered', 'failed')"
                                           ).fetchone()[0]
                stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
            if open_messages == 0 and stored >= expected:
                return time.monotonic() - started
        except sqlite3.Error:
            pass  # the server holds the write lock: ask again
        time.sleep(0.5)
    return None


def check_messages(check, port, database_path, records):
    ids = accepted_ids(records)
    no_answer = sum(1 for r in records if r["endpoint"] == "sms" and r["status"] is None)
    settled = wait_final(database_path, len(ids))
    print(f"  {len(ids)} messages accepted; " + (f"all final after {settled:.1f} s" if settled is not None
                                                  else f"not all final after {SETTLE_SECONDS} s"))
    messages = {m["message_id"]: m for m in all_pages(port, "/sms", "messages", CLIENT_TIMEOUT)}
    statuses = Counter(messages.get(i, {}).get("status", "missing") for i in ids)
    with sqlite3.connect(f"file:{database_path}?mode=ro", uri=True, timeout=5) as db:
        stored, distinct = db.execute("SELECT count(*), count(DISTINCT recipient || '/' || blast_id) FROM messages"
                                      ).fetchone()
    check("f. every accepted message is final", bool(ids) and set(statuses) <= FINAL,
          f"{len(ids)} accepted: {dict(statuses)}")
    check("f. each accepted id once; the list and `messages` hold exactly the accepted recipients",
          len(set(ids)) == len(ids) == len(messages) == stored == distinct,
          f"{len(ids)} ids ({len(set(ids))} distinct), {len(messages)} listed, {stored} in messages "
          f"({distinct} distinct recipient/blast), {no_answer} POSTs without an answer")
    return messages


def check_log(check, log_path, offset):
    lines = warning_lines(log_path, offset)
    # The warning comes with the first refused write, before the offset taken once the disk was seen full.
    whole = warning_lines(log_path, 0)
    check("h. the full disk is logged: a warning that writes are unavailable",
          any("database unavailable; writes answer" in line for line in whole), f"{len(whole)} warning/error lines in all")
    check(f"h. at most {LOG_LINES_ALLOWED} warning/error lines in the log from the disk filling on",
          len(lines) <= LOG_LINES_ALLOWED, f"{len(lines)} lines")


def run(wlcomm, tmpfs, cleanup, checks):
    port, database_path = free_port(), os.path.join(tmpfs.dir, "wlcomm.sqlite")
    # The log lives outside the tmpfs: a full disk must not silence it.
    log_path = tempfile.NamedTemporaryFile(prefix="wlcomm-diskfull-server.", suffix=".log", delete=False).name
    env = {"WLCOMM_DISPATCH_POLL_MILLISECONDS": "50"}
    for limit in ("SEND", "READ", "AUTH"):  # far above the load, so no answer is a 429
        env |= {f"WLCOMM_LIMITS_{limit}_QUOTA": "1000000", f"WLCOMM_LIMITS_{limit}_WINDOW_SECONDS": "1000"}
    cleanup.server = start_server(wlcomm, database_path, port, env, log_path=log_path)
    try:
        cli(wlcomm, database_path, "firm", "adjust-credits", "--firm", "sandbox", "--credits", str(CREDITS),
            "--reason", "disk full check")
        _, body = call(port, "GET", "/sms-credits/balance", parse_float=Decimal, timeout=CLIENT_TIMEOUT)
        starting = Decimal(str(body["data"]["sms_credits"]))
        accepted = []  # the first accepted message's id, for the reader's GET /sms/{id}
        per_post = [RECIPIENTS_PER_POST]  # smaller once there is room again: fewer messages to settle at the end
        load = Load(port, [
            ("sms", SEND_EVERY, "POST", f"{API}/sms",
             lambda n: {"message": TEXT, "recipients": recipients(n, per_post[0])}),
            ("balance", READ_EVERY, "GET", f"{API}/sms-credits/balance", None),
            ("sms_status", READ_EVERY, "GET", sms_path(accepted), None)], CLIENT_TIMEOUT)
        load.accepted = accepted
        started = time.monotonic()
        load.start()
        full_at = fill(load, started + FILL_WITHIN)
        check = checks.check
        check(f"a. the disk filled: a POST answered 503 within {FILL_WITHIN:.0f} s", full_at is not None,
              f"after {full_at - started:.1f} s, {len(accepted_ids(load.records))} messages accepted"
              if full_at is not None else f"no 503 in {FILL_WITHIN:.0f} s")
        if full_at is None:
            load.stop()
            return
        log_offset = os.path.getsize(log_path)
        usage = shutil.disk_usage(tmpfs.dir)
        print(f"disk full: {usage.used // 1024} KiB of {usage.total // 1024} KiB used; "
              + ", ".join(f"{name} {os.path.getsize(os.path.join(tmpfs.dir, name)) // 1024} KiB"
                          for name in sorted(os.listdir(tmpfs.dir))))
        time.sleep(max(0.0, full_at + FULL_FOR / 2 - time.monotonic()))
        metrics_full = request(f"http://127.0.0.1:{port}/metrics")[2]
        time.sleep(max(0.0, full_at + FULL_FOR - time.monotonic()))
        per_post[0] = RECIPIENTS_AFTER
        tmpfs.resize(FREED_SIZE)
        freed_at = time.monotonic()
        print(f"tmpfs grown to {FREED_SIZE} after {freed_at - full_at:.1f} s full; load goes on for {AFTER:.0f} s")
        time.sleep(AFTER)
        load.stop()
        records = sorted(load.records, key=lambda r: r["sent"])
        check_answers(check, records, full_at, freed_at)
        metrics_end = request(f"http://127.0.0.1:{port}/metrics")[2]
        print("  /metrics: " + ", ".join(
            f"{name} {metric(metrics_full, name)} while full, {metric(metrics_end, name)} at the end"
            for name in ("wlcomm_database_up", "wlcomm_database_outages_total")))
        messages = {}
        run_steps(check, (("f", lambda: messages.update(check_messages(check, port, database_path, records))),
                          ("g", lambda: check_ledger(check, port, starting, messages, "g. ", CLIENT_TIMEOUT)),
                          ("h", lambda: check_log(check, log_path, log_offset))))
    finally:
        cleanup()
        if checks.failed:
            print(f"server log kept in {log_path}")
        else:
            os.unlink(log_path)


def main():
    wlcomm = sys.argv[1]
    url = sys.argv[2] if len(sys.argv) > 2 else None
    if url is not None and url.startswith("postgres"):
        print("SKIP disk full check: it fills SQLite's disk; the PostgreSQL run has no SQLite file")
        return
    print("-- SQLite on a full disk (4 MiB tmpfs): writes 503 + Retry-After within 2 s, reads go on, nothing lost")
    tmpfs = Tmpfs()
    if os.geteuid() != 0:
        tmpfs.remove()
        print("SKIP: cannot mount a tmpfs (not root)")
        return
    cleanup = Cleanup(tmpfs)
    atexit.register(cleanup)
    # A signal unwinds through the finally blocks (server stopped, tmpfs unmounted); atexit is the last net.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda n, _: sys.exit(128 + n))
    why = tmpfs.mount(FULL_SIZE)
    if why:
        cleanup()
        print(f"SKIP: cannot mount a tmpfs ({why})")
        return
    checks = Checks("disk full check")
    try:
        run(wlcomm, tmpfs, cleanup, checks)
    finally:
        cleanup()
    checks.close()


if __name__ == "__main__":
    main()
