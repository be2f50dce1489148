<?php
// Buys SMS credits with M-Pesa (an STK push to the payer's phone), then polls the payment until it settles.
//
//   php buy_credits.php [PHONE] [AMOUNT_KES]          (defaults 0712345678 and 500)
//
// Credits granted = amount ÷ the firm's sms_rate, to four decimal places (500 ÷ 1.8 = 277.7778). In the sandbox no
// M-Pesa call is made and the payment settles within a second; payers 254700000001 to 254700000004 fail (cancelled,
// unreachable, insufficient M-Pesa balance, wrong PIN) and 254700000007 ends Held (wrong amount).

declare(strict_types=1);

require __DIR__ . '/WorldLedgersClient.php';

$phone = $argv[1] ?? '0712345678';
$amount = (int) ($argv[2] ?? 500);
$client = new WorldLedgersClient();
printf("balance before: %s credits\n", $client->balance()['sms_credits']);
try {
    $payment = $client->buyCredits($phone, $amount);
} catch (WorldLedgersError $error) {
    // 422: a bad phone or amount; 429: too many prompts to this phone; 502 mpesa_unavailable: try again later.
    fwrite(STDOUT, "purchase refused: {$error->getMessage()}\n");
    exit(1);
}
printf("payment %d: %s, estimated %s credits for KES %d\n", $payment['payment_id'], $payment['payment_status'],
    $payment['estimated_credits'], $payment['amount_kes']);
$payment = $client->waitForPurchase((int) $payment['payment_id']);
if ($payment['payment_status'] === 'Received') {
    printf("payment %d: Received, %s credits applied, balance %s\n", $payment['payment_id'], $payment['sms_credits_applied'],
        $payment['firm_sms_credits']);
} else {
    printf("payment %d: %s, %s (%s), retryable %s\n", $payment['payment_id'], $payment['payment_status'],
        $payment['failure_code'] ?? '-', $payment['failure_reason'] ?? '-', var_export($payment['retryable'], true));
}
exit(in_array($payment['payment_status'], ['Received', 'Failed', 'Held'], true) ? 0 : 1);
