#!/usr/bin/env python3
"""No single request stalls the server or multiplies storage; connection caps, chunked bodies and /metrics hold.

Against real `wlcomm serve --seed-sandbox` processes (each on its own fresh database beside the one given):
1. Degenerate email bodies: five ~199,000-character HTML bodies (repeated `<a href="x">` never closed, `<head`
   followed by text with `<` and no `>`, `<script>` never closed, 20,000 nested `<div>`, `<a href=` repeated),
   each POSTed to 4 recipients while another thread polls GET /healthz every 100 ms. Every health answer comes
   within 1 s, every POST answers 202 (422 only for a documented limit), and the sandbox settles every email.
2. Storage: one unpersonalised email with a 200,000-character plain body to 1,000 recipients grows the database by
   less than 10 x the request's size (SQLite: the file and its WAL after a checkpoint; PostgreSQL:
   pg_database_size), measured once the blast is written and again after 20 s of sending (a debug build sends
   about 7 such emails a second, so not all are final by then). The body is random words, so PostgreSQL's TOAST
   compression cannot hide copies.
3. Connection caps over raw sockets (WLCOMM_LIMITS_MAX_CONNECTIONS=40, ..._PER_ADDRESS=10): the 11th connection
   from one address and the 41st in all are closed at once without an answer; other addresses are still served,
   and a closed connection frees its place.
4. A chunked request body over 1 MiB answers 413 `payload_too_large`.
5. /metrics: with WLCOMM_METRICS_TOKEN it needs `Authorization: Bearer <token>` (401 `unauthenticated` otherwise);
   without the setting a loopback client still gets it.

Every wait has a deadline; only loopback addresses are used (127.0.0.1 to 127.0.0.7 as client sources).

Usage: abuse_check.py WLCOMM DATABASE_URL [PSQL]   (DATABASE_URL "" = SQLite files in a temporary folder)
"""
import http.client
import json
import math
import os
import random
import select
import shutil
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from wltest import SANDBOX_KEY, Checks, call, free_port, query, start_server, stop_server

BASE = "/api/v1/communication"
FINAL = {"delivered", "failed"}
HEALTH_LIMIT = 1.0
DEGENERATE_LENGTH = 199_000
STORAGE_SETTLE_SECONDS = 20


