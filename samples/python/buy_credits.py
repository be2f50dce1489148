#!/usr/bin/env python3
"""Buys SMS credits with M-Pesa (an STK push to the payer's phone), then polls the payment until it settles.

    python3 buy_credits.py [PHONE] [AMOUNT_KES]          (defaults 0712345678 and 500)

Credits granted = amount ÷ the firm's sms_rate, to four decimal places (500 ÷ 1.8 = 277.7778). In the sandbox no
M-Pesa call is made and the payment settles within a second; payers 254700000001 to 254700000004 fail (cancelled,
unreachable, insufficient M-Pesa balance, wrong PIN) and 254700000007 ends Held (wrong amount).
"""
import sys

from worldledgers import APIError, Client


def main():
    phone = sys.argv[1] if len(sys.argv) > 1 else "0712345678"
    amount = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    client = Client()
    print(f"balance before: {client.balance()['sms_credits']} credits")
    try:
        payment = client.buy_credits(phone, amount)
    except APIError as error:
        # 422: a bad phone or amount; 429: too many prompts to this phone; 502 mpesa_unavailable: try again later.
        print(f"purchase refused: {error}")
        return 1
    print(f"payment {payment['payment_id']}: {payment['payment_status']}, "
          f"estimated {payment['estimated_credits']} credits for KES {payment['amount_kes']}")
    payment = client.wait_for_purchase(payment["payment_id"])
    if payment["payment_status"] == "Received":
        print(f"payment {payment['payment_id']}: Received, {payment['sms_credits_applied']} credits applied, "
              f"balance {payment['firm_sms_credits']}")
    else:
        print(f"payment {payment['payment_id']}: {payment['payment_status']}, {payment['failure_code']} "
              f"({payment['failure_reason']}), retryable {payment['retryable']}")
    return 0 if payment["payment_status"] in ("Received", "Failed", "Held") else 1


if __name__ == "__main__":
    sys.exit(main())
