"""Helpers shared by the integration checks: start `wlcomm serve`, call the API, query the database."""
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from decimal import Decimal

SANDBOX_KEY = "wl_test_communication_sms_sandbox"
LOG_LEVEL = re.compile(r"\b(warning|error|critical)\b", re.IGNORECASE)


_given_ports = set()


def free_port():
    """A port free now and never given before by this process: the kernel may hand a just-closed port out again. Two
    sample receivers once got the same one, and one logged nothing while the other logged every event twice."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _given_ports:
            _given_ports.add(port)
            return port


def wait_for(predicate, seconds, every=0.2):
    """The first truthy value of `predicate` within `seconds`, else its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(every)


def start_server(wlcomm, database_url, port, env=None, log_path=None):
    """Starts `wlcomm serve --seed-sandbox` and waits for /readyz. The checks run the sandbox beside fake live
    providers, which a real server refuses unless told (WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION). Its output
    (stdout and stderr) is appended to `log_path` when given, and discarded otherwise."""
    environment = dict(os.environ, WLCOMM_DATABASE_URL=database_url, WLCOMM_LOG_LEVEL="warning",
                       WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION="true", **(env or {}))
    log = open(log_path or os.devnull, "a")
    process = subprocess.Popen([wlcomm, "serve", "--seed-sandbox", "--port", str(port)], env=environment,
                               stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return process
        except Exception:
            if process.poll() is not None:
                raise SystemExit("server exited at start")
            time.sleep(0.05)
    raise SystemExit("server did not start")


def call(port, method, path, body=None, key=SANDBOX_KEY, parse_float=float, timeout=60):
    """(HTTP status, parsed JSON, or the text when it is not JSON) of an API call; error envelopes too."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/communication{path}", method=method,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text, parse_float=parse_float)
    except ValueError:
        return status, text


def api(port, method, path, body=None, key=SANDBOX_KEY):
    """Calls the API and returns the parsed JSON (error envelopes too)."""
    return call(port, method, path, body, key)[1]


def cli(wlcomm, database_url, *args):
    """Runs a `wlcomm` admin command with --json and returns its parsed output."""
    out = subprocess.run([wlcomm, *args, "--json"], env=dict(os.environ, WLCOMM_DATABASE_URL=database_url),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else None


def query(database_url, psql, sql):
    """Rows of `sql` as tuples of strings, from SQLite (a file path) or PostgreSQL (psql)."""
    if database_url.startswith("postgres"):
        out = subprocess.run([psql, database_url, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True,
                             text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    with sqlite3.connect(database_url) as db:
        return [tuple(str(v) for v in row) for row in db.execute(sql)]


class Checks:
    """PASS/FAIL lines and a closing count."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, what, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + what + (f": {detail}" if detail else ""))
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def close(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        raise SystemExit(1 if self.failed else 0)


def stop_server(process, grace=10):
    """SIGTERM, then SIGKILL when the process has not exited within `grace` seconds (a stalled server)."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def request(url, method="GET", body=None, key=SANDBOX_KEY, timeout=10.0):
    """(status or None on a client error, headers, body text, seconds taken) of one loopback request."""
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, headers, text = response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        status, headers, text = error.code, error.headers, error.read().decode()
    except Exception as error:  # a time-out or a dropped connection: recorded, never raised
        status, headers, text = None, {}, repr(error)
    return status, headers, text, time.monotonic() - started


def parsed(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


class Load:
    """One thread per endpoint, each sending on its own fixed schedule and recording every answer. `loops` holds
    (name, seconds between requests, method, path, body): path and body may be functions of the request's number
    (body None: no body); a path function answering None skips that round."""

    def __init__(self, port, loops, timeout=10.0):
        self.base, self.timeout = f"http://127.0.0.1:{port}", timeout
        self.records, self.lock, self.stopping = [], threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=loop, daemon=True) for loop in loops]

    def _loop(self, name, every, method, path, body):
        n, next_at = 0, time.monotonic()
        while not self.stopping.is_set():
            n += 1
            target = path(n) if callable(path) else path
            if target is not None:
                sent = time.monotonic()
                status, headers, text, took = request(self.base + target, method, body(n) if body else None,
                                                      timeout=self.timeout)
                with self.lock:
                    self.records.append({"endpoint": name, "sent": sent, "done": sent + took, "latency": took,
                                         "status": status, "retry_after": headers.get("Retry-After"),
                                         "request_id": headers.get("X-Request-Id"), "body": parsed(text)})
            next_at = max(next_at + every, time.monotonic())  # after a hang, no burst to catch up
            self.stopping.wait(next_at - time.monotonic())

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(self.timeout + 5)


def accepted_ids(records, endpoint="sms"):
    """Message ids from every 202 to POST /sms, in answer order (repeats kept, so they can be counted)."""
    return [m["message_id"] for r in records if r["endpoint"] == endpoint and r["status"] == 202
            for m in r["body"]["data"]["messages"]]


def is_unavailable_envelope(record):
    """Whether a recorded answer is the 503 envelope `service_unavailable` with Retry-After and X-Request-Id."""
    body = record["body"] if isinstance(record["body"], dict) else {}
    return bool(body.get("status") == "error" and body.get("code") == "service_unavailable" and record["retry_after"]
                and record["request_id"])


def all_pages(port, path, key, timeout=10.0):
    """Every item of a cursor-paginated list (limit 100, starting_after), bounded to 1,000 pages."""
    items, cursor = [], None
    for _ in range(1000):
        separator = "&" if "?" in path else "?"
        page = f"{path}{separator}limit=100" + (f"&starting_after={cursor}" if cursor else "")
        status, body = call(port, "GET", page, parse_float=Decimal, timeout=timeout)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        items += body["data"][key]
        cursor = body["data"].get("next_starting_after")
        if not body["data"].get("has_more") or cursor is None:
            return items
    raise RuntimeError(f"GET {path}: more than 1,000 pages")


def check_ledger(check, port, starting, messages, prefix="", timeout=10.0):
    """Balance = sum of GET /sms-credits/transactions = `starting` - credits of the delivered `messages` ({id:
    message as GET /sms lists it}), and every delivered message debited exactly once."""
    status, body = call(port, "GET", "/sms-credits/balance", parse_float=Decimal, timeout=timeout)
    balance = Decimal(str(body["data"]["sms_credits"])) if status == 200 else None
    entries = all_pages(port, "/sms-credits/transactions", "transactions", timeout)
    ledger = sum((Decimal(str(e["credits"])) for e in entries), Decimal(0))
    # Every delivered message of the firm, accepted or not: a message stored without a 202 is another check's failure.
    delivered = [m for m in messages.values() if m.get("status") == "delivered"]
    spent = sum((Decimal(str(m.get("credits", 1))) for m in delivered), Decimal(0))
    debits = Counter(e["message_id"] for e in entries if e["kind"] == "debit")
    twice = [i for i, n in debits.items() if n > 1]
    check(f"{prefix}balance = sum of the ledger = starting credits - delivered credits",
          balance is not None and balance == ledger == starting - spent,
          f"balance {balance}, ledger {ledger} over {len(entries)} entries, {starting} - {spent} "
          f"({len(delivered)} delivered) = {starting - spent}")
    check(f"{prefix}every delivered message debited exactly once",
          not twice and all(debits[m["message_id"]] == 1 for m in delivered),
          f"{len(debits)} debits, {len(twice)} messages debited more than once")


def warning_lines(log_path, offset=0):
    """The warning, error and critical lines of a server log from byte `offset` on; the most frequent kinds are
    printed (a kind is a line without its time stamp and numbers such as request ids and durations)."""
    with open(log_path, errors="replace") as log:
        log.seek(offset)
        lines = [line.rstrip() for line in log if LOG_LEVEL.search(line)]
    kinds = Counter(re.sub(r"[0-9a-f]{8,}|\d+", "#", line.split(" ", 1)[-1]) for line in lines)
    for text, n in kinds.most_common(6):
        print(f"  {n} x " + (text if len(text) <= 200 else f"{text[:80]} … {text[-110:]}"))
    return lines


def metric(text, name):
    """The value of an unlabelled or labelled Prometheus sample `name`, or None when it is not served."""
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)", line)
        if match:
            return float(match.group(2))
    return None


def run_steps(check, steps):
    """Runs named check steps in order; one that throws (e.g. the API never came back) is one FAIL, and the
    others still run."""
    for name, step in steps:
        try:
            step()
        except Exception as error:
            check(f"{name}. could be checked", False, repr(error)[:300])
