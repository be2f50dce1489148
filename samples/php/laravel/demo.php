<?php
// The Laravel sample's calls, runnable from the command line; in an app they belong in a job, a command or a
// controller, with WorldLedgers injected.
//
//   php demo.php sms [NUMBER ...]            send, then poll each message until delivered or failed
//   php demo.php credits [PHONE] [AMOUNT]    buy credits with M-Pesa, then poll the payment until it settles
//
// Outside Laravel it loads shim/laravel_shim.php, a TEST SHIM of the few Laravel classes the sample uses (on curl);
// inside Laravel, delete that line: the framework provides them.

declare(strict_types=1);

use App\Services\WorldLedgers;
use Illuminate\Http\Client\RequestException;

require __DIR__.'/shim/laravel_shim.php'; // TEST SHIM: not in a Laravel app
require __DIR__.'/app/Services/WorldLedgers.php';

$worldLedgers = new WorldLedgers(); // in Laravel: app(WorldLedgers::class)
$command = $argv[1] ?? 'sms';

try {
    if ($command === 'sms') {
        $numbers = array_slice($argv, 2) ?: ['254712345678', '254700000099', '254700000088'];
        $blast = $worldLedgers->sendSms('Hello {name}, your payment is due.', $numbers, 'laravel-sample-'.time());
        printf("blast %s: %d scheduled, %d skipped\n", $blast['blast_id'], $blast['scheduled'], count($blast['skipped']));
        foreach ($blast['skipped'] as $skipped) {
            printf("skipped %s: %s\n", $skipped['recipient'], $skipped['reason']);
        }
        $unfinished = 0;
        foreach ($blast['messages'] as $item) {
            $message = $worldLedgers->waitForSms((int) $item['message_id']);
            printf(
                "message %d to %s: %s (status_code %d, response \"%s\", credits %s)\n",
                $message['message_id'], $message['recipient'], $message['status'], $message['status_code'],
                $message['response'], $message['credits'],
            );
            $unfinished += in_array($message['status'], ['delivered', 'failed'], true) ? 0 : 1;
        }
        exit($unfinished ? 1 : 0);
    }
    if ($command === 'credits') {
        printf("balance before: %s credits\n", $worldLedgers->balance()['sms_credits']);
        $payment = $worldLedgers->buyCredits($argv[2] ?? '0712345678', (int) ($argv[3] ?? 500));
        printf("payment %d: %s, estimated %s credits for KES %d\n", $payment['payment_id'], $payment['payment_status'],
            $payment['estimated_credits'], $payment['amount_kes']);
        $payment = $worldLedgers->waitForPurchase((int) $payment['payment_id']);
        if ($payment['payment_status'] === 'Received') {
            printf("payment %d: Received, %s credits applied, balance %s\n", $payment['payment_id'],
                $payment['sms_credits_applied'], $payment['firm_sms_credits']);
        } else {
            printf("payment %d: %s, %s (%s), retryable %s\n", $payment['payment_id'], $payment['payment_status'],
                $payment['failure_code'] ?? '-', $payment['failure_reason'] ?? '-', var_export($payment['retryable'], true));
        }
        exit(in_array($payment['payment_status'], ['Received', 'Failed', 'Held'], true) ? 0 : 1);
    }
    fwrite(STDERR, "usage: php demo.php sms [NUMBER ...] | credits [PHONE] [AMOUNT]\n");
    exit(2);
} catch (RequestException $e) {
    // 422 validation_failed (errors per field), 429 after retries, 502 mpesa_unavailable: see docs/integrate.md.
    printf("refused: %d %s: %s %s\n", $e->response->status(), $e->response->json('code'), $e->response->json('message'),
        json_encode($e->response->json('errors')));
    exit(1);
}
