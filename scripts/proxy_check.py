#!/usr/bin/env python3
"""Behind a trusted reverse proxy each client has its own failed-authentication budget; without one configured,
X-Forwarded-For changes nothing.

Starts `wlcomm serve` with a failed-authentication quota of 3 per minute, first with `WLCOMM_TRUSTED_PROXIES=
127.0.0.1` (the checks' own connections play the proxy), then without it:

- trusted: three bad keys "from" 203.0.113.1 (X-Forwarded-For) get 401, the fourth 429; a bad key from 203.0.113.2
  still gets 401 (its own budget); a client that writes its own X-Forwarded-For in front does not escape its
  budget (the proxy's appended entry counts); /metrics without a token refuses a request forwarded for a public
  client (it answers loopback clients only);
- not trusted: the same three from "203.0.113.1" use up 127.0.0.1's budget, so "203.0.113.2" gets 429 too.

Usage: proxy_check.py WLCOMM DATABASE_URL
"""
import sys
import urllib.error
import urllib.request

from wltest import Checks, free_port, start_server, stop_server

BAD_KEY = "wl_comm_0000000000000000000000000000000000000000"


def status(port, path, forwarded_for, key=BAD_KEY):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"X-API-Key": key, "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    wlcomm, url = sys.argv[1:3]
    checks = Checks("proxy")
    limits = {"WLCOMM_LIMITS_AUTH_QUOTA": "3", "WLCOMM_LIMITS_AUTH_WINDOW_SECONDS": "60"}
    balance = "/api/v1/communication/sms-credits/balance"
    port = free_port()
    server = start_server(wlcomm, url, port, dict(limits, WLCOMM_TRUSTED_PROXIES="127.0.0.1"))
    try:
        first = [status(port, balance, "203.0.113.1") for _ in range(4)]
        checks.check("trusted proxy: the forwarded client's 4th bad key is refused 429", first == [401, 401, 401, 429], str(first))
        other = status(port, balance, "203.0.113.2")
        checks.check("another forwarded client keeps its own budget (401)", other == 401, str(other))
        spoofed = status(port, balance, "198.51.100.50, 203.0.113.1")
        checks.check("writing another address in front does not escape the budget (429)", spoofed == 429, str(spoofed))
        metrics = status(port, "/metrics", "203.0.113.3", key="")
        checks.check("/metrics without a token refuses a public client behind the proxy (401)", metrics == 401, str(metrics))
    finally:
        stop_server(server)
    port = free_port()
    server = start_server(wlcomm, url, port, limits)
    try:
        first = [status(port, balance, "203.0.113.1") for _ in range(3)]
        other = status(port, balance, "203.0.113.2")
        checks.check("no trusted proxy: X-Forwarded-For is ignored, one budget for the connection's address",
                     first == [401, 401, 401] and other == 429, f"{first} then {other}")
    finally:
        stop_server(server)
    checks.close()


if __name__ == "__main__":
    main()
