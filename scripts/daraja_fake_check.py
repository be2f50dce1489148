#!/usr/bin/env python3
"""Buying SMS credits with M-Pesa through an independent Daraja fake (../shared/fakes/daraja_fake.py).

Starts two fakes: A sends each callback 0.5 s after the STK push; B never sends callbacks and answers queries
"being processed" for 6 s. `wlcomm serve` is configured to use A (reconciliation after 3 s), and a live firm at
KES 1.8 per credit buys credits with each of the fake's magic payer numbers; the check compares every outcome with
docs/payments.md: the success credits 277.7778 once with the receipt; the four failures fail with their codes and
retryable true; the lost callback is settled by an STK query; the duplicated callback credits once; the wrong
amount is Held. Then the fake's tokens are expired and the next purchase gets a new one. The server is then
restarted against B, where one purchase stays Pending while the query answers 500 "being processed" and is
Received once the query reports the outcome (at the rate of purchase time, changed meanwhile). Also checked: the
STK push fields (whole Amount, 2547… number, Password, one Timestamp, CallBackURL with the payment id), one accepted
push per payment, 422 for bad bodies, 404 for other firms' payments and for callbacks with a wrong token or payment
(a forged success credits nothing), every callback answered 200 {"ResultCode":0,"ResultDesc":"Accepted"}, and the
ledger (all pages of GET /sms-credits/transactions) summing to the balance.

Usage: daraja_fake_check.py WLCOMM DATABASE_URL FAKE_SCRIPT [PSQL]
"""
import base64
import datetime
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal

from wltest import SANDBOX_KEY, Checks, api, cli, free_port, query, start_server
import wltest

SHORTCODE = "174379"
PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
RECONCILE_AFTER = 3
NAIROBI = datetime.timezone(datetime.timedelta(hours=3))
FINAL = ("Received", "Failed", "Held")
SUCCESS = "254708374149"
FAILURES = {
    "254700000001": "cancelled_by_user",
    "254700000002": "phone_unreachable",
    "254700000003": "insufficient_mpesa_balance",
    "254700000004": "wrong_pin",
}
LOST, TWICE, WRONG_AMOUNT = "254700000005", "254700000006", "254700000007"
PAYMENT_FIELDS = {"payment_id", "payment_status", "amount_kes", "sms_rate", "sms_credits_applied", "firm_sms_credits",
                  "estimated_credits", "phone", "checkout_request_id", "mpesa_receipt", "paid_at", "failure_code",
                  "failure_reason", "retryable", "created_at"}
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
CREDITS_500 = Decimal("277.7778")  # 500 / 1.8
CREDITS_100 = Decimal("55.5556")  # 100 / 1.8, rounded half away from zero
CREDITS_1 = Decimal("0.5556")  # 1 / 1.8

history = {}  # payment id -> [(time the GET was sent, payment_status)]


def daraja_env(fake_url, port):
    return {
        "WLCOMM_DARAJA_BASE_URL": fake_url, "WLCOMM_DARAJA_SHORTCODE": SHORTCODE, "WLCOMM_DARAJA_PASSKEY": PASSKEY,
        "WLCOMM_DARAJA_CONSUMER_KEY": "fake-consumer-key", "WLCOMM_DARAJA_CONSUMER_SECRET": "fake-consumer-secret",
        "WLCOMM_DARAJA_CALLBACK_BASE_URL": f"http://127.0.0.1:{port}",
        "WLCOMM_PAYMENTS_RECONCILE_AFTER_SECONDS": str(RECONCILE_AFTER), "WLCOMM_WEBHOOKS_ALLOW_PRIVATE": "true",
    }


