<?php
// A webhook receiver for World Ledgers delivery and payment events in plain PHP. Put it behind your web server, or
// try it with PHP's built-in one:
//
//   WL_WEBHOOK_SECRET='the secret set with `wlcomm webhook set --secret`' php -S 127.0.0.1:8000 webhook_receiver.php
//
// It accepts a POST only when both signatures hold:
//   - X-WL-Signature: sha256=<hex HMAC-SHA256 of the raw body> (the contract's formula), and
//   - the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 of
//     "id.timestamp.body">, with the timestamp within 5 minutes (so a captured request cannot be replayed later).
// Anything else is answered 401 and not processed. Accepted events are logged as one JSON line each (to
// WL_EVENTS_FILE when it is set, else to the server's error log); replace handle_event() with your own (queue a job
// and answer at once: World Ledgers waits 15 s, then retries). The same event can arrive twice (a retry after a
// time-out): handle it once per webhook-id.

declare(strict_types=1);

const WL_TOLERANCE_SECONDS = 300;

/**
 * Null when $body (the raw bytes, exactly as received) and $headers (lower-case names) carry valid signatures made
 * with $secret, else the reason they do not.
 */
function wl_verify(string $body, array $headers, string $secret, ?int $now = null): ?string
{
    // 1. The contract's signature, over the raw body (never json_encode(json_decode($body)): the bytes would change).
    $expected = 'sha256=' . hash_hmac('sha256', $body, $secret);
    if (!hash_equals($expected, $headers['x-wl-signature'] ?? '')) {
        return 'X-WL-Signature does not match';
    }
    // 2. Standard Webhooks: "id.timestamp.body" keyed with the same secret bytes (stock libraries take it as
    //    'whsec_' . base64_encode($secret)); any one of the space-separated v1 signatures (while a secret is being
    //    rotated there is one per valid secret); a fresh timestamp.
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    if ($id === '' || !ctype_digit($timestamp)) {
        return 'webhook-id or webhook-timestamp missing';
    }
    if (abs(($now ?? time()) - (int) $timestamp) > WL_TOLERANCE_SECONDS) {
        return 'webhook-timestamp is more than 5 minutes away';
    }
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $secret, true));
    foreach (preg_split('/\s+/', $headers['webhook-signature'] ?? '', -1, PREG_SPLIT_NO_EMPTY) as $signature) {
        if (strncmp($signature, 'v1,', 3) === 0 && hash_equals($expected, substr($signature, 3))) {
            return null;
        }
    }
    return 'webhook-signature does not match';
}

/** Your code goes here. $payload['type'] is sms, email, payment or test; see docs/integrate.md. */
function handle_event(string $webhookId, array $payload): void
{
    $line = json_encode(['webhook_id' => $webhookId] + $payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    $file = getenv('WL_EVENTS_FILE');
    if ($file) {
        file_put_contents($file, $line . "\n", FILE_APPEND | LOCK_EX);
    } else {
        error_log("world ledgers event: $line");
    }
}

function wl_answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    header('Allow: POST');
    wl_answer(405, ['error' => 'POST only']);
    return;
}
$secret = getenv('WL_WEBHOOK_SECRET');
if (!$secret) {
    wl_answer(500, ['error' => 'WL_WEBHOOK_SECRET is not set']);
    return;
}
$body = file_get_contents('php://input');
$headers = [];
foreach ($_SERVER as $name => $value) { // HTTP_X_WL_SIGNATURE → x-wl-signature
    if (strncmp($name, 'HTTP_', 5) === 0) {
        $headers[strtolower(str_replace('_', '-', substr($name, 5)))] = (string) $value;
    }
}
$reason = wl_verify($body, $headers, $secret);
$payload = $reason === null ? json_decode($body, true) : null;
if ($reason === null && !is_array($payload)) {
    $reason = 'the body is not JSON';
}
if ($reason !== null) {
    wl_answer(401, ['error' => $reason]);
    return;
}
handle_event($headers['webhook-id'], $payload);
wl_answer(200, ['received' => true]);
