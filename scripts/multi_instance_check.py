#!/usr/bin/env python3
"""Three `wlcomm serve` processes on one PostgreSQL database share live SMS without sending any twice.

Starts the independent Africa's Talking fake (../shared/fakes/africastalking_fake.py) answering each send call after
120 ms, and three servers on the same database with a 5 s dispatch lease (`dispatch.leaseSeconds`), all sending live
SMS to the fake. A live firm gets credits and a key through the `wlcomm` CLI.

1. 400 single-recipient SMS, each with its own text, posted as fast as they go, round robin over the three servers:
   exactly 400 send calls reach the fake (no text twice), every message ends delivered (the fake's delivery reports),
   and the balance is down by exactly 400 credits (one segment each).
2. The same with fresh servers (batches of 50, so that every instance has work in hand) and the 400 scheduled for one
   instant a few seconds ahead; once the fake has seen 100 of them, one instance is SIGKILLed. Every message still
   ends final and is charged once; the texts the fake received twice are printed. Only calls in flight at the kill can
   be sent twice (their outcome was never recorded), so there may be at most `dispatch.providerConcurrency` ×
   `dispatch.parallelBatches` of them (8 × 4 here).
3. The same again, the instance stopped with SIGTERM instead: it stops claiming, finishes and records the calls it
   has in flight, and exits 0 within its grace period; so exactly 400 send calls, none twice.

SQLite has one writer and no shared server, so there is nothing to check: the script says SKIP and passes.

Usage: multi_instance_check.py WLCOMM DATABASE_URL FAKE_SCRIPT [PSQL]
Prints PASS/FAIL lines and "N passed, M failed"; exits 1 on any failure. Only 127.0.0.1 is used.
"""
import base64
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from wltest import Checks, call, cli, free_port, query, start_server, stop_server

COUNT = 400
INSTANCES = 3
LATENCY_MS = 120
PROVIDER_CONCURRENCY = 8
# Batches one server keeps in flight (dispatch.parallelBatches): at most this many times PROVIDER_CONCURRENCY calls
# can be under way when it is killed.
PARALLEL_BATCHES = 4
IN_FLIGHT = PROVIDER_CONCURRENCY * PARALLEL_BATCHES
KILL_AFTER_SENDS = 100
TOKEN = "multi-instance-callback-token"
CREDITS = 1000


def fake_get(fake_url, path):
    with urllib.request.urlopen(fake_url + path, timeout=30) as response:
        return json.load(response)


def fake_sends(fake_url):
    """Text → how many recipients the fake accepted it for (its /__fake/messages: charged, reports planned), since
    the reset. A call whose caller died while the fake was answering counts too."""
    sends = {}
    for message in fake_get(fake_url, "/__fake/messages"):
        sends[message["message"]] = sends.get(message["message"], 0) + 1
    return sends


def call_times(fake_url):
    """Text → the times (unix seconds) of the send calls that carried it."""
    times = {}
    for request in fake_get(fake_url, "/__fake/requests"):
        if request["path"] == "/version1/messaging" and request["body"]:
            times.setdefault(request["body"]["message"], []).append(request["time"])
    return times


def statuses(url, psql, slug):
    return dict(query(url, psql, "SELECT m.status, COUNT(*) FROM messages m JOIN firms f ON f.id = m.firm_id "
                                 f"WHERE f.slug = '{slug}' GROUP BY m.status"))


def leases(url, psql):
    """Owner → (messages, latest lease end) of the SMS leased and not yet sent."""
    rows = query(url, psql, "SELECT lease_owner, COUNT(*), MAX(lease_until) FROM messages WHERE channel = 'sms' "
                            "AND stage IN ('queued', 'charged') AND lease_owner IS NOT NULL GROUP BY lease_owner")
    return {owner: (int(count), until) for owner, count, until in rows}


def wait_final(url, psql, slug, deadline):
    """Status counts once every message of the firm is final (delivered or failed), or at the deadline."""
    while True:
        counts = statuses(url, psql, slug)
        if sum(int(n) for s, n in counts.items() if s in ("delivered", "failed")) >= COUNT or time.time() > deadline:
            return counts
        time.sleep(0.25)


def post_all(ports, key, texts, numbers, send_at=None):
    """Posts one SMS per text, round robin over `ports`, from 16 threads; returns the HTTP statuses."""
    def post(index):
        body = {"message": texts[index], "recipients": [numbers[index]]}
        if send_at:
            body["send_at"] = send_at
        return call(ports[index % len(ports)], "POST", "/sms", body, key=key)[0]

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(post, range(len(texts))))