def start_fake(script, *flags):
    process = subprocess.Popen([sys.executable, script, "--port", "0", *flags], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip().removeprefix("listening on ")


def fake(fake_url, path, method="GET"):
    """An inspection endpoint of the fake, parsed."""
    request = urllib.request.Request(fake_url + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def call(port, method, path, body=None, key=SANDBOX_KEY):
    """(HTTP status, parsed JSON with exact decimals, or the text when it is not JSON) of an API call."""
    return wltest.call(port, method, path, body, key, parse_float=Decimal)


def parsed(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def post_callback(port, path, body):
    """(HTTP status, parsed JSON or None) of a POST to a callback path, as Daraja would send it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST", data=raw,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    return status, parsed(text)


def balance(port, key):
    return call(port, "GET", "/sms-credits/balance", key=key)[1]["data"]["sms_credits"]


def purchase(port, key, phone, amount):
    status, body = call(port, "POST", "/sms-credits/purchase", {"phone": phone, "amount": amount}, key=key)
    return status, body.get("data", body) if isinstance(body, dict) else body


def get_payment(port, key, pid):
    sent = time.time()
    status, body = call(port, "GET", f"/sms-credits/purchase/{pid}", key=key)
    if status != 200:
        return {}
    history.setdefault(pid, []).append((sent, body["data"]["payment_status"]))
    return body["data"]


def wait_until(port, key, pids, settled, seconds):
    """Polls the payments until `settled(payment)` holds for each, or `seconds` pass; the last view of each."""
    deadline = time.time() + seconds
    last = {}
    while True:
        for pid in pids:
            if not settled(last.get(pid, {})):
                last[pid] = get_payment(port, key, pid)
        if all(settled(last[pid]) for pid in pids) or time.time() > deadline:
            return last
        time.sleep(0.2)


def is_final(payment):
    return payment.get("payment_status") in FINAL


def ledger(port, key):
    """Every ledger entry, newest first, read in pages of three (None when a page is not 200)."""
    entries, after = [], None
    for _ in range(1000):
        path = "/sms-credits/transactions?limit=3" + (f"&starting_after={after}" if after is not None else "")
        status, page = call(port, "GET", path, key=key)
        if status != 200:
            return None
        entries += page["data"]["transactions"]
        if not page["data"]["has_more"]:
            return entries
        after = page["data"]["next_starting_after"]
    return None


def purchases_of(entries, pid):
    return [e for e in entries or [] if e["kind"] == "purchase" and e["payment_id"] == pid]


def whole(value, expected):
    """Daraja's Amount rule: a whole number, as a JSON number or a string of digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return float(value).is_integer() and int(value) == expected
    return isinstance(value, str) and value.isdigit() and int(value) == expected


def password_ok(body):
    timestamp = str(body.get("Timestamp"))
    return body.get("Password") == base64.b64encode(f"{SHORTCODE}{PASSKEY}{timestamp}".encode()).decode()


def timestamp_ok(record):
    """Timestamp is Nairobi time, within 10 s of when the fake received the call."""
    try:
        at = datetime.datetime.strptime(str(record["body"]["Timestamp"]), "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    except ValueError:
        return False
    return abs(at.timestamp() - record["time"]) < 10


def pushes(fake_url):
    return [r for r in fake(fake_url, "/__fake/requests") if r["path"] == "/mpesa/stkpush/v1/processrequest"]


def queries(fake_url, cid):
    return [r for r in fake(fake_url, "/__fake/requests")
            if r["path"] == "/mpesa/stkpushquery/v1/query" and (r["body"] or {}).get("CheckoutRequestID") == cid]


def token_calls(fake_url):
    return [r for r in fake(fake_url, "/__fake/requests") if r["path"] == "/oauth/v1/generate"]


def forged_success(cid, amount):
    return {"Body": {"stkCallback": {
        "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": cid, "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": amount}, {"Name": "MpesaReceiptNumber", "Value": "FORGED0001"},
                                      {"Name": "Balance"}, {"Name": "TransactionDate", "Value": 20261130103046},
                                      {"Name": "PhoneNumber", "Value": 254708374149}]}}}}


def main():
    wlcomm, url, script = sys.argv[1:4]
    psql = sys.argv[4] if len(sys.argv) > 4 else "psql"
    checks = Checks("daraja fake")
    check = checks.check
    fake_a, fake_a_url = start_fake(script, "--callback-delay", "0.5")
    fake_b, fake_b_url = start_fake(script, "--drop-callbacks", "--callback-delay", "6")
    processes = [fake_a, fake_b]
    try:
        port = free_port()
        server = start_server(wlcomm, url, port, daraja_env(fake_a_url, port))
        processes.insert(0, server)
        cli(wlcomm, url, "firm", "create", "--slug", "live", "--name", "Live Ltd", "--rate", "1.8", "--mode", "live")
        key = cli(wlcomm, url, "key", "create", "--firm", "live")["api_key"]
        start_balance = balance(port, key)

        print("-- refused bodies")
        for name, body in [
            ("amount 0", {"phone": "0708374149", "amount": 0}),
            ("amount 1.5", {"phone": "0708374149", "amount": 1.5}),
            ("amount 250001", {"phone": "0708374149", "amount": 250001}),
            ('amount "500"', {"phone": "0708374149", "amount": "500"}),
            ("no amount", {"phone": "0708374149"}),
            ("a bad phone", {"phone": "12345", "amount": 500}),
            ("an unknown field", {"phone": "0708374149", "amount": 500, "currency": "KES"}),
        ]:
            status, answer = call(port, "POST", "/sms-credits/purchase", body, key=key)
            check(f"422 validation_failed for {name}", status == 422 and isinstance(answer, dict)
                  and answer.get("code") == "validation_failed", f"{status} {str(answer)[:160]}")
        check("refused purchases never reach Daraja", not pushes(fake_a_url))

        print("-- success (0708374149, KES 500)")
        status, created = purchase(port, key, "0708374149", 500)
        check("202 Pending with the documented fields", status == 202 and isinstance(created, dict)
              and created.get("payment_status") == "Pending" and set(created) == PAYMENT_FIELDS, f"{status} {str(created)[:300]}")
        if status != 202:
            raise SystemExit("the first purchase was refused; nothing else can be checked")
        pid = created["payment_id"]
        check("the 202 prices the purchase at the firm's rate",
              (created["amount_kes"], created["sms_rate"], created["estimated_credits"], created["sms_credits_applied"],
               created["phone"]) == (500, Decimal("1.8"), CREDITS_500, 0, SUCCESS), str(created))
        paid = wait_until(port, key, [pid], is_final, 15)[pid]
        check("the success is Received with 277.7778 credits and the receipt",
              paid.get("payment_status") == "Received" and paid.get("sms_credits_applied") == CREDITS_500
              and bool(paid.get("mpesa_receipt")) and paid.get("paid_at") is not None and paid.get("failure_code") is None
              and paid.get("retryable") is None and set(paid) == PAYMENT_FIELDS, str(paid))
        after_success = balance(port, key)
        check("the balance rose by exactly 277.7778", after_success - start_balance == CREDITS_500,
              f"{start_balance} -> {after_success}")
        check("firm_sms_credits is the balance", paid.get("firm_sms_credits") == after_success, str(paid.get("firm_sms_credits")))
        txns = {t["CheckoutRequestID"]: t for t in fake(fake_a_url, "/__fake/transactions")}
        success_txn = txns.get(paid.get("checkout_request_id"), {})
        check("checkout_request_id and mpesa_receipt are M-Pesa's",
              success_txn.get("MpesaReceiptNumber") == paid.get("mpesa_receipt"), f"{paid.get('checkout_request_id')}")
        push = [r for r in pushes(fake_a_url) if r["status"] == 200]
        check("one STK push", len(push) == 1, f"{len(push)} accepted")
        body = push[0]["body"] if push else {}
        check("Amount is a whole number, 500", whole(body.get("Amount"), 500), repr(body.get("Amount")))
        check('PhoneNumber and PartyA are "254708374149"', body.get("PhoneNumber") == SUCCESS and body.get("PartyA") == SUCCESS,
              f"{body.get('PhoneNumber')!r} {body.get('PartyA')!r}")
        check("Password is base64(shortcode + passkey + Timestamp)", password_ok(body))
        check("Timestamp is Nairobi time now", bool(push) and timestamp_ok(push[0]), str(body.get("Timestamp")))
        check("CallBackURL is /callbacks/mpesa/stk/<payment_id>/<token>",
              str(body.get("CallBackURL", "")).startswith(f"http://127.0.0.1:{port}/callbacks/mpesa/stk/{pid}/")
              and len(str(body.get("CallBackURL")).rsplit("/", 1)[-1]) >= 32, str(body.get("CallBackURL")))
        check("shortcode, PartyB, type, AccountReference WL<id>, TransactionDesc",
              (str(body.get("BusinessShortCode")), str(body.get("PartyB")), body.get("TransactionType"),
               body.get("AccountReference"), body.get("TransactionDesc"))
              == (SHORTCODE, SHORTCODE, "CustomerPayBillOnline", f"WL{pid}", "SMS credits"), str(body)[:400])
        success_path = "/" + str(body.get("CallBackURL", "")).split("/", 3)[-1]
        entries = purchases_of(ledger(port, key), pid)
        check("one ledger purchase entry with the receipt", len(entries) == 1 and entries[0]["credits"] == CREDITS_500
              and entries[0]["mpesa_receipt"] == paid.get("mpesa_receipt"), str(entries))

        status, other = call(port, "GET", f"/sms-credits/purchase/{pid}")
        check("another firm's payment is 404",
              status == 404 and api(port, "GET", f"/sms-credits/purchase/{pid}").get("code") == "not_found",
              f"{status} {str(other)[:120]}")
        status, _ = call(port, "GET", "/sms-credits/purchase/999999999", key=key)
        check("an unknown payment is 404", status == 404, str(status))

        print("-- the magic numbers (KES 500 each)")
        ids = {}
        for phone in [*FAILURES, LOST, TWICE, WRONG_AMOUNT]:
            status, created = purchase(port, key, phone, 500)
            check(f"{phone}: 202 Pending", status == 202 and created.get("payment_status") == "Pending",
                  f"{status} {str(created)[:200]}")
            if status == 202:
                ids[phone] = created["payment_id"]
        final = wait_until(port, key, list(ids.values()), is_final, 25)
        entries = ledger(port, key)
        for phone, code in FAILURES.items():
            p = final.get(ids.get(phone), {})
            check(f"{phone}: Failed, {code}, retryable, no credit",
                  (p.get("payment_status"), p.get("failure_code"), p.get("retryable"), p.get("sms_credits_applied"))
                  == ("Failed", code, True, 0) and p.get("retryable") is True
                  and not purchases_of(entries, ids.get(phone)), str(p))

        lost = final.get(ids.get(LOST), {})
        check(f"{LOST} (callback never sent): Received through reconciliation, mpesa_receipt null",
              (lost.get("payment_status"), lost.get("sms_credits_applied"), lost.get("mpesa_receipt"))
              == ("Received", CREDITS_500, None), str(lost))
        asked = queries(fake_a_url, lost.get("checkout_request_id"))
        lost_push = [r for r in pushes(fake_a_url) if (r["body"] or {}).get("PhoneNumber") == LOST and r["status"] == 200]
        check(f"{LOST}: asked with stkpushquery/v1/query", len(asked) >= 1 and all(password_ok(q["body"]) for q in asked),
              f"{len(asked)} queries")
        waited = asked[0]["time"] - lost_push[0]["time"] if asked and lost_push else None
        check(f"{LOST}: first query no sooner than {RECONCILE_AFTER} s after the push",
              waited is not None and waited >= RECONCILE_AFTER - 0.5, f"{waited}")
        check(f"{LOST}: credited once", len(purchases_of(entries, ids.get(LOST))) == 1, str(purchases_of(entries, ids.get(LOST))))

        twice = final.get(ids.get(TWICE), {})
        deadline = time.time() + 10
        while time.time() < deadline and len([c for c in fake(fake_a_url, "/__fake/callbacks")
                                              if c["CheckoutRequestID"] == twice.get("checkout_request_id")]) < 2:
            time.sleep(0.2)
        twice = get_payment(port, key, ids.get(TWICE))
        sent = [c for c in fake(fake_a_url, "/__fake/callbacks") if c["CheckoutRequestID"] == twice.get("checkout_request_id")]
        check(f"{TWICE}: the callback was sent twice", len(sent) == 2, str(len(sent)))
        check(f"{TWICE}: Received, credited exactly once",
              twice.get("payment_status") == "Received" and twice.get("sms_credits_applied") == CREDITS_500
              and len(purchases_of(ledger(port, key), ids.get(TWICE))) == 1, str(twice))

        held = final.get(ids.get(WRONG_AMOUNT), {})
        check(f"{WRONG_AMOUNT} (paid half): Held, amount_mismatch, not retryable, no credit",
              (held.get("payment_status"), held.get("failure_code"), held.get("retryable"), held.get("sms_credits_applied"))
              == ("Held", "amount_mismatch", False, 0) and held.get("retryable") is False
              and not purchases_of(entries, ids.get(WRONG_AMOUNT)), str(held))

        print("-- callbacks that must not credit")
        victim = ids.get("254700000001")
        victim_cid = final.get(victim, {}).get("checkout_request_id")
        before = balance(port, key)
        status, _ = post_callback(port, f"/callbacks/mpesa/stk/{victim}/{'0' * 64}", forged_success(victim_cid, 500.00))
        check("a forged success with a wrong token is 404", status == 404, str(status))
        token = success_path.rsplit("/", 1)[-1]
        status, _ = post_callback(port, f"/callbacks/mpesa/stk/{victim}/{token}", forged_success(victim_cid, 500.00))
        check("another payment's token is 404", status == 404, str(status))
        status, _ = post_callback(port, f"/callbacks/mpesa/stk/999999999/{token}", forged_success(victim_cid, 500.00))
        check("an unknown payment is 404", status == 404, str(status))
        victim_now = get_payment(port, key, victim)
        check("the forged callbacks credited nothing",
              balance(port, key) == before and victim_now.get("payment_status") == "Failed"
              and not purchases_of(ledger(port, key), victim), str(victim_now))
        original = [c for c in fake(fake_a_url, "/__fake/callbacks") if c["CheckoutRequestID"] == paid.get("checkout_request_id")]
        status, answer = post_callback(port, success_path, original[0]["raw_body"].encode() if original else b"{}")
        check("M-Pesa's own callback repeated later: 200 Accepted, no second credit",
              status == 200 and answer == ACCEPTED and balance(port, key) == before
              and len(purchases_of(ledger(port, key), pid)) == 1, f"{status} {answer}")

        print("-- access token expiry")
        check("one access token so far", len(token_calls(fake_a_url)) == 1, str(len(token_calls(fake_a_url))))
        expired_at = time.time()
        fake(fake_a_url, "/__fake/expire-tokens", "POST")
        status, created = purchase(port, key, "0708374149", 1)
        check("after the expiry, a purchase is accepted", status == 202, f"{status} {str(created)[:200]}")
        expiry_id = created.get("payment_id")
        after_expiry = wait_until(port, key, [expiry_id], is_final, 15).get(expiry_id, {})
        check("and Received with 0.5556 credits", (after_expiry.get("payment_status"), after_expiry.get("sms_credits_applied"))
              == ("Received", CREDITS_1), str(after_expiry))
        check("a second oauth/v1/generate call", len(token_calls(fake_a_url)) == 2, str(len(token_calls(fake_a_url))))
        stale = [r for r in pushes(fake_a_url) if r["time"] >= expired_at and r["status"] == 404]
        check("the push with the stale token was answered 404, then made once more", len(stale) == 1,
              f"{len(stale)} answered 404")

        print("-- every STK push and callback")
        accepted = [r for r in pushes(fake_a_url) if r["status"] == 200]
        references = sorted(r["body"].get("AccountReference") for r in accepted)
        expected_refs = sorted(f"WL{p}" for p in [pid, *ids.values(), expiry_id])
        check("exactly one accepted STK push per payment", references == expected_refs, f"{references} vs {expected_refs}")
        check("every push: whole Amount, valid Password and Timestamp, own CallBackURL",
              all(whole(r["body"].get("Amount"), 1 if r["body"].get("AccountReference") == f"WL{expiry_id}" else 500)
                  and password_ok(r["body"]) and timestamp_ok(r)
                  and r["body"]["CallBackURL"].startswith(
                      f"http://127.0.0.1:{port}/callbacks/mpesa/stk/{r['body']['AccountReference'][2:]}/")
                  for r in accepted))
        tokens = [r["body"]["CallBackURL"].rsplit("/", 1)[-1] for r in accepted]
        check("each payment has its own callback token", len(set(tokens)) == len(tokens))
        callbacks = fake(fake_a_url, "/__fake/callbacks")
        answers = [(c["status"], parsed(c["response"])) for c in callbacks]
        check("every callback was answered 200 {\"ResultCode\":0,\"ResultDesc\":\"Accepted\"}",
              len(callbacks) == 9 and all(a == (200, ACCEPTED) for a in answers), f"{len(callbacks)} callbacks: {answers}")

        print("-- pending while M-Pesa is processing (a second fake: no callbacks, outcome after 6 s)")
        server.terminate()
        server.wait()
        processes.remove(server)
        port = free_port()
        server = start_server(wlcomm, url, port, daraja_env(fake_b_url, port))
        processes.insert(0, server)
        before = balance(port, key)
        status, created = purchase(port, key, "0708374149", 100)
        check("202 Pending", status == 202 and created.get("payment_status") == "Pending", f"{status} {str(created)[:200]}")
        slow = created.get("payment_id")
        cli(wlcomm, url, "firm", "set-rate", "--firm", "live", "--rate", "2.5")
        slow_cid = created.get("checkout_request_id") or get_payment(port, key, slow).get("checkout_request_id")
        status, _ = post_callback(port, f"/callbacks/mpesa/stk/{slow}/{'f' * 64}", forged_success(slow_cid, 100.00))
        check("a forged success for the pending payment with a wrong token is 404", status == 404, str(status))
        status, _ = post_callback(port, f"/callbacks/mpesa/stk/{slow}/{token}", forged_success(slow_cid, 100.00))
        check("and with another payment's token, 404", status == 404, str(status))
        check("still Pending and nothing credited", get_payment(port, key, slow).get("payment_status") == "Pending"
              and balance(port, key) == before)
        done = wait_until(port, key, [slow], is_final, 25).get(slow, {})
        asked = queries(fake_b_url, slow_cid)
        completes_at = next((t["completes_at"] for t in fake(fake_b_url, "/__fake/transactions")
                             if t["CheckoutRequestID"] == slow_cid), None)
        # The fake answers 500 to a valid query before the outcome only with "The transaction is being processed".
        processing = [q for q in asked if q["status"] == 500 and password_ok(q["body"])
                      and str(q["body"].get("BusinessShortCode")) == SHORTCODE and completes_at and q["time"] < completes_at]
        check('a query was answered 500 "The transaction is being processed"', bool(processing),
              f"{[(q['status'], round(q['time'] - asked[0]['time'], 2)) for q in asked]}")
        check("the payment was Pending after that answer", bool(processing) and any(
            at > processing[0]["time"] and state == "Pending" for at, state in history.get(slow, [])))
        check("a later query settled it: Received, credits at the purchase-time rate (55.5556), mpesa_receipt null",
              (done.get("payment_status"), done.get("sms_credits_applied"), done.get("sms_rate"), done.get("mpesa_receipt"))
              == ("Received", CREDITS_100, Decimal("1.8"), None), str(done))
        gaps = [b["time"] - a["time"] for a, b in zip(asked, asked[1:])]
        check(f"queries {RECONCILE_AFTER} s apart", bool(gaps) and all(g >= RECONCILE_AFTER - 0.5 for g in gaps), str(gaps))
        check("credited once", len(purchases_of(ledger(port, key), slow)) == 1 and balance(port, key) - before == CREDITS_100,
              f"{before} -> {balance(port, key)}")
        check("no callback from the second fake", fake(fake_b_url, "/__fake/callbacks") == [])

        print("-- the ledger")
        entries = ledger(port, key)
        final_balance = balance(port, key)
        check("GET /sms-credits/transactions pages through every entry, newest first",
              entries is not None and [e["id"] for e in entries] == sorted({e["id"] for e in entries}, reverse=True),
              str([e["id"] for e in entries or []]))
        total = sum((e["credits"] for e in entries or []), Decimal(0))
        check("the ledger sums to the balance", entries is not None and total == final_balance, f"{total} vs {final_balance}")
        check("the balance is the start plus the five credited purchases",
              final_balance - start_balance == 3 * CREDITS_500 + CREDITS_1 + CREDITS_100, f"{start_balance} -> {final_balance}")
        stored = query(url, psql, "SELECT f.sms_credits, (SELECT SUM(amount) FROM credit_ledger l WHERE l.firm_id = f.id) "
                                  "FROM firms f WHERE slug = 'live'")
        check("in the database too", len(stored) == 1 and stored[0][0] == stored[0][1], str(stored))
        twice_stored = query(url, psql, "SELECT payment_id FROM credit_ledger WHERE kind = 'purchase' "
                                        "GROUP BY payment_id HAVING COUNT(*) > 1")
        check("no payment has two purchase rows in the database", not twice_stored, str(twice_stored))
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    checks.close()


if __name__ == "__main__":
    main()
