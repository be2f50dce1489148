<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Log;

/**
 * Receives World Ledgers webhooks (message and payment events) and accepts only signed ones.
 *
 * Route it outside the `web` middleware group, which would ask for a CSRF token (routes/api.php):
 *
 *     Route::post('/webhooks/world-ledgers', \App\Http\Controllers\WorldLedgersWebhookController::class);
 *
 * and set the firm's webhook URL to https://your-app.example/api/webhooks/world-ledgers with the secret that is in
 * config('services.worldledgers.webhook_secret').
 *
 * A request is accepted only when both signatures hold: X-WL-Signature (sha256=<hex HMAC-SHA256 of the raw body>,
 * the contract's formula) and the Standard Webhooks signature (webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">, with a timestamp within 5 minutes, so a captured request cannot be replayed later).
 */
class WorldLedgersWebhookController
{
    private const TOLERANCE_SECONDS = 300;

    public function __invoke(Request $request): JsonResponse
    {
        $body = $request->getContent(); // the raw bytes: never re-encode the parsed JSON, the signature would not match
        $reason = $this->verify($body, $request, (string) config('services.worldledgers.webhook_secret'));
        $payload = $reason === null ? json_decode($body, true) : null;
        if ($reason === null && ! is_array($payload)) {
            $reason = 'the body is not JSON';
        }
        if ($reason !== null) {
            return response()->json(['error' => $reason], 401);
        }

        // Answer fast (World Ledgers waits 15 s, then retries) and handle each event once: the same webhook-id can
        // arrive twice after a time-out. In an app: if (Cache::add('wl-webhook:'.$id, true, now()->addDay()))
        // { ProcessWorldLedgersEvent::dispatch($payload); }. $payload['type'] is sms, email, payment or test.
        Log::info('world ledgers event', ['webhook_id' => $request->header('webhook-id')] + $payload);

        return response()->json(['received' => true]);
    }

    /** Null when both signatures hold, else the reason. */
    private function verify(string $body, Request $request, string $secret): ?string
    {
        if ($secret === '') {
            return 'no webhook secret is configured';
        }
        $expected = 'sha256='.hash_hmac('sha256', $body, $secret);
        if (! hash_equals($expected, (string) $request->header('X-WL-Signature'))) {
            return 'X-WL-Signature does not match';
        }

        // Standard Webhooks, keyed with the same secret bytes (stock libraries take 'whsec_'.base64_encode($secret)).
        $id = (string) $request->header('webhook-id');
        $timestamp = (string) $request->header('webhook-timestamp');
        if ($id === '' || ! ctype_digit($timestamp)) {
            return 'webhook-id or webhook-timestamp missing';
        }
        if (abs(time() - (int) $timestamp) > self::TOLERANCE_SECONDS) {
            return 'webhook-timestamp is more than 5 minutes away';
        }
        $expected = base64_encode(hash_hmac('sha256', "{$id}.{$timestamp}.{$body}", $secret, true));
        // While a secret is being rotated there is one signature per valid secret, space-separated.
        foreach (preg_split('/\s+/', (string) $request->header('webhook-signature'), -1, PREG_SPLIT_NO_EMPTY) as $signature) {
            if (str_starts_with($signature, 'v1,') && hash_equals($expected, substr($signature, 3))) {
                return null;
            }
        }

        return 'webhook-signature does not match';
    }
}
