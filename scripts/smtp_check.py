#!/usr/bin/env python3
"""Live bulk email through a local SMTP relay (aiosmtpd), checked against docs/email.md.

Makes a throwaway CA and a server certificate for 127.0.0.1/localhost (openssl CLI), and starts an aiosmtpd relay
that requires STARTTLS and AUTH (user wl, password secret-pw) and records every message. RCPT TO
nobody@example.net is refused 550; the first DATA to flaky@example.net is answered 451, later ones 250. `wlcomm serve`
sends through it (STARTTLS verified against the CA file) for a live firm whose client "O'Brien & <Sons>" is the
placeholder source. The check compares with docs/email.md: the 202 and its skipped recipients; delivered, retried
and failed outcomes with the relay's replies; the message on the wire (headers, multipart/alternative, UTF-8
quoted-printable, line lengths, HTML-escaped placeholders, rewritten links and the open pixel, TLS, AUTH PLAIN,
HELO name); the tracking endpoints (302 to the exact URL, 404 for altered tokens, the 43-byte GIF) and the counts
and webhooks they cause; GET /email and its filters (the recipient filter with a capital in the local part);
cancelling; the suppression list (CLI, skip reason, removal); the sandbox firm; then, after restarts, an implicit-TLS
relay offering only AUTH LOGIN, a relay that injects replies after its 220 to STARTTLS (failed, TLS never started on
that connection), and a relay that accepts connections but never greets (failed after the retries with a timeout,
within 30 s).

Usage: smtp_check.py WLCOMM DATABASE_URL   (run with a Python that has aiosmtpd, e.g. .venv/bin/python)
"""
import collections
import datetime
import email
import email.policy
import html.parser
import http.client
import http.server
import json
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import urllib.parse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from wltest import SANDBOX_KEY, Checks, call, cli, free_port, start_server

USER, PASSWORD = "wl", "secret-pw"
HELO = "wl.test"
JANE, FLAKY, NOBODY = "jane@example.net", "flaky@example.net", "nobody@example.net"
NAME = "O'Brien & <Sons>"
SUBJECT = "Malipo ya ankara — {first_name} ✓"
HTML_BODY = '<p>Hello {first_name},</p><p><a href="https://pay.example.com/inv?id=42&amp;x=1">Pay now</a></p>'
TARGET = "https://pay.example.com/inv?id=42&x=1"
FINAL = ("delivered", "failed")
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = smtp_check
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


class Abort(Exception):
    """Nothing further can be checked."""


def make_certificates(folder):
    """(CA file, server certificate, server key): a throwaway CA and a certificate it signed for 127.0.0.1 and
    localhost, valid two days."""
    config = os.path.join(folder, "openssl.cnf")
    with open(config, "w") as f:
        f.write(OPENSSL_CONFIG)
    ca, ca_key = os.path.join(folder, "ca.pem"), os.path.join(folder, "ca.key")
    cert, key, csr = (os.path.join(folder, name) for name in ("server.pem", "server.key", "server.csr"))
    steps = [
        ["req", "-x509", "-config", config, "-extensions", "ca_ext", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
         "-out", ca, "-days", "2", "-subj", "/CN=wlcomm smtp_check CA"],
        ["req", "-new", "-config", config, "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
         "-days", "2", "-extfile", config, "-extensions", "server_ext", "-out", cert],
    ]
    for step in steps:
        done = subprocess.run([OPENSSL, *step], capture_output=True, text=True)
        if done.returncode != 0:
            raise Abort(f"openssl {step[0]} failed: {done.stderr.strip()[:300]}")
    return ca, cert, key


class Relay:
    """An aiosmtpd handler and authenticator that records what it is sent and scripts the magic recipients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # every DATA: envelope, raw bytes, session facts, and whether it was accepted
        self.data_attempts = collections.Counter()  # recipient -> DATA commands
        self.refused_rcpt = collections.Counter()  # recipient -> RCPT refused
        self.auths = []  # (mechanism, login, succeeded, under TLS)

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(), PASSWORD.encode())
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else None
        with self.lock:
            self.auths.append((mechanism, login, ok, session.ssl is not None))
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == NOBODY:
            with self.lock:
                self.refused_rcpt[address.lower()] += 1
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        recipients = [r.lower() for r in envelope.rcpt_tos]
        with self.lock:
            for r in recipients:
                self.data_attempts[r] += 1
            refuse = FLAKY in recipients and self.data_attempts[FLAKY] == 1
            number = len(self.messages) + 1
            self.messages.append({
                "mail_from": envelope.mail_from, "mail_options": list(envelope.mail_options), "rcpt_tos": recipients,
                "raw": bytes(envelope.original_content or b""), "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated), "helo": session.host_name, "accepted": not refuse})
        if refuse:
            return "451 4.3.0 Try again later"
        return f"250 2.0.0 Ok: queued as SC{number:05d}"

    def accepted_for(self, address):
        with self.lock:
            return [m for m in self.messages if m["accepted"] and address in m["rcpt_tos"]]


class Silent:
    """A TCP listener that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.stopped = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
                self.connections.append(connection)
            except (socket.timeout, OSError):
                continue

    def close(self):
        self.stopped.set()
        for connection in self.connections:
            connection.close()
        self.sock.close()


