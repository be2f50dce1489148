"""Helpers shared by the integration checks: start `wlcomm serve`, call the API, query the database."""
import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.request

SANDBOX_KEY = "wl_test_communication_sms_sandbox"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
