#!/usr/bin/env python3
"""A slow or silent client cannot hold a connection: the body read timeout and the idle timeout, over raw sockets.

Starts `wlcomm serve` with a body read timeout of 1 s and an idle timeout of 2 s, then:
- trickles a POST body a byte at a time, never finishing it: the answer is 408 `request_timeout` in the error
  envelope, with a request id, long before the trickle would have ended;
- opens a connection and sends nothing, only half a request head, or a head a byte at a time: the server closes it
  after the idle timeout (a request head must arrive whole within it);
- sends a request head with 100 KiB of headers: it is refused, not read into memory (the connection answers 4xx or
  is closed);
- and the server still answers a normal request afterwards.

Each wait has a deadline (10 s) far above the timeout it checks; nothing sleeps and hopes.

Usage: slow_client_check.py WLCOMM DATABASE_URL
"""
import http.client
import json
import socket
import sys
import time

from wltest import SANDBOX_KEY, Checks, call, free_port, start_server

BASE = "/api/v1/communication"
DEADLINE = 10


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    return sock


def head(path, length):
    return (f"POST {BASE}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {SANDBOX_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def trickled_body(port):
    """(status, parsed body, request id, seconds to the answer, bytes trickled) for a body that never completes."""
    body = json.dumps({"message": "Hi", "recipients": ["254712345678"]}).encode()
    sock = connect(port)
    sock.sendall(head("/sms/quote", len(body) + 100))
    started = time.monotonic()
    sent = 0
    sock.setblocking(False)
    answer = b""
    # One byte every 0.2 s: the connection is never idle, but the body would take over 10 s to arrive.
    while time.monotonic() - started < DEADLINE and b"\r\n\r\n" not in answer:
        if sent < len(body):
            try:
                sock.send(body[sent:sent + 1])
                sent += 1
            except BlockingIOError:
                pass
        time.sleep(0.2)
        try:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        except BlockingIOError:
            pass
    elapsed = time.monotonic() - started
    sock.setblocking(True)
    sock.settimeout(DEADLINE)
    if b"\r\n\r\n" not in answer:
        sock.close()
        return None, None, None, elapsed, sent
    header_bytes, rest = answer.split(b"\r\n\r\n", 1)
    lines = header_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(fields.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    sock.close()
    try:
        parsed = json.loads(rest[:length])
    except ValueError:
        parsed = rest[:length]
    return status, parsed, fields.get("x-request-id"), elapsed, sent


def closed_after(port, first_bytes):
    """Seconds until the server closes a connection that sent `first_bytes` and then nothing; None if it did not."""
    sock = connect(port)
    if first_bytes:
        sock.sendall(first_bytes)
    started = time.monotonic()
    try:
        while True:
            if not sock.recv(65536):
                return time.monotonic() - started
    except (socket.timeout, TimeoutError):
        return None
    except ConnectionResetError:
        return time.monotonic() - started
    finally:
        sock.close()


def trickled_head_closed_after(port):
    """Seconds until the server closes a connection whose request head comes a byte every 0.2 s (slowloris)."""
    sock = connect(port)
    sock.setblocking(False)
    text = f"GET {BASE}/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: {'a' * 200}\r\n\r\n".encode()
    started = time.monotonic()
    try:
        for byte in text:
            if time.monotonic() - started > DEADLINE:
                return None
            try:
                sock.send(bytes([byte]))
                if sock.recv(65536) == b"":
                    return time.monotonic() - started
            except BlockingIOError:
                pass
            time.sleep(0.2)
        return None
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - started
    finally:
        sock.close()


def huge_head(port):
    """What a request with 100 KiB of headers gets: ("status", N), ("closed", None) or ("open", None)."""
    sock = connect(port)
    filler = "".join(f"X-Filler-{i}: {'a' * 1000}\r\n" for i in range(100))
    request = f"GET {BASE}/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {SANDBOX_KEY}\r\n{filler}\r\n".encode()
    try:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return "status", response.status
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return "closed", None
    except (socket.timeout, TimeoutError):
        return "open", None
    finally:
        sock.close()


def main():
    wlcomm, url = sys.argv[1:3]
    port = free_port()
    env = {"WLCOMM_LIMITS_BODY_READ_TIMEOUT_SECONDS": "1", "WLCOMM_LIMITS_IDLE_TIMEOUT_SECONDS": "2"}
    server = start_server(wlcomm, url, port, env)
    checks = Checks("slow clients")
    try:
        status, body, request_id, elapsed, sent = trickled_body(port)
        checks.check("a body trickled a byte every 0.2 s is cut off with 408", status == 408,
                     f"status {status} after {elapsed:.1f} s and {sent} bytes")
        checks.check("the 408 is the error envelope with code request_timeout",
                     isinstance(body, dict) and body.get("code") == "request_timeout", str(body)[:200])
        checks.check("the 408 carries a request id", bool(request_id), str(request_id))
        checks.check("the 408 comes after the 1 s body timeout, well before the body could finish",
                     1.0 <= elapsed < 5, f"{elapsed:.2f} s")

        silent = closed_after(port, b"")
        checks.check("a connection that sends nothing is closed after the 2 s idle timeout",
                     silent is not None and 1.5 <= silent < DEADLINE, f"closed after {silent:.2f} s" if silent else "not closed")
        partial = closed_after(port, f"GET {BASE}/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        checks.check("a connection that sends half a request head is closed after the idle timeout",
                     partial is not None and 1.5 <= partial < DEADLINE, f"closed after {partial:.2f} s" if partial else "not closed")

        slowloris = trickled_head_closed_after(port)
        checks.check("a request head trickled a byte every 0.2 s is closed after the idle timeout, unfinished",
                     slowloris is not None and 1.5 <= slowloris < DEADLINE, f"closed after {slowloris:.2f} s" if slowloris else "not closed")

        outcome, code = huge_head(port)
        checks.check("100 KiB of request headers are refused (4xx or the connection closed)",
                     outcome == "closed" or (outcome == "status" and 400 <= code < 500), f"{outcome} {code}")

        status, _ = call(port, "GET", "/sms-credits/balance")
        checks.check("the server still answers a normal request", status == 200, f"status {status}")
    finally:
        server.terminate()
        server.wait()
    checks.close()


if __name__ == "__main__":
    main()
