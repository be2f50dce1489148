#!/usr/bin/env python3
"""The console in a real browser (issue #14): Debian's headless Chromium driven by Selenium, nothing downloaded.

Against a server started here (sandbox seeded, cheap bcrypt, private webhooks allowed) with an admin made by the CLI:

- the sandbox firm's owner signs in, creates an API key in API Integration and uses it with curl on the public API;
  sets the webhook to a local receiver, generates a signing secret, sends the test event and the receiver gets it,
  signed; buys sandbox credits and sees the balance grow; sends an SMS through the public API with the new key and
  sees it delivered on the Messages page and in its timeline; imports contacts (a refused line is named); invites a
  developer;
- the admin signs in, changes the sandbox firm's rate, and the owner's next purchase is priced at it; the change is
  in the audit log;
- a firm user cannot open the admin pages or call the admin API, nor read another firm's message; a form posted
  without its CSRF token is refused;
- every page is photographed at desktop (1280x900) and phone (390x844) widths into .build/console-screenshots/, and
  checked for a label on every field, one h1, and a title on every SVG.

Usage: console_check.py WLCOMM DATABASE_URL
Under CI a missing browser fails the check; elsewhere it is skipped with a message.
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request

from wltest import Checks, free_port, start_server, stop_server, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
OWNER = ("sandbox@worldledgers.test", "sandbox-password-1")
ADMIN = ("admin@worldledgers.test", "admin-password-for-the-check")
SHOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "console-screenshots")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PAID = "254712345678"  # no magic sandbox payer: paid in full, callback within a second (Sources/WLDomain/SandboxPayer.swift)


class Hooks(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Hooks.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def http_json(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"{}")
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")}


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class Console:
    """The browser, pointed at one server, with the checks it reports to."""

    def __init__(self, driver, origin, checks):
        self.driver, self.origin, self.checks = driver, origin, checks
        self.pages = []

    def open(self, path):
        self.driver.get(self.origin + path)

    def by_id(self, name):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.ID, name)

    def text(self, name):
        return self.by_id(name).text.strip()

    def fill(self, name, value):
        field = self.by_id(name)
        field.clear()
        field.send_keys(value)

    def click(self, name):
        """Clicks a submit button or link and waits for the next page to replace this one."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element(By.TAG_NAME, "html")
        self.by_id(name).click()

        def replaced(driver):
            try:
                old.tag_name  # raises once the old document is gone
                return False
            except Exception:
                return driver.execute_script("return document.readyState") == "complete"
        WebDriverWait(self.driver, 20).until(replaced)

    def sign_in(self, email, password):
        self.open("/console/sign-in")
        self.fill("email", email)
        self.fill("password", password)
        self.click("sign-in")

    def sign_out(self):
        self.click("sign-out")

    def remember(self, name):
        """Notes the current page for the screenshots at both widths, and checks its accessibility basics."""
        path = self.driver.current_url[len(self.origin):]
        self.pages.append((name, path))
        problems = self.driver.execute_script("""
            const problems = [];
            for (const field of document.querySelectorAll('input, select, textarea')) {
              if (field.type === 'hidden') continue;
              const labelled = (field.id && document.querySelector('label[for="' + field.id + '"]')) || field.getAttribute('aria-label');
              if (!labelled) problems.push('no label for ' + (field.name || field.id || field.type));
            }
            const headings = document.querySelectorAll('h1').length;
            if (headings !== 1) problems.push(headings + ' h1 elements');
            for (const svg of document.querySelectorAll('svg')) {
              if (!svg.querySelector('title') && !svg.getAttribute('aria-label')) problems.push('svg without a title');
            }
            for (const img of document.querySelectorAll('img')) {
              if (!img.hasAttribute('alt') && !img.title && !img.getAttribute('aria-label')) problems.push('img without alt, title or aria-label: ' + img.src);
            }
            if (!document.documentElement.lang) problems.push('no lang on html');
            return problems;
        """)
        self.checks.check(f"{name} page: labels, one h1, titled SVG and img, lang", not problems, "; ".join(problems))
        self.photograph(name)

    def photograph(self, name):
        """The page as it is now at desktop and phone widths (resized in place: no reload, so a secret shown once
        is in both)."""
        os.makedirs(SHOTS, exist_ok=True)
        for size, (width, height) in SIZES.items():
            self.driver.set_window_size(width, height)
            self.driver.save_screenshot(os.path.join(SHOTS, f"{name}-{size}.png"))
            # Only tables may scroll sideways (inside their own .table-wrap); the page itself never does.
            overflow = self.driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                self.checks.check(f"{name} page fits the {size} width", False, f"{overflow} px wider than the window")
        self.driver.set_window_size(*SIZES["desktop"])


