#!/usr/bin/env python3
"""Sends one SMS to each number given (default: the sandbox's three test numbers), then polls each message until it
is delivered or failed.

    python3 send_sms.py [NUMBER ...]
    WL_BASE_URL=… WL_API_KEY=… python3 send_sms.py 0712345678

Sandbox numbers: 254712345678 ends delivered, 254700000099 failed, 254700000088 failed with "Insufficient SMS
credits" (not charged); any other number is delivered.
"""
import sys
import time

from worldledgers import APIError, Client

SANDBOX_NUMBERS = ["254712345678", "254700000099", "254700000088"]


def main():
    numbers = sys.argv[1:] or SANDBOX_NUMBERS
    client = Client()
    try:
        blast = client.send_sms("Hello {name}, your payment is due.", numbers, reference=f"python-sample-{int(time.time())}")
    except APIError as error:
        print(f"not sent: {error}")  # e.g. 422 validation_failed with error.errors naming each field
        return 1
    print(f"blast {blast['blast_id']}: {blast['scheduled']} scheduled, {len(blast['skipped'])} skipped")
    for skipped in blast["skipped"]:
        print(f"skipped {skipped['recipient']}: {skipped['reason']}")
    unfinished = 0
    for item in blast["messages"]:
        message = client.wait_for_sms(item["message_id"])
        print(f"message {message['message_id']} to {message['recipient']}: {message['status']} "
              f"(status_code {message['status_code']}, response \"{message['response']}\", credits {message['credits']})")
        unfinished += message["status"] not in ("delivered", "failed")
    return 1 if unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
