#!/usr/bin/env python3
"""Live SMS through an independent Africa's Talking fake (../shared/fakes/africastalking_fake.py).

Starts the fake with its delivery reports pointed at our callback endpoint, and `wlcomm serve` configured to send
live SMS to the fake. A live firm sends one SMS to each of the fake's magic numbers; the check waits for every
message to settle and compares statuses, responses, networks, charges, refunds and events with what the fake's
README documents: rejections at send (403, 406) are refunded; the always-500 number is retried and then refunded;
Failed/Rejected reports fail without refund (a
UserInBlackList one lists the number, as a UserInBlacklist refusal does); an out-of-order Buffered after Success and a duplicate Success change
nothing; identical texts go out in one provider call with Accept: application/json and +254 numbers.

Usage: at_fake_check.py WLCOMM DATABASE_URL FAKE_SCRIPT [PSQL]
"""
import json
import subprocess
import sys
import time
import urllib.request

from wltest import Checks, api, cli, free_port, query, start_server

TOKEN = "at-callback-token-for-tests"
EXPECTED = {  # number: (status, response, charged after all)
    "254711000001": ("delivered", "Success", True),
    "254700000099": ("failed", "Failed: UserDoesNotExist", True),
    "254700000098": ("failed", "Failed: DeliveryFailure", True),
    "254700000097": ("failed", "Rejected: UserInBlackList", True),
    "254700000777": ("delivered", "Success", True),
    "254700000888": ("delivered", "Success", True),
    "254700000406": ("failed", "UserInBlacklist", False),
    "254700000403": ("failed", "InvalidPhoneNumber", False),
    "254700000500": ("failed", "Gave up after 3 attempts: InternalServerError", False),
}


