<?php
// Sends one SMS to each number given (default: the sandbox's three test numbers), then polls each message until it
// is delivered or failed.
//
//   php send_sms.php [NUMBER ...]
//   WL_BASE_URL=… WL_API_KEY=… php send_sms.php 0712345678
//
// Sandbox numbers: 254712345678 ends delivered, 254700000099 failed, 254700000088 failed with "Insufficient SMS
// credits" (not charged); any other number is delivered.

declare(strict_types=1);

require __DIR__ . '/WorldLedgersClient.php';

$numbers = array_slice($argv, 1) ?: ['254712345678', '254700000099', '254700000088'];
$client = new WorldLedgersClient();
try {
    $blast = $client->sendSms('Hello {name}, your payment is due.', $numbers, 'php-sample-' . time());
} catch (WorldLedgersError $error) {
    fwrite(STDOUT, "not sent: {$error->getMessage()}\n"); // e.g. 422 validation_failed, $error->errors per field
    exit(1);
}
printf("blast %s: %d scheduled, %d skipped\n", $blast['blast_id'], $blast['scheduled'], count($blast['skipped']));
foreach ($blast['skipped'] as $skipped) {
    printf("skipped %s: %s\n", $skipped['recipient'], $skipped['reason']);
}
$unfinished = 0;
foreach ($blast['messages'] as $item) {
    $message = $client->waitForSms((int) $item['message_id']);
    printf(
        "message %d to %s: %s (status_code %d, response \"%s\", credits %s)\n",
        $message['message_id'], $message['recipient'], $message['status'], $message['status_code'], $message['response'],
        $message['credits']
    );
    $unfinished += in_array($message['status'], ['delivered', 'failed'], true) ? 0 : 1;
}
exit($unfinished ? 1 : 0);