class Injector(Silent):
    """A relay in the middle that answers STARTTLS with its 220 and, in the same packet, a forged reply (STARTTLS
    response injection): a client must not take cleartext bytes as answers inside TLS. Records what follows."""

    def __init__(self):
        super().__init__()
        self.after_starttls = []

    def accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections.append(connection)
            threading.Thread(target=self.converse, args=(connection,), daemon=True).start()

    def converse(self, connection):
        try:
            connection.settimeout(5)
            connection.sendall(b"220 relay.smtp-check.test ESMTP\r\n")
            reader = connection.makefile("rb")
            while line := reader.readline():
                if line.upper().startswith((b"EHLO", b"HELO")):
                    connection.sendall(b"250-relay.smtp-check.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
                elif line.upper().startswith(b"STARTTLS"):
                    connection.sendall(b"220 Go ahead\r\n250-relay.smtp-check.test\r\n250 AUTH PLAIN\r\n")
                    self.after_starttls.append(connection.recv(1) or b"")  # a TLS ClientHello starts 0x16
                    return
                else:
                    connection.sendall(b"502 Not here\r\n")
        except OSError:
            pass


class Hooks(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: keeps every payload."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            Hooks.received.append(json.loads(body))
        except ValueError:
            Hooks.received.append({"unparsed": body.decode(errors="replace")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Links(html.parser.HTMLParser):
    """The anchors (href, text), images (attributes) and text of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors, self.images, self.text, self._anchor = [], [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._anchor = [dict(attrs).get("href"), ""]
            self.anchors.append(self._anchor)
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "a":
            self._anchor = None

    def handle_data(self, data):
        self.text.append(data)
        if self._anchor is not None:
            self._anchor[1] += data


def run_cli(wlcomm, url, *args):
    """`cli`, with a failure turned into Abort (the command and its stderr) instead of a traceback."""
    try:
        return cli(wlcomm, url, *args)
    except subprocess.CalledProcessError as error:
        raise Abort(f"wlcomm {' '.join(args)} exited {error.returncode}: {(error.stderr or '').strip()[:300]}")
    except ValueError as error:
        raise Abort(f"wlcomm {' '.join(args)} printed something that is not JSON: {error}")


def data_of(body):
    return body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else {}


def strings_in(value):
    """Every string anywhere in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def lists(value, address):
    """Whether a CLI listing (any JSON shape) names `address`."""
    return any(s.lower() == address for s in strings_in(value))


def get_email(port, key, id):
    status, body = call(port, "GET", f"/email/{id}", key=key)
    return data_of(body) if status == 200 else {}


def wait_for(port, key, ids, done, seconds):
    """Polls GET /email/{id} until `done(view)` holds for each, or `seconds` pass; the last view of each."""
    deadline = time.time() + seconds
    last = {}
    while True:
        for id in ids:
            if not done(last.get(id, {})):
                last[id] = get_email(port, key, id)
        if all(done(last[id]) for id in ids) or time.time() > deadline:
            return last
        time.sleep(0.2)


def is_final(view):
    return view.get("status") in FINAL


def fetch(port, path):
    """(status, headers, body) of a GET on the service outside the API, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def altered(token, index):
    """`token` with the base64url character at `index` replaced by another one."""
    c = token[index]
    return token[:index] + ("B" if c == "A" else "A") + token[index + 1:]


def send(port, key, body):
    status, answer = call(port, "POST", "/email", body, key=key)
    return status, answer if isinstance(answer, dict) else {"text": str(answer)[:200]}


def scheduled_ids(answer):
    return {m.get("recipient", "").lower(): m.get("message_id") for m in data_of(answer).get("messages", [])}


def check_message(checks, raw, jane_id, port, rcpt_tos):
    """The checks on jane's message as the relay received it. Returns (click URL, pixel URL) found in the HTML."""
    check = checks.check
    lines = raw.split(b"\r\n")
    check("the message uses CRLF line ends only", b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b""))
    longest = max((len(line) for line in lines), default=0)
    check("every line of the message is at most 998 bytes", longest <= 998, f"longest {longest}")
    check("the envelope names jane only", rcpt_tos == [JANE], str(rcpt_tos))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = message["From"]
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    check('From is "Mail Ltd ✓" <billing@mail.example>', len(addresses) == 1
          and (addresses[0].display_name, addresses[0].addr_spec) == ("Mail Ltd ✓", "billing@mail.example"), str(sender))
    check("To is jane@example.net", str(message["To"]) == JANE, str(message["To"]))
    check("Reply-To is accounts@mail.example", str(message["Reply-To"]) == "accounts@mail.example", str(message["Reply-To"]))
    check("Subject decodes to the subject with the name as it is", str(message["Subject"]) == f"Malipo ya ankara — {NAME} ✓",
          str(message["Subject"]))
    raw_subject = re.search(rb"^Subject:(.*(?:\r\n[ \t].*)*)", raw, re.M | re.I)
    check("the raw Subject is RFC 2047 UTF-8 base64", bool(raw_subject) and b"=?utf-8?b?" in raw_subject.group(1).lower(),
          raw_subject.group(1)[:80].decode(errors="replace") if raw_subject else "no Subject")
    date = message["Date"]
    when = getattr(date, "datetime", None) if date is not None else None
    check("Date is present and now", when is not None and when.tzinfo is not None
          and abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 600, str(date))
    check("Message-ID is <wl.{message_id}.{random}@mail.example>",
          re.fullmatch(rf"<wl\.{jane_id}\.[^@\s<>]+@mail\.example>", str(message["Message-ID"] or "")) is not None,
          str(message["Message-ID"]))
    check("X-WL-Message-Id is the message id", str(message["X-WL-Message-Id"]) == str(jane_id), str(message["X-WL-Message-Id"]))
    check("MIME-Version is 1.0", str(message["MIME-Version"]) == "1.0", str(message["MIME-Version"]))
    check("List-Unsubscribe is <mailto:{reply-to}?subject=unsubscribe>",
          str(message["List-Unsubscribe"]) == "<mailto:accounts@mail.example?subject=unsubscribe>", str(message["List-Unsubscribe"]))
    check("the body is multipart/alternative", message.get_content_type() == "multipart/alternative", message.get_content_type())
    parts = list(message.iter_parts()) if message.is_multipart() else []
    check("with exactly a text/plain and a text/html part", [p.get_content_type() for p in parts] == ["text/plain", "text/html"],
          str([p.get_content_type() for p in parts]))
    check("both parts UTF-8 quoted-printable", len(parts) == 2 and all(
        p.get_content_charset() == "utf-8" and str(p.get("Content-Transfer-Encoding", "")).lower() == "quoted-printable"
        for p in parts), str([(p.get_content_charset(), p.get("Content-Transfer-Encoding")) for p in parts]))
    longest_qp = max((len(line) for p in parts for line in str(p.get_payload(decode=False)).splitlines()), default=0)
    check("quoted-printable lines at most 76 characters", longest_qp <= 76, f"longest {longest_qp}")
    text = next((p.get_content() for p in parts if p.get_content_type() == "text/plain"), "")
    markup = next((p.get_content() for p in parts if p.get_content_type() == "text/html"), "")
    check("the text part has the name as it is", f"Hello {NAME}," in text, repr(text[:200]))
    check("the text part shows the link as text (url)", "Pay now (" in text, repr(text[:300]))
    escaped = re.search(r"Hello O(&#39;|&#039;|&#x27;|&#X27;|&apos;)Brien &amp; &lt;Sons&gt;,", markup)
    check("the HTML part has the name HTML-escaped (O&#39;Brien &amp; &lt;Sons&gt;)", escaped is not None, markup[:300])
    check("the raw name never appears in the HTML part", "<Sons>" not in markup and "Brien & " not in markup)
    links = Links()
    links.feed(markup)
    check("the HTML still reads Hello O'Brien & <Sons>, to a reader", f"Hello {NAME}," in "".join(links.text))
    hrefs = [href for href, _ in links.anchors]
    pay = [href for href, label in links.anchors if label.strip() == "Pay now"]
    click = pay[0] if len(pay) == 1 else ""
    check("the link is rewritten to /t/c/{token} on the tracking base URL",
          re.fullmatch(rf"http://127\.0\.0\.1:{port}/t/c/[A-Za-z0-9_\-.]+", click or "") is not None, str(hrefs))
    check("no link leads to the original URL directly", not any("pay.example.com" in (h or "") for h in hrefs), str(hrefs))
    pixels = [i for i in links.images
              if re.fullmatch(rf"http://127\.0\.0\.1:{port}/t/o/[A-Za-z0-9_\-.]+\.gif", i.get("src") or "")]
    check("a 1x1 open pixel /t/o/{token}.gif", len(pixels) == 1 and pixels[0].get("width") == "1"
          and pixels[0].get("height") == "1", str(links.images))
    return click, (pixels[0]["src"] if pixels else "")


def main():
    wlcomm, url = sys.argv[1:3]
    os.environ["WLCOMM_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the webhook receiver is on loopback (server and CLI)
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd: session errors only, not its deprecation notes
    checks = Checks("smtp")
    check = checks.check
    folder = tempfile.mkdtemp(prefix="wlcomm-smtp.")
    relay, controller, silent, server, receiver = Relay(), None, None, None, None
    try:
        ca, cert, key_file = make_certificates(folder)
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(cert, key_file)
        smtp_port = free_port()
        controller = Controller(relay, hostname="127.0.0.1", port=smtp_port, server_hostname="relay.smtp-check.test",
                                tls_context=server_tls, require_starttls=True, auth_required=True, auth_require_tls=True,
                                authenticator=relay.authenticate)
        controller.start()
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()

        port = free_port()
        server = start_server(wlcomm, url, port, {
            "WLCOMM_SMTP_HOST": "127.0.0.1", "WLCOMM_SMTP_PORT": str(smtp_port), "WLCOMM_SMTP_TLS": "starttls",
            "WLCOMM_SMTP_USER": USER, "WLCOMM_SMTP_PASSWORD": PASSWORD, "WLCOMM_SMTP_CA_FILE": ca,
            "WLCOMM_SMTP_HELO_NAME": HELO, "WLCOMM_SMTP_TIMEOUT_SECONDS": "2", "WLCOMM_DISPATCH_MAX_ATTEMPTS": "3",
            "WLCOMM_DISPATCH_BASE_BACKOFF_SECONDS": "1", "WLCOMM_TRACKING_BASE_URL": f"http://127.0.0.1:{port}",
            "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true"})

        print("-- a live firm with a sender identity and a client")
        run_cli(wlcomm, url, "firm", "create", "--slug", "mail", "--name", "Mail Ltd", "--rate", "1", "--mode", "live")
        run_cli(wlcomm, url, "firm", "set-sender", "--firm", "mail", "--from", "billing@mail.example", "--name", "Mail Ltd ✓",
                "--reply-to", "accounts@mail.example")
        try:
            cli(wlcomm, url, "firm", "set-sender", "--firm", "mail", "--from", "billing@mail.example", "--name", "M" * 201)
            check("a From name of 201 characters is refused", False, "the command succeeded")
        except subprocess.CalledProcessError as error:
            check("a From name of 201 characters is refused", "--name is 1 to 200 characters" in (error.stderr or ""),
                  (error.stderr or "")[:300])
        key = run_cli(wlcomm, url, "key", "create", "--firm", "mail")["api_key"]
        run_cli(wlcomm, url, "webhook", "set", "--firm", "mail", "--url", f"http://127.0.0.1:{receiver.server_address[1]}/hooks")
        contacts = os.path.join(folder, "contacts.csv")
        with open(contacts, "w", encoding="utf-8") as f:
            f.write(f"first_name,last_name,email,kind\n{NAME},,{JANE},client\n")
        imported = run_cli(wlcomm, url, "contacts", "import", "--firm", "mail", contacts)
        check("the client is imported", isinstance(imported, dict) and imported.get("inserted") == 1
              and not imported.get("refused"), str(imported))

        print("-- refused bodies")
        base = {"subject": "Hi", "message": "Hello", "recipients": [JANE]}
        for name, body in [("an unknown field", dict(base, sender="ceo@mail.example")),
                           ("a subject with CR LF", dict(base, subject="Hi\r\nBcc: everyone@example.net")),
                           ("no subject", {"message": "Hello", "recipients": [JANE]}),
                           ("no recipients", dict(base, recipients=[]))]:
            status, answer = send(port, key, body)
            check(f"422 validation_failed for {name}", status == 422 and answer.get("code") == "validation_failed",
                  f"{status} {str(answer)[:160]}")

        print("-- POST /email")
        sent_at = time.time()
        status, answer = send(port, key, {"subject": SUBJECT, "message": HTML_BODY, "reference": "smtp-check-1",
                                          "recipients": [JANE, "Jane@EXAMPLE.net", "not-an-address", FLAKY, NOBODY]})
        data = data_of(answer)
        check("202 Emails scheduled successfully.", status == 202 and answer.get("status") == "success"
              and answer.get("message") == "Emails scheduled successfully.", f"{status} {str(answer)[:300]}")
        if status != 202:
            raise Abort("POST /email was refused; nothing else can be checked")
        ids = scheduled_ids(answer)
        check("three scheduled: jane, flaky, nobody", data.get("scheduled") == 3 and set(ids) == {JANE, FLAKY, NOBODY},
              str(data)[:300])
        check("blast id MAIL-…, the reference echoed", str(data.get("blast_id", "")).startswith("MAIL-")
              and data.get("reference") == "smtp-check-1", str(data)[:200])
        skipped = {(str(s.get("recipient")).lower(), s.get("reason")) for s in data.get("skipped", [])}
        check("skipped: the duplicate (case-insensitive) and the invalid address",
              skipped == {("jane@example.net", "duplicate"), ("not-an-address", "invalid_email")}, str(data.get("skipped")))
        if set(ids) != {JANE, FLAKY, NOBODY}:
            raise Abort("the recipients scheduled are not the three expected")

        final = wait_for(port, key, ids.values(), is_final, 40)
        jane, flaky, nobody = final[ids[JANE]], final[ids[FLAKY]], final[ids[NOBODY]]
        check("jane: delivered, response 250 from the relay", jane.get("status") == "delivered" and jane.get("status_code") == 1
              and str(jane.get("response", "")).startswith("250"), str(jane)[:300])
        check("flaky: delivered after a 451", flaky.get("status") == "delivered"
              and str(flaky.get("response", "")).startswith("250") and relay.data_attempts[FLAKY] == 2,
              f"{flaky.get('status')} {flaky.get('response')!r}, {relay.data_attempts[FLAKY]} DATA")
        check("nobody: failed with the 550", nobody.get("status") == "failed" and nobody.get("status_code") == 2
              and str(nobody.get("response", "")).startswith("550"), f"{nobody.get('status')} {nobody.get('response')!r}")
        check("nobody was refused at RCPT once and never got to DATA",
              relay.refused_rcpt[NOBODY] == 1 and relay.data_attempts[NOBODY] == 0,
              f"{relay.refused_rcpt[NOBODY]} RCPT, {relay.data_attempts[NOBODY]} DATA")
        check("GET /email/{id} has the documented fields", set(jane) >= {
            "type", "event", "message_id", "blast_id", "reference", "recipient", "status", "status_code", "response",
            "subject", "opened_at", "clicked_at", "opens", "clicks", "created_at", "sent_at", "delivered_at"}
              and jane.get("type") == "email" and jane.get("event") == "communication.email.delivered"
              and jane.get("sent_at") is not None and jane.get("delivered_at") is not None, str(sorted(jane)))
        check("GET /email/{id} shows the filled subject", jane.get("subject") == f"Malipo ya ankara — {NAME} ✓",
              str(jane.get("subject")))

        print("-- the message on the wire")
        received = relay.accepted_for(JANE)
        check("the relay received jane's message once", len(received) == 1, str(len(received)))
        if not received:
            raise Abort("the relay has no message for jane")
        got = received[0]
        check("it came over STARTTLS, verified against the CA file", got["tls"])
        check("after AUTH PLAIN as wl", got["authenticated"] and any(
            m == "PLAIN" and login == USER and ok and tls for m, login, ok, tls in relay.auths), str(relay.auths))
        check("EHLO named smtp.heloName", got["helo"] == HELO, str(got["helo"]))
        check("MAIL FROM is the firm's address", got["mail_from"] == "billing@mail.example", str(got["mail_from"]))
        size = next((o.split("=", 1)[1] for o in got["mail_options"] if o.upper().startswith("SIZE=")), "")
        check("MAIL FROM declares SIZE= (the relay offers SIZE)", size.isdigit() and int(size) > 0, str(got["mail_options"]))
        click, pixel = check_message(checks, got["raw"], ids[JANE], port, got["rcpt_tos"])

        print("-- tracking")
        prefix = f"http://127.0.0.1:{port}"
        click_path, pixel_path = click.removeprefix(prefix), pixel.removeprefix(prefix)
        if click_path.startswith("/t/c/"):
            status, headers, _ = fetch(port, click_path)
            check("the click URL answers 302 to the exact original URL", status == 302 and headers.get("location") == TARGET,
                  f"{status} {headers.get('location')}")
            token = click_path.removeprefix("/t/c/")
            for where, index in [("payload", 0), ("signature", len(token) - 2)]:
                status, _, _ = fetch(port, "/t/c/" + altered(token, index))
                check(f"the click token with a character of its {where} changed is 404", status == 404, str(status))
            if pixel_path.startswith("/t/o/"):
                status, _, _ = fetch(port, "/t/c/" + pixel_path.removeprefix("/t/o/").removesuffix(".gif"))
                check("the open token used as a click token is 404", status == 404, str(status))
        if pixel_path.startswith("/t/o/"):
            for _ in range(2):
                status, headers, body = fetch(port, pixel_path)
            check("the pixel is a 43-byte GIF, no-store", status == 200 and headers.get("content-type", "").startswith("image/gif")
                  and len(body) == 43 and body[:4] == b"GIF8" and "no-store" in headers.get("cache-control", ""),
                  f"{status} {headers.get('content-type')} {len(body)} bytes, {headers.get('cache-control')}")
            token = pixel_path.removeprefix("/t/o/").removesuffix(".gif")
            status, _, _ = fetch(port, "/t/o/" + altered(token, 0) + ".gif")
            check("the pixel with an altered token is 404", status == 404, str(status))
        counted = wait_for(port, key, [ids[JANE]], lambda v: v.get("opens", 0) >= 1 and v.get("clicks", 0) >= 1, 10)[ids[JANE]]
        check("GET /email/{id}: clicks 1, opens 1 (the pixel twice within a minute counts once), opened_at and clicked_at set",
              counted.get("clicks") == 1 and counted.get("opens") == 1 and counted.get("opened_at") is not None
              and counted.get("clicked_at") is not None, str({k: counted.get(k) for k in ("opens", "clicks", "opened_at", "clicked_at")}))

        print("-- GET /email")
        blast = data.get("blast_id", "")
        status, page = call(port, "GET", f"/email?blast_id={blast}", key=key)
        listed = [m.get("message_id") for m in data_of(page).get("messages", [])]
        check("GET /email?blast_id= lists the blast's three emails, newest first",
              status == 200 and listed == sorted(ids.values(), reverse=True), f"{status} {listed}")
        for value in ("failed", "2"):
            status, page = call(port, "GET", f"/email?blast_id={blast}&status={value}", key=key)
            listed = [m.get("message_id") for m in data_of(page).get("messages", [])]
            check(f"status={value} lists nobody's only", status == 200 and listed == [ids[NOBODY]], f"{status} {listed}")
        status, page = call(port, "GET", f"/email?blast_id={blast}&limit=2", key=key)
        first = data_of(page)
        status2, page2 = call(port, "GET", f"/email?blast_id={blast}&limit=2&starting_after={first.get('next_starting_after')}",
                              key=key)
        check("limit and starting_after page through", status == status2 == 200 and first.get("has_more") is True
              and [m.get("message_id") for m in first.get("messages", []) + data_of(page2).get("messages", [])]
              == sorted(ids.values(), reverse=True) and data_of(page2).get("has_more") is False, f"{first} {page2}"[:300])
        status, _ = call(port, "GET", f"/email/{ids[JANE]}")
        check("another firm's email is 404", status == 404, str(status))
        status, answer = call(port, "POST", "/sms", {"message": "Hello", "recipients": ["254712345678"]})
        sms_id = next(iter(scheduled_ids(answer).values()), None)
        status, _ = call(port, "GET", f"/email/{sms_id}")
        check("an SMS id is 404 at /email/{id}", sms_id is not None and status == 404, f"{sms_id} {status}")
        status, _ = call(port, "GET", "/email/999999999", key=key)
        check("an unknown id is 404", status == 404, str(status))

        print("-- cancelling")
        tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).isoformat(timespec="seconds")
        status, answer = send(port, key, {"subject": "Later", "message": "Not yet", "send_at": tomorrow,
                                          "recipients": ["later1@example.net", "later2@example.net"]})
        later = scheduled_ids(answer)
        check("202 for a send tomorrow", status == 202 and len(later) == 2, f"{status} {str(answer)[:200]}")
        if len(later) == 2:
            one = later["later1@example.net"]
            first_status, first_body = call(port, "POST", f"/email/{one}/cancel", key=key)
            again_status, again_body = call(port, "POST", f"/email/{one}/cancel", key=key)
            check("cancelling a pending email: 200, and 200 again with no change",
                  first_status == again_status == 200 and data_of(first_body).get("status") == "failed"
                  and data_of(first_body) == data_of(again_body), f"{first_status} {again_status} {str(first_body)[:200]}")
            later_blast = data_of(answer).get("blast_id")
            status, body = call(port, "POST", f"/email/blasts/{later_blast}/cancel", key=key)
            check("cancelling the blast: 200, one cancelled, one already cancelled",
                  status == 200 and {k: data_of(body).get(k) for k in ("cancelled", "already_cancelled", "not_cancellable")}
                  == {"cancelled": 1, "already_cancelled": 1, "not_cancellable": 0}, f"{status} {str(body)[:200]}")
        status, _ = call(port, "POST", f"/email/{ids[JANE]}/cancel", key=key)
        check("cancelling a delivered email is 409", status == 409, str(status))
        status, _ = call(port, "POST", f"/email/blasts/{blast}/cancel", key=key)
        check("cancelling a blast that was all sent is 409", status == 409, str(status))

        print("-- suppression")
        listing = run_cli(wlcomm, url, "suppression", "list", "--firm", "mail")
        check("suppression list names nobody@example.net after the 550 at RCPT", lists(listing, NOBODY), str(listing)[:300])
        status, answer = send(port, key, {"subject": "Again", "message": "Hello", "recipients": [NOBODY]})
        reasons = " ".join(strings_in(answer.get("errors", {}))) if isinstance(answer, dict) else ""
        check("a send to it alone: 422, the reason suppressed in the errors", status == 422
              and answer.get("code") == "validation_failed" and "suppressed" in reasons, f"{status} {str(answer)[:300]}")
        status, answer = send(port, key, {"subject": "Again", "message": "Hello", "recipients": [NOBODY, "second@example.net"]})
        again = scheduled_ids(answer)
        check("with another address: 202, it skipped as suppressed", status == 202 and set(again) == {"second@example.net"}
              and [(str(s.get("recipient")).lower(), s.get("reason")) for s in data_of(answer).get("skipped", [])]
              == [(NOBODY, "suppressed")], f"{status} {str(answer)[:300]}")
        run_cli(wlcomm, url, "suppression", "remove", "--firm", "mail", "--address", NOBODY)
        listing = run_cli(wlcomm, url, "suppression", "list", "--firm", "mail")
        check("suppression remove takes it off the list", not lists(listing, NOBODY), str(listing)[:300])
        status, answer = send(port, key, {"subject": "Again", "message": "Hello", "recipients": [NOBODY, "third@example.net"]})
        check("after removal a send schedules it again", status == 202 and NOBODY in scheduled_ids(answer)
              and not data_of(answer).get("skipped"), f"{status} {str(answer)[:300]}")
        settled = wait_for(port, key, [*again.values(), *scheduled_ids(answer).values()], is_final, 30)
        check("those sends settle (the address refused and suppressed again)",
              all(is_final(v) for v in settled.values()) and lists(run_cli(wlcomm, url, "suppression", "list", "--firm", "mail"), NOBODY),
              str([(v.get("recipient"), v.get("status")) for v in settled.values()]))

        print("-- the sandbox firm")
        status, answer = send(port, SANDBOX_KEY, {"subject": "Sandbox", "message": "<p>Hi {name}</p>",
                                                  "recipients": ["jane@example.com", "fail@example.com"]})
        sandbox = scheduled_ids(answer)
        check("202 with the sandbox key", status == 202 and set(sandbox) == {"jane@example.com", "fail@example.com"},
              f"{status} {str(answer)[:200]}")
        if sandbox:
            views = wait_for(port, SANDBOX_KEY, sandbox.values(), is_final, 10)
            ok, bad = views.get(sandbox.get("jane@example.com"), {}), views.get(sandbox.get("fail@example.com"), {})
            check('sandbox jane: delivered, "250 2.0.0 Ok (sandbox)"',
                  (ok.get("status"), ok.get("response")) == ("delivered", "250 2.0.0 Ok (sandbox)"), str(ok)[:200])
            check("sandbox fail@example.com: failed with a 550", bad.get("status") == "failed"
                  and str(bad.get("response", "")).startswith("550"), str(bad)[:200])
            listing = run_cli(wlcomm, url, "suppression", "list", "--firm", "sandbox")
            check("the sandbox firm's suppression list has fail@example.com", lists(listing, "fail@example.com"), str(listing)[:300])
            check("the sandbox sent nothing to the relay", not relay.accepted_for("jane@example.com"))
        status, answer = send(port, SANDBOX_KEY, {"subject": "Case", "message": "Hello", "recipients": ["Otieno@Example.COM"]})
        otieno = (data_of(answer).get("messages") or [{}])[0]
        check("the domain is lower-cased, the local part kept", status == 202 and otieno.get("recipient") == "Otieno@example.com",
              f"{status} {str(answer)[:200]}")
        found = {}
        for spelling in ("Otieno@example.com", "Otieno@Example.COM"):
            status, page = call(port, "GET", "/email?recipient=" + urllib.parse.quote(spelling), key=SANDBOX_KEY)
            found[spelling] = (status, [m.get("message_id") for m in data_of(page).get("messages", [])])
        check("GET /email?recipient= finds an address with capitals in its local part, as answered and as sent",
              all(got == (200, [otieno.get("message_id")]) for got in found.values()), str(found))

        print("-- webhooks and credits")
        wanted = {"communication.email.delivered", "communication.email.opened", "communication.email.clicked"}
        deadline = time.time() + 15
        while time.time() < deadline and not wanted <= {h.get("event") for h in Hooks.received if h.get("message_id") == ids[JANE]}:
            time.sleep(0.2)
        events = collections.Counter(h.get("event") for h in Hooks.received if h.get("message_id") == ids[JANE])
        check("jane's events: delivered, and opened and clicked once each (the pixel was fetched twice)",
              all(events[e] == 1 for e in wanted), str(dict(events)))
        status, body = call(port, "GET", "/sms-credits/balance", key=key)
        check("email costs no SMS credits", status == 200 and data_of(body).get("sms_credits") == 0, f"{status} {body}")

        print("-- implicit TLS (port 465 style) and AUTH LOGIN when PLAIN is not offered")
        server.terminate()
        server.wait()
        server = None
        implicit_relay = Relay()
        # aiosmtpd warns that AUTH without required STARTTLS is unsafe; here TLS is implicit, so the warning does not apply.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        implicit_port = free_port()
        implicit = Controller(implicit_relay, hostname="127.0.0.1", port=implicit_port, server_hostname="relay.smtp-check.test",
                              ssl_context=server_tls, auth_required=True, auth_require_tls=False,  # TLS is implicit here
                              auth_exclude_mechanism=["PLAIN"], authenticator=implicit_relay.authenticate)
        implicit.start()
        try:
            port = free_port()
            server = start_server(wlcomm, url, port, {
                "WLCOMM_SMTP_HOST": "127.0.0.1", "WLCOMM_SMTP_PORT": str(implicit_port), "WLCOMM_SMTP_TLS": "tls",
                "WLCOMM_SMTP_USER": USER, "WLCOMM_SMTP_PASSWORD": PASSWORD, "WLCOMM_SMTP_CA_FILE": ca,
                "WLCOMM_SMTP_HELO_NAME": HELO, "WLCOMM_SMTP_TIMEOUT_SECONDS": "2",
                "WLCOMM_TRACKING_BASE_URL": f"http://127.0.0.1:{port}", "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true"})
            status, answer = send(port, key, {"subject": "Over TLS", "message": "Hello over TLS", "recipients": ["tls@example.net"]})
            tls_id = scheduled_ids(answer).get("tls@example.net")
            check("202", status == 202 and tls_id is not None, f"{status} {str(answer)[:200]}")
            if tls_id is not None:
                view = wait_for(port, key, [tls_id], is_final, 20)[tls_id]
                # This relay speaks only TLS from the first byte (aiosmtpd marks session.ssl for STARTTLS only), so
                # a delivery through it is a delivery over TLS, with the certificate checked against the CA file.
                check("delivered through the implicit-TLS relay", view.get("status") == "delivered", str(view.get("response")))
                got = implicit_relay.accepted_for("tls@example.net")
                check("the relay received it once", len(got) == 1, str(len(got)))
                check("AUTH LOGIN was used (PLAIN was not offered) and succeeded",
                      any(a[0] == "LOGIN" and a[2] for a in implicit_relay.auths), str(implicit_relay.auths))
        finally:
            implicit.stop()

        print("-- STARTTLS response injection")
        server.terminate()
        server.wait()
        server = None
        injector = Injector()
        try:
            port = free_port()
            server = start_server(wlcomm, url, port, {
                "WLCOMM_SMTP_HOST": "127.0.0.1", "WLCOMM_SMTP_PORT": str(injector.port), "WLCOMM_SMTP_TLS": "starttls",
                "WLCOMM_SMTP_USER": USER, "WLCOMM_SMTP_PASSWORD": PASSWORD, "WLCOMM_SMTP_CA_FILE": ca,
                "WLCOMM_SMTP_HELO_NAME": HELO, "WLCOMM_SMTP_TIMEOUT_SECONDS": "2", "WLCOMM_DISPATCH_MAX_ATTEMPTS": "2",
                "WLCOMM_DISPATCH_BASE_BACKOFF_SECONDS": "1", "WLCOMM_TRACKING_BASE_URL": f"http://127.0.0.1:{port}",
                "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true"})
            status, answer = send(port, key, {"subject": "Injected", "message": "Hello", "recipients": ["mitm@example.net"]})
            mitm = scheduled_ids(answer).get("mitm@example.net")
            check("202", status == 202 and mitm is not None, f"{status} {str(answer)[:200]}")
            if mitm is not None:
                view = wait_for(port, key, [mitm], is_final, 30)[mitm]
                check("a relay that injects replies after its 220 to STARTTLS: the email fails, naming the injection",
                      view.get("status") == "failed" and "injection" in str(view.get("response", "")),
                      f"{view.get('status')} {view.get('response')!r}")
                check("the client never started TLS on the tainted connection (nothing sent after STARTTLS)",
                      bool(injector.after_starttls) and all(b == b"" for b in injector.after_starttls),
                      str(injector.after_starttls))
        finally:
            injector.close()

        print("-- a relay that never greets")
        if server is not None:
            server.terminate()
            server.wait()
            server = None
        silent = Silent()
        port = free_port()
        server = start_server(wlcomm, url, port, {
            "WLCOMM_SMTP_HOST": "127.0.0.1", "WLCOMM_SMTP_PORT": str(silent.port), "WLCOMM_SMTP_TLS": "none",
            "WLCOMM_SMTP_HELO_NAME": HELO, "WLCOMM_SMTP_TIMEOUT_SECONDS": "2", "WLCOMM_DISPATCH_MAX_ATTEMPTS": "3",
            "WLCOMM_DISPATCH_BASE_BACKOFF_SECONDS": "1", "WLCOMM_TRACKING_BASE_URL": f"http://127.0.0.1:{port}",
            "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true"})
        began = time.time()
        status, answer = send(port, key, {"subject": "Hello?", "message": "Anyone there?", "recipients": ["slow@example.net"]})
        slow = scheduled_ids(answer).get("slow@example.net")
        check("202", status == 202 and slow is not None, f"{status} {str(answer)[:200]}")
        if slow is not None:
            view = wait_for(port, key, [slow], is_final, 45)[slow]
            took = time.time() - began
            check("failed after the retries, the response naming a timeout, within 30 s", view.get("status") == "failed"
                  and re.search(r"time[d]?[\s_-]?out", str(view.get("response", "")), re.I) is not None and took <= 30,
                  f"{view.get('status')} {view.get('response')!r} after {took:.1f} s")
            check("the silent relay was tried more than once, at most three times", 2 <= len(silent.connections) <= 3,
                  f"{len(silent.connections)} connections")
    except Abort as error:
        check(str(error), False)
    except SystemExit as error:
        check(f"stopped: {error}", False)
    except Exception as error:  # an unexpected answer: one failure line, not a traceback
        check(f"stopped by {type(error).__name__}: {error}", False)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if controller is not None:
            controller.stop()
        if silent is not None:
            silent.close()
        if receiver is not None:
            receiver.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    checks.close()


if __name__ == "__main__":
    main()