def main():
    wlcomm, url, fake = sys.argv[1:4]
    psql = sys.argv[4] if len(sys.argv) > 4 else "psql"
    port = free_port()
    fake_process = subprocess.Popen(
        [sys.executable, fake, "--port", "0", "--dlr-url", f"http://127.0.0.1:{port}/callbacks/africastalking/dlr/{TOKEN}",
         "--dlr-delay", "0.3"], stdout=subprocess.PIPE, text=True)
    fake_url = fake_process.stdout.readline().strip().removeprefix("listening on ")
    env = {
        "WLCOMM_AFRICASTALKING_USERNAME": "sandbox", "WLCOMM_AFRICASTALKING_API_KEY": "fake-api-key",
        "WLCOMM_AFRICASTALKING_BASE_URL": fake_url, "WLCOMM_AFRICASTALKING_CALLBACK_TOKEN": TOKEN,
        "WLCOMM_AFRICASTALKING_SENDER_ID": "WLTEST", "WLCOMM_DISPATCH_MAX_ATTEMPTS": "3",
        "WLCOMM_DISPATCH_BASE_BACKOFF_SECONDS": "1",
    }
    server = start_server(wlcomm, url, port, env)
    checks = Checks("africa's talking fake")
    try:
        cli(wlcomm, url, "firm", "create", "--slug", "live", "--name", "Live Ltd", "--rate", "1", "--mode", "live")
        cli(wlcomm, url, "firm", "adjust-credits", "--firm", "live", "--credits", "100", "--reason", "test")
        key = cli(wlcomm, url, "key", "create", "--firm", "live")["api_key"]
        numbers = ["0" + n[3:] for n in EXPECTED]
        sent = api(port, "POST", "/sms", {"message": "Hello from the fake check", "recipients": numbers}, key=key)
        ids = {m["recipient"]: m["message_id"] for m in sent["data"]["messages"]}
        checks.check("all nine accepted", len(ids) == 9, str(sent.get("data", sent))[:200])
        final = {}
        deadline = time.time() + 60
        while time.time() < deadline and len(final) < len(ids):
            for number, id in ids.items():
                data = api(port, "GET", f"/sms/{id}", key=key)["data"]
                if data["status"] in ("delivered", "failed"):
                    final[number] = data
            time.sleep(0.3)
        # The late reports (Buffered after Success, the duplicate Success) come after the final status: wait until the
        # fake has had the server's answer to every report it sends those two (three and two), not a fixed time.
        planned = {"+254700000777": 3, "+254700000888": 2}
        answered = {}
        deadline = time.time() + 30
        while time.time() < deadline:
            callbacks = json.load(urllib.request.urlopen(fake_url + "/__fake/callbacks"))
            answered = {n: sum(1 for c in callbacks if c["body"]["phoneNumber"] == n and c["status"] is not None) for n in planned}
            if answered == planned:
                break
            time.sleep(0.1)
        checks.check("every report planned for the late and duplicate numbers was answered", answered == planned, str(answered))
        for number, (status, response, _) in EXPECTED.items():
            data = api(port, "GET", f"/sms/{ids[number]}", key=key)["data"]
            checks.check(f"{number} ends {status} ({response})", (data["status"], data["response"]) == (status, response),
                         f'{data["status"]} / {data["response"]}')
        network = api(port, "GET", f"/sms/{ids['254711000001']}", key=key)["data"]["network"]
        checks.check("the network comes from the report's networkCode", network == "Safaricom", str(network))
        charged = sum(1 for _, _, c in EXPECTED.values() if c)
        balance = api(port, "GET", "/sms-credits/balance", key=key)["data"]["sms_credits"]
        checks.check("refused messages are refunded, delivered and reported-failed ones stay charged", balance == 100 - charged,
                     f"balance {balance}")
        events = dict(query(url, psql, f"SELECT message_id, COUNT(*) FROM message_events WHERE message_id IN "
                                       f"({ids['254700000888']}, {ids['254700000777']}) GROUP BY message_id"))
        checks.check("duplicate and late reports add no events",
                     events == {str(ids["254700000888"]): "2", str(ids["254700000777"]): "2"}, str(events))
        listed = api(port, "GET", "/sms/opt-outs", key=key)["data"]["opt_outs"]
        checks.check("a UserInBlacklist refusal and a UserInBlackList report both list the number as blacklisted",
                     sorted((o["phone"], o["source"]) for o in listed)
                     == [("254700000097", "blacklisted"), ("254700000406", "blacklisted")], str(listed)[:300])
        requests = json.load(urllib.request.urlopen(fake_url + "/__fake/requests"))
        sends = [r for r in requests if r["path"] == "/version1/messaging"]
        checks.check("one provider call for the nine identical texts, then retries of the transient one",
                     len(sends[0]["body"]["to"].split(",")) == 9 and all(s["body"]["to"] == "+254700000500" for s in sends[1:]),
                     f"{len(sends)} calls")
        checks.check("the always-500 number was tried three times",
                     sum("+254700000500" in s["body"]["to"] for s in sends) == 3)
        checks.check("every call asks for JSON with the apiKey header and the sender id",
                     all(s["headers"].get("accept") == "application/json" and s["headers"].get("apikey") == "fake-api-key"
                         and s["body"].get("from") == "WLTEST" for s in sends))
        callbacks = json.load(urllib.request.urlopen(fake_url + "/__fake/callbacks"))
        checks.check("every delivery report was answered 200", callbacks and all(c["status"] == 200 for c in callbacks),
                     f"{len(callbacks)} reports")
        wrong = urllib.request.Request(f"http://127.0.0.1:{port}/callbacks/africastalking/dlr/wrong-token", method="POST",
                                       data=b"id=x&status=Success")
        try:
            urllib.request.urlopen(wrong)
            checks.check("a report with a wrong token is refused", False)
        except urllib.error.HTTPError as error:
            checks.check("a report with a wrong token is refused", error.code == 404, str(error.code))
    finally:
        server.terminate()
        server.wait()
        fake_process.terminate()
        fake_process.wait()
    checks.close()


if __name__ == "__main__":
    main()