def run(wlcomm, database_url):
    checks = Checks("console")
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            checks.check("Debian's chromium and chromium-driver are installed", False, "apt-get install chromium chromium-driver")
            checks.close()
        print("SKIP console: Debian's chromium and chromium-driver are not installed")
        return
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or driver
    subprocess.run([wlcomm, "user", "create", "--email", ADMIN[0], "--role", "admin", "--password-stdin"],
                   input=ADMIN[1] + "\n", text=True, check=True, capture_output=True,
                   env=dict(os.environ, WLCOMM_DATABASE_URL=database_url))
    port = free_port()
    hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    limits = {f"WLCOMM_LIMITS_{name}_QUOTA": "1000000" for name in ("SEND", "READ", "AUTH", "SIGN_IN", "CONSOLE", "WEBHOOK_TEST")}
    server = start_server(wlcomm, database_url, port, env={
        "WLCOMM_CONSOLE_BCRYPT_COST": "4", "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true", **limits})
    origin = f"http://localhost:{port}"
    api = origin + "/api/v1/communication"
    manage = origin + "/api/v1/manage"
    try:
        driver = browser()
    except Exception as error:  # Chromium or its driver would not start: the server and receiver must not outlive us
        stop_server(server)
        hooks.shutdown()
        checks.check("headless Chromium starts", False, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        checks.close()
    console = Console(driver, origin, checks)
    try:
        from selenium.webdriver.common.by import By

        console.open("/console/sign-in")
        console.remember("sign-in")
        console.sign_in(*OWNER)
        checks.check("the owner signs in and lands on API Integration", driver.current_url.endswith("/console/integration"),
                     driver.current_url)
        session = next((c for c in driver.get_cookies() if c["name"] == "wl_session"), {})
        checks.check("the session cookie is HttpOnly and SameSite=Strict",
                     session.get("httpOnly") is True and session.get("sameSite") == "Strict", str(session))

        # a. a key made in the page works with curl on the public API
        console.fill("key-label", "browser")
        console.click("create-key")
        key = console.text("new-key")
        checks.check("a new key is shown once", key.startswith("wl_test_"), key[:12])
        console.remember("integration")
        curl = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"X-API-Key: {key}",
                               f"{api}/sms-credits/balance"], capture_output=True, text=True)
        checks.check("curl with the new key gets the balance", curl.stdout == "200", curl.stdout)
        console.open("/console/integration")
        checks.check("the key is listed by its prefix, never in full",
                     key[:12] in driver.page_source and key not in driver.page_source)

        # b. webhook, secret, test event
        receiver = f"http://127.0.0.1:{hooks.server_address[1]}/hook"
        console.fill("webhook-url", receiver)
        console.click("save-webhook")
        checks.check("the webhook URL is saved", "Webhook URL saved" in driver.page_source)
        console.click("generate-secret")
        secret = console.text("new-secret")
        checks.check("a signing secret is shown once", secret.startswith("wlsec_"), secret[:8])
        console.click("send-test")
        result = console.text("test-result")
        checks.check("the test event is reported delivered", "delivered" in result and "200" in result, result)
        got = wait_for(lambda: [h for h, b in Hooks.received if b"communication.test" in b], 10)
        checks.check("the receiver got the signed test event",
                     bool(got) and any(k.lower() == "webhook-signature" for k in got[0]), str(got[:1])[:200])

        # c. buy sandbox credits, watch the purchase settle, see the balance grow
        console.open("/console/credits")
        before = float(console.text("balance"))
        console.remember("credits")
        console.fill("buy-phone", PAID)
        console.fill("buy-amount", "180")
        console.click("buy")
        checks.check("buying leads to the purchase page", "/console/credits/purchases/" in driver.current_url, driver.current_url)
        console.remember("purchase")
        wait_for(lambda: (driver.refresh() or console.text("purchase-status")) != "Pending", 20, 0.5)
        checks.check("the purchase settles as Received", console.text("purchase-status") == "Received", console.text("purchase-status"))
        console.open("/console/credits")
        after = float(console.text("balance"))
        checks.check("the balance grew by the credits bought (180 KES at 1.80)", abs(after - before - 100) < 1e-6,
                     f"{before} -> {after}")

        # d. an SMS sent through the public API shows up delivered in Messages and its timeline
        status, sent = http_json(f"{api}/sms", "POST", {"message": "Hello from the browser check", "recipients": ["254712345678"]},
                                 {"X-API-Key": key})
        message_id = (sent.get("data", {}).get("messages") or [{}])[0].get("message_id")
        checks.check("the public API accepts the SMS", status == 202 and message_id is not None, str(status))

        def delivered_in_list():
            console.open("/console/messages")
            cells = driver.find_elements(By.CSS_SELECTOR, f'tr[data-message-id="{message_id}"] td.status')
            return cells and cells[0].text.strip() == "delivered"
        checks.check("the Messages page shows it delivered", bool(wait_for(delivered_in_list, 20, 0.5)))
        console.remember("messages")
        checks.check("the Messages page has the delivery chart", bool(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg")))
        driver.find_element(By.LINK_TEXT, str(message_id)).click()
        wait_for(lambda: driver.find_elements(By.ID, "timeline"), 10)
        timeline = console.text("timeline")
        checks.check("its timeline shows processing then delivered",
                     "processing" in timeline and "delivered" in timeline and timeline.index("processing") < timeline.index("delivered"),
                     timeline.replace("\n", " | "))
        console.remember("message")
        console.click("blast-link")
        checks.check("the message's blast shows one message, delivered", console.text("blast-total") == "1"
                     and "delivered 1" in console.text("blast-counts").replace("\n", " "), console.text("blast-counts").replace("\n", " "))
        console.remember("blast")

        # e. contacts import with a refused line
        console.open("/console/contacts")
        console.fill("csv", "first_name,last_name,phone,email\nAmina,Hassan,0712000111,amina@example.com\nBad,Row,12,not-an-email\n")
        console.click("import")
        checks.check("the import reports the good row", "1 new" in console.text("import-result"), console.text("import-result"))
        checks.check("the refused line is named by number", "Line 3" in console.text("row-errors"), console.text("row-errors"))
        console.remember("contacts")

        # the owner invites a developer
        console.open("/console/users")
        console.fill("invite-email", "developer@sandbox.test")
        console.click("invite")
        invite = console.text("invite-url")
        checks.check("an invitation link is shown once", "/console/invite/" in invite, invite[:40])
        console.remember("users")
        console.sign_out()
        console.open(invite[invite.index("/console/invite/"):])
        console.remember("invite")
        console.fill("password", "developer-password-1")
        console.fill("password-confirm", "developer-password-1")
        console.click("set-password")
        checks.check("the invited developer sets a password", "Password set" in driver.page_source)
        console.sign_in("developer@sandbox.test", "developer-password-1")
        console.open("/console/credits")
        checks.check("a developer sees no buy form", not driver.find_elements(By.ID, "buy"))
        # the developer changes their own password from the header's link
        console.click("change-password")
        console.remember("password")
        console.fill("current-password", "developer-password-1")
        console.fill("new-password", "developer-password-2")
        console.fill("new-password-confirm", "developer-password-2")
        console.click("change-password-submit")
        checks.check("the developer changes their password on the Password page", "Password changed" in driver.page_source)
        status, _ = http_json(f"{manage}/sessions", "POST", {"email": "developer@sandbox.test", "password": "developer-password-1"})
        checks.check("the old password no longer signs in", status == 401, str(status))
        console.sign_out()

        # the owner removes the developer on the Users page: the developer can no longer sign in
        console.sign_in(*OWNER)
        console.open("/console/users")
        checks.check("the owner has no Remove button on their own row",
                     not driver.find_elements(By.CSS_SELECTOR, f"button[aria-label='Remove {OWNER[0]}']"))
        console.click(driver.find_element(By.CSS_SELECTOR, "button[aria-label='Remove developer@sandbox.test']").get_attribute("id"))
        checks.check("the owner removes the developer on the Users page",
                     "User removed" in driver.page_source and "developer@sandbox.test" not in console.text("users"))
        console.sign_out()
        status, _ = http_json(f"{manage}/sessions", "POST", {"email": "developer@sandbox.test", "password": "developer-password-2"})
        checks.check("the removed developer cannot sign in", status == 401, str(status))

        # f. a firm user cannot reach the admin side, nor another firm's message; CSRF
        status, signed = http_json(f"{manage}/sessions", "POST", {"email": OWNER[0], "password": OWNER[1]})
        owner_token = signed.get("data", {}).get("token", "")
        status, _ = http_json(f"{manage}/admin/firms", headers={"Authorization": f"Bearer {owner_token}"})
        checks.check("the owner's token gets 403 from the admin API", status == 403, str(status))
        console.sign_in(*OWNER)
        console.open("/console/admin/firms")
        checks.check("the owner gets 403 from the admin pages", "Forbidden" in driver.title and not driver.find_elements(By.ID, "firms"),
                     driver.title)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
        forged = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", f"Cookie: {cookie}",
                                 "-d", "label=forged", f"{origin}/console/integration/keys"], capture_output=True, text=True)
        checks.check("a form without its CSRF token is refused", forged.stdout == "403", forged.stdout)
        console.sign_out()

        # g. the admin changes the rate; the next purchase is priced at it
        console.sign_in(*ADMIN)
        checks.check("the admin lands on Firms", driver.current_url.endswith("/console/admin/firms"), driver.current_url)
        console.remember("admin-firms")
        driver.find_element(By.LINK_TEXT, "World Ledgers Sandbox").click()
        wait_for(lambda: driver.find_elements(By.ID, "sms-rate"), 10)
        console.fill("sms-rate", "2.50")
        console.click("save-firm")
        checks.check("the new rate is saved", "Firm saved" in driver.page_source and
                     console.by_id("sms-rate").get_attribute("value") == "2.5")
        console.remember("admin-firm")
        status, bought = http_json(f"{manage}/firm/purchases", "POST", {"phone": PAID, "amount": 100},
                                   {"Authorization": f"Bearer {owner_token}"})
        data = bought.get("data", {})
        checks.check("the owner's next purchase is priced at 2.50", status == 202 and data.get("sms_rate") == 2.5
                     and data.get("estimated_credits") == 40, f"{status} {data.get('sms_rate')} {data.get('estimated_credits')}")
        console.open("/console/admin/audit")
        audit = console.text("audit")
        checks.check("the audit log shows the rate change by the admin",
                     "firm.update" in audit and ADMIN[0] in audit and "sms_rate=2.5" in audit)
        checks.check("the audit log shows the owner's key creation", "api_key.create" in audit and OWNER[0] in audit)
        console.remember("audit")

        # another firm's message is not the sandbox owner's
        status, admin_signed = http_json(f"{manage}/sessions", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
        admin_auth = {"Authorization": f"Bearer {admin_signed.get('data', {}).get('token', '')}"}
        status, acme = http_json(f"{manage}/admin/firms", "POST", {"slug": "acme", "name": "Acme Ltd", "sms_rate": 2, "mode": "sandbox"},
                                 admin_auth)
        acme_id = acme.get("data", {}).get("id")
        http_json(f"{manage}/admin/firms/{acme_id}/credits", "POST", {"amount": 10, "reason": "trial"}, admin_auth)
        status, invited = http_json(f"{manage}/admin/firms/{acme_id}/users", "POST", {"email": "owner@acme.test", "role": "owner"}, admin_auth)
        token = invited.get("data", {}).get("invite_url", "/").rsplit("/", 1)[-1]
        http_json(f"{manage}/invitations/accept", "POST", {"token": token, "password": "acme-owner-password"})
        status, acme_signed = http_json(f"{manage}/sessions", "POST", {"email": "owner@acme.test", "password": "acme-owner-password"})
        acme_auth = {"Authorization": f"Bearer {acme_signed.get('data', {}).get('token', '')}"}
        status, acme_key = http_json(f"{manage}/firm/api-keys", "POST", {"label": "acme"}, acme_auth)
        status, acme_sent = http_json(f"{api}/sms", "POST", {"message": "Acme only", "recipients": ["254712345678"]},
                                      {"X-API-Key": acme_key.get("data", {}).get("key", "")})
        acme_message = (acme_sent.get("data", {}).get("messages") or [{}])[0].get("message_id")
        status, _ = http_json(f"{manage}/firm/sms/{acme_message}", headers={"Authorization": f"Bearer {owner_token}"})
        checks.check("another firm's message is 404 for the sandbox owner", acme_message is not None and status == 404, str(status))
        cli_env = dict(os.environ, WLCOMM_DATABASE_URL=database_url)
        demoted = subprocess.run([wlcomm, "user", "role", "owner@acme.test", "developer"], capture_output=True, text=True, env=cli_env)
        status, me = http_json(f"{manage}/me", headers=acme_auth)
        checks.check("wlcomm user role gives a live session its new role at its next request",
                     demoted.returncode == 0 and status == 200 and me.get("data", {}).get("role") == "developer",
                     f"{demoted.returncode} {demoted.stderr.strip()[:200]} {status} {me.get('data', {}).get('role')}")
        removed = subprocess.run([wlcomm, "user", "remove", "owner@acme.test"], capture_output=True, text=True,
                                 env=dict(os.environ, WLCOMM_DATABASE_URL=database_url))
        status, _ = http_json(f"{manage}/me", headers=acme_auth)
        checks.check("wlcomm user remove ends the removed user's session at once", removed.returncode == 0 and status == 401,
                     f"{removed.returncode} {removed.stderr.strip()[:200]} {status}")
        console.sign_out()
        signed_out = subprocess.run([wlcomm, "user", "sign-out", OWNER[0]], capture_output=True, text=True, env=cli_env)
        status, _ = http_json(f"{manage}/me", headers={"Authorization": f"Bearer {owner_token}"})
        checks.check("wlcomm user sign-out ends every session of the user at once", signed_out.returncode == 0 and status == 401,
                     f"{signed_out.returncode} {signed_out.stdout.strip()[:200]} {status}")

        shots = sorted(os.listdir(SHOTS))
        checks.check("screenshots of every page at desktop and phone widths",
                     all(f"{name}-{size}.png" in shots for name, _ in console.pages for size in SIZES),
                     f"{len(console.pages)} pages in {os.path.relpath(SHOTS)}")
    except Exception as error:  # a missing element is a failed check, with the page it happened on
        try:
            page = driver.find_element("tag name", "body").text[:400].replace("\n", " | ")
        except Exception:
            page = ""
        checks.check("the browser flow ran to the end", False,
                     f"{type(error).__name__}: {str(error).splitlines()[0]} at {driver.current_url}; the page said: {page}")
    finally:
        driver.quit()
        stop_server(server)
        hooks.shutdown()
    checks.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    run(sys.argv[1], sys.argv[2])