def run_phase(checks, name, wlcomm, url, psql, fake_url, dlr_port, env, stop=None):
    """One phase on fresh servers and a fresh firm; stops its servers at the end. `stop`: None, or the signal
    (SIGKILL, SIGTERM) one server gets mid-run."""
    slug = f"multi-{name}"
    kill = stop is not None
    label = "SIGKILLed" if stop == signal.SIGKILL else "SIGTERMed"
    print(f"-- {name}: {INSTANCES} servers, {COUNT} SMS, lease 5 s, provider {LATENCY_MS} ms per call"
          + (f", one server {label} mid-run" if kill else ""))
    urllib.request.urlopen(urllib.request.Request(fake_url + "/__fake/reset", method="POST"), timeout=30).close()
    # Delivery reports go to the first server, which is never the one killed.
    ports = [dlr_port] + [free_port() for _ in range(INSTANCES - 1)]
    servers = []
    try:
        for port in ports:
            servers.append(start_server(wlcomm, url, port, env))
        cli(wlcomm, url, "firm", "create", "--slug", slug, "--name", f"Multi {name}", "--rate", "1", "--mode", "live")
        cli(wlcomm, url, "firm", "adjust-credits", "--firm", slug, "--credits", str(CREDITS), "--reason", "test")
        key = cli(wlcomm, url, "key", "create", "--firm", slug)["api_key"]
        texts = [f"{name} check, message {index:03d}" for index in range(COUNT)]
        numbers = [f"07{11 + ['steady', 'kill', 'term'].index(name)}{index:06d}" for index in range(COUNT)]
        send_at = None
        due = time.time()
        if kill:
            # Whole seconds (send_at has no fraction), with room to post 400 SMS on a slow machine.
            due = math.ceil(time.time()) + 10
            send_at = datetime.fromtimestamp(due, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        started = time.time()
        answers = post_all(ports, key, texts, numbers, send_at)
        posted = time.time() - started
        accepted = all(a in (200, 201, 202) for a in answers)
        checks.check(f"{name}: all {COUNT} accepted", accepted, f"{posted:.2f} s to post; statuses {sorted(set(answers))}")
        if not accepted:
            return
        killed_at = None
        in_hand = 0
        if kill:
            checks.check(f"{name}: all posted before they fall due", time.time() < due, f"{due - time.time():.1f} s to spare")
            deadline = due + 60
            while time.time() < deadline:
                in_hand = sum(fake_sends(fake_url).values())
                if in_hand >= KILL_AFTER_SENDS:
                    break
                time.sleep(0.02)
            victim = servers[-1]
            signalled = time.time()
            victim.send_signal(stop)
            try:
                code = victim.wait(timeout=40)
            except subprocess.TimeoutExpired:
                victim.kill()
                code = victim.wait()
            killed_at = time.time()
            print(f"{label} server {INSTANCES} (port {ports[-1]}) after {in_hand} sends at the fake, "
                  f"{signalled - due:.2f} s after the messages fell due"
                  + (f"; it exited {code} after {killed_at - signalled:.2f} s" if stop == signal.SIGTERM else ""))
            if stop == signal.SIGTERM:
                checks.check(f"{name}: the stopped server exits 0 within its 25 s grace", code == 0 and killed_at - signalled < 25,
                             f"exit {code} after {killed_at - signalled:.2f} s")
            # The dead server's leases are the ones no longer renewed (live ones are, every third of the lease).
            before = leases(url, psql)
            time.sleep(2.5)
            after = leases(url, psql)
            dead = sum(count for owner, (count, until) in after.items() if before.get(owner, (0, None))[1] == until)
            print(f"the {'killed' if stop == signal.SIGKILL else 'stopped'} server held {dead} unsent message(s), "
                  "taken back once its lease runs out")
        counts = wait_final(url, psql, slug, time.time() + 120)
        final_after = time.time() - (due if kill else started)
        status, balance = call(ports[0], "GET", "/sms-credits/balance", key=key)
        credits = balance.get("data", {}).get("sms_credits") if status == 200 else balance
        # Every server has exited before the fake's sends are counted, so a late duplicate has had its chance to arrive.
        for server in servers:
            if server.poll() is None:
                stop_server(server)
        sends = fake_sends(fake_url)
        total = sum(sends.values())
        duplicates = {text: count for text, count in sends.items() if count > 1}
        extra = sum(count - 1 for count in duplicates.values())
        calls = call_times(fake_url)
        times = [t for ts in calls.values() for t in ts]
        span = max(times) - min(times) if times else 0
        print(f"{name}: {total} provider sends for {len(sends)} texts, {extra} duplicate(s); sends spanned {span:.2f} s; "
              f"every message final {final_after:.2f} s after {'falling due' if kill else 'the first post'}; {counts}")
        for text, count in sorted(duplicates.items())[:40]:
            at = calls.get(text, [])
            relative = ", ".join(f"{t - killed_at:+.2f} s" if killed_at else f"{t - started:.2f} s" for t in at)
            print(f"   sent {count}×: {text!r}, calls at {relative}" + (" (relative to the stop)" if killed_at else ""))
        if len(duplicates) > 40:
            print(f"   … and {len(duplicates) - 40} more texts sent more than once")
        checks.check(f"{name}: every message final", sum(int(counts.get(s, 0)) for s in ("delivered", "failed")) == COUNT,
                     str(counts))
        checks.check(f"{name}: every message delivered", int(counts.get("delivered", 0)) == COUNT, str(counts))
        checks.check(f"{name}: every text reached the provider", len(sends) == COUNT and set(sends) == set(texts), f"{len(sends)} texts")
        if stop == signal.SIGKILL:
            checks.check(f"{name}: duplicates only for calls in flight at the kill (at most {IN_FLIGHT})",
                         extra <= IN_FLIGHT, f"{extra} duplicate send(s)")
        else:
            checks.check(f"{name}: exactly {COUNT} provider sends", total == COUNT, f"{total} sends, {extra} duplicate(s)")
        checks.check(f"{name}: the balance is down by exactly {COUNT}", credits == CREDITS - COUNT, f"{credits} left of {CREDITS}")
    finally:
        for server in servers:
            if server.poll() is None:
                stop_server(server)


def main():
    wlcomm, url, fake = sys.argv[1:4]
    psql = sys.argv[4] if len(sys.argv) > 4 else "psql"
    checks = Checks("multi-instance")
    if not url.startswith("postgres"):
        print("SKIP several instances share work only on PostgreSQL")
        checks.close()
    # Every process of the run seals and opens secrets with one key.
    os.environ.setdefault("WLCOMM_SECRETS_KEY", base64.b64encode(os.urandom(32)).decode())
    dlr_port = free_port()
    fake_process = subprocess.Popen(
        [sys.executable, fake, "--port", "0", "--latency-ms", str(LATENCY_MS), "--dlr-delay", "0.3",
         "--dlr-url", f"http://127.0.0.1:{dlr_port}/callbacks/africastalking/dlr/{TOKEN}"],
        # Its stderr would only show the killed server's connections being reset.
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    fake_url = fake_process.stdout.readline().strip().removeprefix("listening on ")
    env = {
        "WLCOMM_AFRICASTALKING_USERNAME": "sandbox", "WLCOMM_AFRICASTALKING_API_KEY": "fake-api-key",
        "WLCOMM_AFRICASTALKING_BASE_URL": fake_url, "WLCOMM_AFRICASTALKING_CALLBACK_TOKEN": TOKEN,
        "WLCOMM_AFRICASTALKING_SENDER_ID": "WLTEST", "WLCOMM_DISPATCH_LEASE_SECONDS": "5",
        "WLCOMM_DISPATCH_PROVIDER_CONCURRENCY": str(PROVIDER_CONCURRENCY),
        "WLCOMM_DISPATCH_PARALLEL_BATCHES": str(PARALLEL_BATCHES), "WLCOMM_LIMITS_ENABLED": "false",
    }
    try:
        run_phase(checks, "steady", wlcomm, url, psql, fake_url, dlr_port, env)
        run_phase(checks, "kill", wlcomm, url, psql, fake_url, dlr_port, dict(env, WLCOMM_DISPATCH_BATCH_SIZE="50"), stop=signal.SIGKILL)
        run_phase(checks, "term", wlcomm, url, psql, fake_url, dlr_port, dict(env, WLCOMM_DISPATCH_BATCH_SIZE="50"), stop=signal.SIGTERM)
    finally:
        fake_process.terminate()
        fake_process.wait()
    checks.close()


if __name__ == "__main__":
    main()
