#!/usr/bin/env python3
"""Kenyan SMS rules (issue #13) end to end, through the Africa's Talking fake (../shared/fakes/africastalking_fake.py).

Two live firms with their own sender IDs (acme: ACME/ACMEInfo, beta: BETA/BETAPromo) each send the same text to the
same numbers in both categories: four provider calls, each `from` the firm's sender ID for the category, the
promotional ones with the opt-out footer. A send refused 406 UserInBlacklist fails, is refunded and opts the number
out (source blacklisted); the next blast skips it (opted_out). An opt-out callback for sender ID BETA opts the number
out of beta only. Quiet hours: with a window that does not contain now (a firm's own window, then the platform's
after a restart), a promotional blast is held until the next opening while a transactional one goes out at once.

The platform window of the sending part is built around the current Nairobi time, so the check runs at any hour.

Usage: kenya_check.py WLCOMM DATABASE_URL FAKE_SCRIPT [PSQL]  (PSQL is accepted like the other fake checks)
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from wltest import Checks, api, cli, free_port, start_server, stop_server, wait_for

TOKEN = "at-callback-token-for-kenya"
FOOTER = " STOP *456*9*5#"
PLATFORM_SENDER = "WLTEST"
SENDER_IDS = {"acme": ("ACME", "ACMEInfo"), "beta": ("BETA", "BETAPromo")}
# East Africa Time has been UTC+3 all year since 1960: no tz database needed.
NAIROBI = timezone(timedelta(hours=3))
FINAL = ("delivered", "failed")


def clock(minute):
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def e164(number):
    digits = "".join(c for c in number if c.isdigit())
    return "254" + digits[1:] if digits.startswith("0") else digits


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class Run:
    def __init__(self, wlcomm, url, port, fake_url, checks):
        self.wlcomm, self.url, self.port, self.fake_url, self.check = wlcomm, url, port, fake_url, checks.check
        self.server, self.keys = None, {}

    def start(self, window):
        self.server = start_server(self.wlcomm, self.url, self.port, {
            "WLCOMM_AFRICASTALKING_USERNAME": "sandbox", "WLCOMM_AFRICASTALKING_API_KEY": "fake-api-key",
            "WLCOMM_AFRICASTALKING_BASE_URL": self.fake_url, "WLCOMM_AFRICASTALKING_CALLBACK_TOKEN": TOKEN,
            "WLCOMM_AFRICASTALKING_SENDER_ID": PLATFORM_SENDER, "WLCOMM_SMS_PROMOTIONAL_WINDOW": window})

    def stop(self):
        if self.server:
            stop_server(self.server)
            self.server = None

    def firm(self, slug, *setup):
        cli(self.wlcomm, self.url, "firm", "create", "--slug", slug, "--name", f"{slug.title()} Ltd", "--rate", "1",
            "--mode", "live")
        cli(self.wlcomm, self.url, "firm", "adjust-credits", "--firm", slug, "--credits", "100", "--reason", "test")
        for args in setup:
            cli(self.wlcomm, self.url, "firm", *args, "--firm", slug)
        self.keys[slug] = cli(self.wlcomm, self.url, "key", "create", "--firm", slug)["api_key"]

    def api(self, firm, method, path, body=None):
        return api(self.port, method, path, body, key=self.keys[firm])

    def blast(self, firm, message, recipients, category=None):
        body = {"message": message, "recipients": recipients, **({"category": category} if category else {})}
        answer = self.api(firm, "POST", "/sms", body)
        if "data" not in answer:
            raise RuntimeError(f"POST /sms for {firm}: {answer}")
        return answer["data"]

    def settle(self, firm, ids, seconds=15):
        """{id: message} once every one of `ids` is delivered or failed (or what they are at the deadline)."""
        def final():
            messages = {i: self.api(firm, "GET", f"/sms/{i}")["data"] for i in ids}
            return messages if all(m["status"] in FINAL for m in messages.values()) else None
        return wait_for(final, seconds, 0.3) or {i: self.api(firm, "GET", f"/sms/{i}")["data"] for i in ids}

    def sends(self):
        requests = json.load(urllib.request.urlopen(self.fake_url + "/__fake/requests"))
        return [r for r in requests if r["path"] == "/version1/messaging"]

    def opt_outs(self, firm):
        return {e164(o["phone"]): o["source"] for o in self.api(firm, "GET", "/sms/opt-outs?limit=100")["data"]["opt_outs"]}


def ids_of(data):
    return {e164(m["recipient"]): m["message_id"] for m in data["messages"]}


def skipped_of(data):
    return {e164(s["recipient"]): s["reason"] for s in data["skipped"]}


def categories_and_senders(run):
    text = "Habari! Your order is ready."
    numbers = ["0711000001", "+254711000002"]
    before = len(run.sends())
    ids = {}
    for firm in SENDER_IDS:
        for category in ("transactional", "promotional"):
            data = run.blast(firm, text, numbers, category)
            run.check(f"{firm} {category} blast accepted as {category}",
                      data["category"] == category and len(data["messages"]) == 2,
                      f'{data["category"]}, {len(data["messages"])} messages, skipped {data["skipped"]}')
            ids[firm, category] = list(ids_of(data).values())
    for (firm, category), message_ids in ids.items():
        settled = run.settle(firm, message_ids)
        run.check(f"{firm} {category} messages delivered, GET shows the category",
                  all(m["status"] == "delivered" and m.get("category") == category for m in settled.values()),
                  str([(m["status"], m.get("category")) for m in settled.values()]))
    calls = run.sends()[before:]
    expected = sorted((sender, text + (FOOTER if category == "promotional" else ""))
                      for firm, senders in SENDER_IDS.items() for category, sender in zip(("transactional", "promotional"), senders))
    got = sorted((c["body"].get("from"), c["body"].get("message")) for c in calls)
    run.check("exactly four provider calls, one per firm and category", len(calls) == 4, f"{len(calls)} calls")
    run.check("each call from the firm's sender ID for the category; promotional texts end with the footer",
              got == expected, str(got))
    run.check("each call to both numbers",
              all(sorted(c["body"]["to"].split(",")) == ["+254711000001", "+254711000002"] for c in calls),
              str([c["body"]["to"] for c in calls]))


def blacklist(run):
    balance = run.api("acme", "GET", "/sms-credits/balance")["data"]["sms_credits"]
    data = run.blast("acme", "Your receipt 4411", ["0711000001", "0700000406"])
    ids = ids_of(data)
    settled = run.settle("acme", ids.values())
    refused = settled[ids["254700000406"]]
    run.check("the 406 send fails UserInBlacklist", (refused["status"], refused["response"]) == ("failed", "UserInBlacklist"),
              f'{refused["status"]} / {refused["response"]}')
    entries = run.api("acme", "GET", "/sms-credits/transactions?limit=100")["data"]["transactions"]
    refunds = [e for e in entries if e["kind"] == "refund" and str(e.get("message_id")) == str(ids["254700000406"])]
    after = run.api("acme", "GET", "/sms-credits/balance")["data"]["sms_credits"]
    run.check("it is refunded (a refund entry; only the delivered one stays charged)",
              len(refunds) == 1 and after == balance - 1, f"{len(refunds)} refunds, balance {balance} -> {after}")
    listed = run.opt_outs("acme")
    run.check("GET /sms/opt-outs lists it with source blacklisted", listed.get("254700000406") == "blacklisted", str(listed))
    again = run.blast("acme", "Your receipt 4412", ["0711000001", "0700000406"])
    run.check("the next blast skips it as opted_out and sends the other",
              skipped_of(again) == {"254700000406": "opted_out"} and list(ids_of(again)) == ["254711000001"],
              f'skipped {again["skipped"]}, messages {again["messages"]}')
    run.settle("acme", ids_of(again).values())


def optout_callback(run):
    def post(token, form):
        request = urllib.request.Request(f"http://127.0.0.1:{run.port}/callbacks/africastalking/optout/{token}",
                                         data=urllib.parse.urlencode(form).encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
    form = {"senderId": "BETA", "phoneNumber": "+254711000777"}
    run.check("an opt-out callback with a wrong token is refused", post("wrong-token", form) == 404)
    status = post(TOKEN, form)
    run.check("the opt-out callback for sender ID BETA is answered 200", status == 200, str(status))
    beta, acme = run.opt_outs("beta"), run.opt_outs("acme")
    run.check("beta's list has it with source provider, acme's does not",
              beta.get("254711000777") == "provider" and "254711000777" not in acme, f"beta {beta}, acme {acme}")
    before = len(run.sends())
    to_beta = run.blast("beta", "Flash sale today", ["0711000777", "0711000001"], "promotional")
    run.check("beta's next blast skips it as opted_out",
              skipped_of(to_beta) == {"254711000777": "opted_out"} and list(ids_of(to_beta)) == ["254711000001"],
              f'skipped {to_beta["skipped"]}, messages {to_beta["messages"]}')
    to_acme = run.blast("acme", "Flash sale today", ["0711000777"], "promotional")
    run.check("acme still sends to it", not to_acme["skipped"] and list(ids_of(to_acme)) == ["254711000777"],
              f'skipped {to_acme["skipped"]}, messages {to_acme["messages"]}')
    run.settle("beta", ids_of(to_beta).values())
    settled = run.settle("acme", ids_of(to_acme).values())
    calls = run.sends()[before:]
    run.check("acme's message to it is delivered from ACMEInfo; no beta call includes it",
              all(m["status"] == "delivered" for m in settled.values())
              and [c["body"]["from"] for c in calls if "+254711000777" in c["body"]["to"]] == ["ACMEInfo"],
              str([(c["body"]["from"], c["body"]["to"]) for c in calls]))


def quiet_hours(run, firm, opening, label):
    """A promotional blast held until `opening`, and a transactional one sent at once, by `firm`."""
    promo_text, receipt_text = f"{label}: weekend offer", f"{label}: receipt 77"
    before = len(run.sends())
    held = run.blast(firm, promo_text, ["0711000003"], "promotional")
    scheduled_for = instant(held["scheduled_for"])
    run.check(f"{label}: the promotional blast is accepted with scheduled_for at the next opening",
              scheduled_for is not None and abs((scheduled_for - opening).total_seconds()) < 1,
              f'{held["scheduled_for"]}, opening {opening.astimezone(NAIROBI).isoformat()}')
    held_id = held["messages"][0]["message_id"]
    now = run.blast(firm, receipt_text, ["0711000003"])
    due = instant(now["scheduled_for"])
    run.check(f"{label}: the transactional blast is scheduled for now, not held",
              now["category"] == "transactional" and due is not None
              and abs((due - datetime.now(timezone.utc)).total_seconds()) < 5, str(now["scheduled_for"]))
    sent = run.settle(firm, [m["message_id"] for m in now["messages"]])
    run.check(f"{label}: the transactional message is delivered at once",
              all(m["status"] == "delivered" for m in sent.values()), str([m["status"] for m in sent.values()]))

    def promo_sent():
        return [c for c in run.sends()[before:] if c["body"]["message"].startswith(promo_text)]
    # The held message was accepted first, so had it been due it would have gone out by now; a few more seconds of
    # watching catch a dispatcher that released it late.
    late = wait_for(promo_sent, 3)
    calls = run.sends()[before:]
    run.check(f"{label}: no provider call for the promotional blast, one for the transactional one",
              not late and [c["body"]["message"] for c in calls] == [receipt_text], str([c["body"]["message"] for c in calls]))
    message = run.api(firm, "GET", f"/sms/{held_id}")["data"]
    run.check(f"{label}: GET shows it pending, promotional, scheduled_for the opening",
              message["status"] == "pending" and message.get("category") == "promotional"
              and instant(message.get("scheduled_for")) == scheduled_for,
              f'{message["status"]} / {message.get("category")} / {message.get("scheduled_for")}')


def main():
    wlcomm, url, fake = sys.argv[1:4]
    started = time.monotonic()
    # Minutes are counted from this one: windows around it stay right for the whole run (well under an hour).
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    minute = now.astimezone(NAIROBI).hour * 60 + now.astimezone(NAIROBI).minute
    sending_window = f"{clock(minute - 60)}-{clock(minute + 120)}"
    # The CLI checks a firm window against the platform's, so it reads the same setting as the server.
    os.environ["WLCOMM_SMS_PROMOTIONAL_WINDOW"] = sending_window
    fake_process = None
    checks = Checks("kenya")
    run = None
    try:
        port = free_port()
        fake_process = subprocess.Popen(
            [sys.executable, fake, "--port", "0", "--sender-ids", ",".join([PLATFORM_SENDER, *sum(SENDER_IDS.values(), ())]),
             "--dlr-url", f"http://127.0.0.1:{port}/callbacks/africastalking/dlr/{TOKEN}", "--dlr-delay", "0.3"],
            stdout=subprocess.PIPE, text=True)
        fake_url = fake_process.stdout.readline().strip().removeprefix("listening on ")
        run = Run(wlcomm, url, port, fake_url, checks)
        run.start(sending_window)
        for slug, (transactional, promotional) in SENDER_IDS.items():
            run.firm(slug, ("set-sender-ids", "--transactional", transactional, "--promotional", promotional))
        # gamma keeps the platform's sender ID and narrows its promotional hours to a window opening in 30 minutes.
        run.firm("gamma", ("set-promotional-window", "--window", f"{clock(minute + 30)}-{clock(minute + 60)}"))
        steps = [
            ("1. two firms, both categories: four provider calls", lambda: categories_and_senders(run)),
            ("2. 406 UserInBlacklist opts the number out", lambda: blacklist(run)),
            ("3. the opt-out callback", lambda: optout_callback(run)),
            ("4. quiet hours of a firm's own window", lambda: quiet_hours(run, "gamma", now + timedelta(minutes=30), "gamma's window")),
        ]
        for name, step in steps:
            print("--", name)
            try:
                step()
            except Exception as error:
                checks.check(f"{name} could be checked", False, repr(error)[:300])
        print("-- 5. quiet hours of the platform's window (restarted with one opening in 90 minutes)")
        run.stop()
        run.start(f"{clock(minute + 90)}-{clock(minute + 120)}")
        try:
            quiet_hours(run, "acme", now + timedelta(minutes=90), "platform window")
        except Exception as error:
            checks.check("5. could be checked", False, repr(error)[:300])
    finally:
        if run:
            run.stop()
        if fake_process:
            fake_process.terminate()
            fake_process.wait()
    print(f"kenya check took {time.monotonic() - started:.1f} s")
    checks.close()


if __name__ == "__main__":
    main()