def fill(prefix, unit, length=DEGENERATE_LENGTH):
    """`prefix` followed by `unit` repeated to about `length` characters (never more)."""
    return prefix + unit * ((length - len(prefix)) // len(unit))


def degenerate_bodies():
    """(name, message) of the bodies that made the regex HTML-to-text conversion quadratic."""
    nested = "<div>" * 20_000 + "deep"
    return [
        ('repeated <a href="x"> never closed', fill("", '<a href="x">')),
        ("<head followed by text with < and no >", fill("<p>Hi</p><head ", "lorem ipsum <dolor sit amet ")),
        ("<script> never closed", fill("<p>Hi</p><script>", "if (a < b) { s = '</scrip' + t; }\n")),
        ("20,000 nested <div>", fill(nested, "</div>")),
        ("<a href= repeated", fill("<p>Hi</p>", "<a href=")),
    ]


class Databases:
    """Fresh databases beside the given one: SQLite files in its folder (a temporary folder for ""), or new
    databases on the same PostgreSQL server (dropped at the end)."""

    def __init__(self, url, psql):
        self.url, self.psql, self.created = url, psql, []
        self.folder = tempfile.mkdtemp(prefix="wlcomm-abuse.") if not url else None

    def fresh(self, name):
        if self.url.startswith("postgres"):
            parts = urllib.parse.urlsplit(self.url)
            database = f"{parts.path.lstrip('/')}_{name}"
            query(self.url, self.psql, f'CREATE DATABASE "{database}"')
            self.created.append(database)
            return urllib.parse.urlunsplit(parts._replace(path="/" + database))
        if self.folder:
            return os.path.join(self.folder, f"{name}.sqlite")
        stem, extension = os.path.splitext(self.url)
        return f"{stem}-{name}{extension or '.sqlite'}"

    def size(self, url):
        """Bytes the database takes: pg_database_size, or the SQLite file and its WAL after a checkpoint."""
        if url.startswith("postgres"):
            return int(query(url, self.psql, "SELECT pg_database_size(current_database())")[0][0])
        with sqlite3.connect(url, timeout=10) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return sum(os.path.getsize(path) for path in (url, url + "-wal") if os.path.exists(path))

    def remove(self):
        for database in self.created:
            query(self.url, self.psql, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def get(port, path, headers=None, timeout=5):
    """(status, headers, body bytes) of a GET outside the API base path."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def error_code(raw):
    try:
        return json.loads(raw).get("code")
    except (ValueError, TypeError, AttributeError):
        return None


class HealthPoller(threading.Thread):
    """GET /healthz every 100 ms (5 s client timeout), keeping every latency and every failure (a timeout, an error,
    a status other than 200)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.latencies, self.failures, self.done = port, [], [], threading.Event()

    def run(self):
        while not self.done.is_set():
            started = time.monotonic()
            try:
                status = get(self.port, "/healthz")[0]
                if status != 200:
                    self.failures.append(f"status {status}")
            except Exception as error:  # a timeout or a refused connection is a health failure like any other
                self.failures.append(type(error).__name__)
            self.latencies.append(time.monotonic() - started)
            self.done.wait(max(0.0, 0.1 - (time.monotonic() - started)))

    def summary(self):
        ordered = sorted(self.latencies) or [0.0]
        p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
        return ordered[-1], p99


def unsettled(port, timeout):
    """Whether any email of the firm is still pending or processing; None when the server did not answer."""
    for status in ("pending", "processing"):
        try:
            code, body = call(port, "GET", f"/email?status={status}&limit=1", timeout=timeout)
        except Exception:
            return None
        if code != 200 or not isinstance(body, dict):
            return None
        if body["data"]["messages"]:
            return True
    return False


def wait_settled(port, deadline):
    """True once no email is pending or processing, False at the deadline."""
    while time.monotonic() < deadline:
        if unsettled(port, max(0.5, min(5.0, deadline - time.monotonic()))) is False:
            return True
        time.sleep(0.2)  # poll interval
    return False


def check_degenerate_bodies(checks, wlcomm, url):
    print("-- 1. degenerate email bodies while /healthz is polled every 100 ms")
    port = free_port()
    server = start_server(wlcomm, url, port)
    poller = HealthPoller(port)
    try:
        poller.start()
        deadline = time.monotonic() + 60
        message_ids, posts = [], []
        recipients = [f"{letter}@example.com" for letter in "abcd"]
        for name, message in degenerate_bodies():
            timeout = max(1.0, min(30.0, deadline - time.monotonic()))
            try:
                status, body = call(port, "POST", "/email", {"subject": "x", "message": message, "recipients": recipients},
                                    timeout=timeout)
            except Exception as error:
                status, body = None, type(error).__name__
            posts.append((name, len(message), status, body))
            if status == 202:
                message_ids += [item["message_id"] for item in body["data"]["messages"]]
            elif status == 422:
                print(f"     422 for {name} ({len(message):,} characters): {json.dumps(body)[:300]}")
        for name, length, status, body in posts:
            checks.check(f"POST /email with {name} ({length:,} characters) answers 202 (or 422 for a documented limit)",
                         status in (202, 422), f"{status}" + ("" if status in (202, 422) else f" {str(body)[:200]}"))
        settled = wait_settled(port, deadline)
        final = {}
        for message_id in message_ids:
            try:
                code, body = call(port, "GET", f"/email/{message_id}", timeout=max(0.5, min(5.0, deadline + 5 - time.monotonic())))
                final[message_id] = body["data"]["status"] if code == 200 else f"HTTP {code}"
            except Exception as error:
                final[message_id] = type(error).__name__
        poller.done.set()
        poller.join(timeout=10)
        checks.check(f"the {len(message_ids)} emails reach a final status within 60 s",
                     settled and all(status in FINAL for status in final.values()), f"statuses {sorted(set(final.values()))}")
        worst, p99 = poller.summary()
        print(f"     /healthz: {len(poller.latencies)} polls, max {worst:.3f} s, p99 {p99:.3f} s, "
              f"{len(poller.failures)} failed {sorted(set(poller.failures))}")
        checks.check(f"every /healthz answered 200 within {HEALTH_LIMIT} s", worst <= HEALTH_LIMIT and not poller.failures,
                     f"max {worst:.3f} s, p99 {p99:.3f} s")
    finally:
        poller.done.set()
        stop_server(server)


def statuses(databases, url):
    """{status: count} of every message in the database."""
    return {status: int(count) for status, count in query(url, databases.psql, "SELECT status, COUNT(*) FROM messages GROUP BY status")}


def check_storage(checks, databases, port, url):
    print("-- 2. an unpersonalised 200,000-character email to 1,000 recipients is stored once")
    words = random.Random(12)
    text = ""
    while len(text) < 200_000:
        text += "".join(words.choices(string.ascii_letters, k=words.randint(2, 9))) + " "
    request = {"subject": "Storage", "message": text[:199_999] + ".", "recipients": [f"r{i:04d}@example.com" for i in range(1, 1001)]}
    request_size = len(json.dumps(request).encode())
    before = databases.size(url)
    started = time.monotonic()
    status, body = call(port, "POST", "/email", request, timeout=60)
    answered = time.monotonic() - started
    checks.check("POST /email to 1,000 recipients answers 202", status == 202, f"{status}" + ("" if status == 202 else f" {str(body)[:200]}"))
    written = databases.size(url) - before
    # A debug build's sandbox settles about 7 of these 200 KB emails a second, so waiting for all 1,000 would take
    # minutes: the second measure comes after STORAGE_SETTLE_SECONDS, with what has been sent by then.
    settled = wait_settled(port, time.monotonic() + STORAGE_SETTLE_SECONDS)
    counts = statuses(databases, url)
    growth = databases.size(url) - before
    print(f"     answered in {answered:.1f} s; after {time.monotonic() - started:.1f} s "
          f"{'all final' if settled else 'not all final'}: {counts}")
    print(f"     growth once written: {written:,} bytes ({written / request_size:.1f} x the request); "
          f"after sending: {growth:,} bytes ({growth / request_size:.1f} x)")
    checks.check("the database grows by less than 10 x the request", max(written, growth) < 10 * request_size,
                 f"{max(written, growth):,} bytes for a {request_size:,}-byte request: {max(written, growth) / request_size:.1f} x")


def attempt(port, source, timeout=2.0):
    """Connects from `source` and sends GET /healthz: ("served", socket kept open) or (what happened, None)."""
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        if response.status == 200 and not response.will_close:
            return "served", sock
        outcome = f"status {response.status}" + (" and Connection: close" if response.will_close else "")
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        outcome = "closed"
    except (socket.timeout, TimeoutError):
        outcome = f"left open {timeout:g} s"
    except OSError as error:
        outcome = f"{type(error).__name__}: {error}"
    sock.close()
    return outcome, None


def served_again(port, source, within=5.0):
    """Tries new connections from `source` until one is served (the socket) or `within` seconds pass (None)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        outcome, sock = attempt(port, source)
        if sock:
            return sock
        time.sleep(0.05)  # poll interval: the server has to see the closes first
    return None


def check_connection_caps(checks, wlcomm, url):
    print("-- 3. connection caps: 10 per client address, 40 in all")
    port = free_port()
    env = {"WLCOMM_LIMITS_MAX_CONNECTIONS": "40", "WLCOMM_LIMITS_MAX_CONNECTIONS_PER_ADDRESS": "10"}
    server = start_server(wlcomm, url, port, env)
    held = []
    try:
        first = [attempt(port, "127.0.0.1") for _ in range(10)]
        held += [sock for _, sock in first if sock]
        checks.check("10 keep-alive connections from 127.0.0.1 are all served", all(sock for _, sock in first),
                     str(sorted({outcome for outcome, _ in first})))
        outcome, sock = attempt(port, "127.0.0.1")
        held += [sock] if sock else []
        checks.check("an 11th connection from 127.0.0.1 is closed without an answer", outcome == "closed", outcome)
        outcome, sock = attempt(port, "127.0.0.2")
        held += [sock] if sock else []
        checks.check("a connection from 127.0.0.2 is still served", outcome == "served", outcome)
        for sock in [s for _, s in first if s][:5]:
            sock.close()
            held.remove(sock)
        sock = served_again(port, "127.0.0.1")
        held += [sock] if sock else []
        checks.check("after 5 of them close, a new connection from 127.0.0.1 is served (within 5 s)", sock is not None)

        outcomes = []
        for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"):
            for _ in range(10):
                if len(held) >= 40:
                    break
                outcome, sock = attempt(port, source)
                outcomes.append(outcome)
                held += [sock] if sock else []
        checks.check("connections from 127.0.0.3 to 127.0.0.6 are served until 40 are held",
                     len(held) == 40 and all(outcome == "served" for outcome in outcomes),
                     f"{len(held)} held; {sorted(set(outcomes))}")
        outcome, sock = attempt(port, "127.0.0.7")
        held += [sock] if sock else []
        checks.check("with 40 held, a connection from 127.0.0.7 is closed without an answer", outcome == "closed", outcome)
    finally:
        for sock in held:
            sock.close()
        stop_server(server)


def chunked_post(port, size):
    """(status, raw body) for a POST /sms whose body of `size` bytes comes chunked; (what happened, None) otherwise."""
    payload = json.dumps({"message": "x" * size, "recipients": ["254712345678"]}).encode()
    chunks = b"".join(f"{len(payload[i:i + 65536]):x}\r\n".encode() + payload[i:i + 65536] + b"\r\n"
                      for i in range(0, len(payload), 65536)) + b"0\r\n\r\n"
    head = (f"POST {BASE}/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {SANDBOX_KEY}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    data = head + chunks
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    deadline = time.monotonic() + 10
    sent = 0
    try:
        # Stops sending as soon as an answer is readable: the server may answer before the body ends.
        while sent < len(data) and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], max(0.0, deadline - time.monotonic()))
            if readable:
                break
            if writable:
                sent += sock.send(data[sent:sent + 65536])
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return f"closed after {sent:,} bytes sent", None
    except (socket.timeout, TimeoutError):
        return f"no answer in 10 s after {sent:,} bytes sent", None
    finally:
        sock.close()


def check_chunked_body(checks, port):
    print("-- 4. a chunked body over 1 MiB")
    status, raw = chunked_post(port, 1_200_000)
    checks.check("a 1.2 MB chunked POST /sms answers 413", status == 413, str(status))
    checks.check("the 413 is the error envelope with code payload_too_large", error_code(raw) == "payload_too_large",
                 str(raw)[:200])


def prometheus(status, headers, body):
    return status == 200 and headers.get("Content-Type", "").startswith("text/plain") and b"# TYPE " in body


def check_open_metrics(checks, port):
    print("-- 5. /metrics without a token setting, from loopback")
    status, headers, body = get(port, "/metrics")
    checks.check("GET /metrics from loopback answers 200 with Prometheus text", prometheus(status, headers, body),
                 f"{status} {headers.get('Content-Type')}")


def check_metrics_token(checks, wlcomm, url):
    print("-- 5. /metrics behind WLCOMM_METRICS_TOKEN")
    token = "s3cret-metrics-token-123"
    port = free_port()
    server = start_server(wlcomm, url, port, {"WLCOMM_METRICS_TOKEN": token})
    try:
        status, _, body = get(port, "/metrics")
        checks.check("GET /metrics without Authorization answers 401 unauthenticated",
                     (status, error_code(body)) == (401, "unauthenticated"), f"{status} {body[:120]!r}")
        status, _, body = get(port, "/metrics", {"Authorization": "Bearer wrong"})
        checks.check("GET /metrics with a wrong bearer token answers 401 unauthenticated",
                     (status, error_code(body)) == (401, "unauthenticated"), f"{status} {body[:120]!r}")
        status, headers, body = get(port, "/metrics", {"Authorization": f"Bearer {token}"})
        checks.check("GET /metrics with the token answers 200 with Prometheus text", prometheus(status, headers, body),
                     f"{status} {headers.get('Content-Type')}")
    finally:
        stop_server(server)


def check_seed_sandbox_command(checks, wlcomm, url):
    print("-- 6. `wlcomm seed-sandbox` refuses beside a live provider, as `serve --seed-sandbox` does")
    env = dict(os.environ, WLCOMM_DATABASE_URL=url, WLCOMM_AFRICASTALKING_USERNAME="acme", WLCOMM_AFRICASTALKING_API_KEY="at-key")
    refused = subprocess.run([wlcomm, "seed-sandbox"], env=env, capture_output=True, text=True, timeout=60)
    checks.check("with Africa's Talking configured it exits non-zero, naming the provider and the way to allow it",
                 refused.returncode != 0 and "live providers are configured (Africa's Talking)" in refused.stderr
                 and "--allow-sandbox-in-production" in refused.stderr, f"exit {refused.returncode}: {refused.stderr[-300:]!r}")
    allowed = subprocess.run([wlcomm, "seed-sandbox", "--allow-sandbox-in-production"], env=env, capture_output=True, text=True,
                             timeout=60)
    checks.check("with --allow-sandbox-in-production it seeds", allowed.returncode == 0 and "sandbox firm" in allowed.stdout,
                 f"exit {allowed.returncode}: {(allowed.stdout + allowed.stderr)[-300:]!r}")


def main():
    wlcomm, url = sys.argv[1:3]
    psql = sys.argv[3] if len(sys.argv) > 3 else "psql"
    databases = Databases(url, psql)
    checks = Checks("abuse checks")
    try:
        check_degenerate_bodies(checks, wlcomm, databases.fresh("stall"))
        url_main = databases.fresh("main")
        port = free_port()
        # Small dispatch batches, so some of check 2's emails are final within its window.
        server = start_server(wlcomm, url_main, port, {"WLCOMM_DISPATCH_BATCH_SIZE": "25"})
        try:
            check_storage(checks, databases, port, url_main)
            check_chunked_body(checks, port)
            check_open_metrics(checks, port)
        finally:
            stop_server(server)
        url_limits = databases.fresh("limits")
        check_connection_caps(checks, wlcomm, url_limits)
        check_metrics_token(checks, wlcomm, url_limits)
        check_seed_sandbox_command(checks, wlcomm, databases.fresh("seed"))
    finally:
        databases.remove()
    checks.close()


if __name__ == "__main__":
    main()
