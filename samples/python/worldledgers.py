"""A small client for the World Ledgers Communication API on the Python standard library alone.

Copy this file into your project. Configuration comes from the environment:

    WL_BASE_URL  default http://127.0.0.1:8080/api/v1/communication (a local `wlcomm serve --seed-sandbox`);
                 production is https://www.worldledgers.com/api/v1/communication
    WL_API_KEY   default wl_test_communication_sms_sandbox (the sandbox key: nothing is really sent or charged)

Money comes back as decimal.Decimal (credits have four decimal places, KES two), never as a rounded float.
"""
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal

DEFAULT_BASE_URL = "http://127.0.0.1:8080/api/v1/communication"
SANDBOX_KEY = "wl_test_communication_sms_sandbox"
FINAL_SMS_STATUSES = {"delivered", "failed"}
FINAL_PAYMENT_STATUSES = {"Received", "Failed", "Held"}


class APIError(Exception):
    """An error answer of the API: its HTTP status, stable `code` (see docs/integrate.md), message and field errors."""

    def __init__(self, status, body, request_id=None):
        body = body if isinstance(body, dict) else {}
        self.status = status
        self.code = body.get("code", f"http_{status}")
        self.errors = body.get("errors") or {}
        self.request_id = request_id
        super().__init__(f"{status} {self.code}: {body.get('message', '')} {self.errors or ''} (request {request_id})".strip())


class Client:
    """Calls the API with an API key. POSTs carry an `Idempotency-Key`, so a retry after a time-out, a 429 or a 503
    never sends, charges or prompts twice."""

    def __init__(self, base_url=None, api_key=None, timeout=30, retries=3):
        self.base_url = (base_url or os.environ.get("WL_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key or os.environ.get("WL_API_KEY") or SANDBOX_KEY
        self.timeout = timeout
        self.retries = retries

    def request(self, method, path, body=None):
        """The `data` of a success envelope; raises APIError for an error envelope."""
        headers = {"X-API-Key": self.api_key, "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())  # the same key on every retry of this one request
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.base_url + path, method=method, data=data, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read(), parse_float=Decimal)["data"]
            except urllib.error.HTTPError as error:
                text = error.read()
                try:
                    envelope = json.loads(text, parse_float=Decimal)
                except ValueError:
                    envelope = None
                # 429 (a limit) and 503 (database briefly away) say when to come back; nothing was done.
                if error.code in (429, 503) and attempt < self.retries:
                    time.sleep(min(int(error.headers.get("Retry-After", "1")), 30))
                    continue
                raise APIError(error.code, envelope, error.headers.get("X-Request-Id")) from None
            except (urllib.error.URLError, TimeoutError):
                if attempt == self.retries:
                    raise
                time.sleep(2**attempt)  # the same Idempotency-Key: a request that did arrive is answered, not redone

    # SMS

    def send_sms(self, message, recipients, reference=None, send_at=None):
        """Schedules SMS: {blast_id, scheduled, skipped, reference, messages: [{message_id, recipient}]}."""
        body = {"message": message, "recipients": list(recipients)}
        if reference is not None:
            body["reference"] = reference
        if send_at is not None:
            body["send_at"] = send_at
        return self.request("POST", "/sms", body)

    def sms(self, message_id):
        """One SMS: status (pending, processing, delivered, failed), status_code (0, 3, 1, 2), response, credits…"""
        return self.request("GET", f"/sms/{int(message_id)}")

    def wait_for_sms(self, message_id, timeout=120):
        """Polls until the SMS is delivered or failed. Webhooks tell you sooner and cost no requests; poll as a
        fallback, not in a tight loop."""
        return self._wait(lambda: self.sms(message_id), lambda m: m["status"] in FINAL_SMS_STATUSES, timeout)

    # Credits

    def balance(self):
        """{sms_credits, sms_rate, currency}."""
        return self.request("GET", "/sms-credits/balance")

    def buy_credits(self, phone, amount):
        """Starts an M-Pesa STK push for `amount` whole KES: the payment, `Pending`."""
        return self.request("POST", "/sms-credits/purchase", {"phone": phone, "amount": int(amount)})

    def purchase(self, payment_id):
        """A payment: payment_status (Pending, Received, Failed, Held), sms_credits_applied, failure_code…"""
        return self.request("GET", f"/sms-credits/purchase/{int(payment_id)}")

    def wait_for_purchase(self, payment_id, timeout=180):
        """Polls until the payment is Received, Failed or Held (the payer has about a minute to enter the PIN)."""
        return self._wait(lambda: self.purchase(payment_id), lambda p: p["payment_status"] in FINAL_PAYMENT_STATUSES,
                          timeout)

    @staticmethod
    def _wait(fetch, done, timeout):
        deadline, pause = time.monotonic() + timeout, 0.5
        while True:
            value = fetch()
            if done(value) or time.monotonic() >= deadline:
                return value
            time.sleep(pause)
            pause = min(pause * 1.5, 5)
