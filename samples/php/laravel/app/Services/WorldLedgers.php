<?php

namespace App\Services;

use Illuminate\Http\Client\ConnectionException;
use Illuminate\Http\Client\PendingRequest;
use Illuminate\Http\Client\RequestException;
use Illuminate\Support\Facades\Http;
use Illuminate\Support\Str;

/**
 * The World Ledgers Communication API through Laravel's HTTP client.
 *
 * Copy to app/Services/WorldLedgers.php and add to config/services.php (see config/services.php beside this folder):
 *
 *     'worldledgers' => [
 *         'url' => env('WL_BASE_URL', 'https://www.worldledgers.com/api/v1/communication'),
 *         'key' => env('WL_API_KEY'),
 *         'webhook_secret' => env('WL_WEBHOOK_SECRET'),
 *     ],
 *
 * then inject it (`public function __construct(private WorldLedgers $worldLedgers)`) or `app(WorldLedgers::class)`.
 * Every method returns the `data` of the success envelope as an array, and throws RequestException for an error
 * answer: `$e->response->status()`, `$e->response->json('code')` (see docs/integrate.md) and
 * `$e->response->json('errors')` (field => messages, for 422).
 */
class WorldLedgers
{
    private string $baseUrl;

    private string $apiKey;

    public function __construct(?string $baseUrl = null, ?string $apiKey = null)
    {
        $this->baseUrl = rtrim($baseUrl ?? config('services.worldledgers.url'), '/');
        $this->apiKey = $apiKey ?? config('services.worldledgers.key');
    }

    /** Schedules SMS: blast_id, scheduled, skipped, reference, messages (message_id, recipient). */
    public function sendSms(string $message, array $recipients, ?string $reference = null, ?string $sendAt = null): array
    {
        return $this->post('/sms', array_filter([
            'message' => $message,
            'recipients' => array_values($recipients),
            'reference' => $reference,
            'send_at' => $sendAt, // 'YYYY-MM-DD HH:MM:SS' in the firm's timezone, or ISO 8601 with an offset
        ], fn ($value) => $value !== null));
    }

    /** One SMS: status (pending, processing, delivered, failed), status_code (0, 3, 1, 2), response, credits… */
    public function sms(int $messageId): array
    {
        return $this->get("/sms/{$messageId}");
    }

    /** Polls until the SMS is delivered or failed. The webhook tells you sooner; poll as a fallback. */
    public function waitForSms(int $messageId, int $timeoutSeconds = 120): array
    {
        return $this->waitUntil(
            fn () => $this->sms($messageId),
            fn (array $message) => in_array($message['status'], ['delivered', 'failed'], true),
            $timeoutSeconds,
        );
    }

    /** sms_credits, sms_rate, currency. */
    public function balance(): array
    {
        return $this->get('/sms-credits/balance');
    }

    /** Starts an M-Pesa STK push for $amount whole KES: the payment, Pending. */
    public function buyCredits(string $phone, int $amount): array
    {
        return $this->post('/sms-credits/purchase', ['phone' => $phone, 'amount' => $amount]);
    }

    /** A payment: payment_status (Pending, Received, Failed, Held), sms_credits_applied, failure_code… */
    public function purchase(int $paymentId): array
    {
        return $this->get("/sms-credits/purchase/{$paymentId}");
    }

    /** Polls until the payment is Received, Failed or Held (the payer has about a minute to enter the PIN). */
    public function waitForPurchase(int $paymentId, int $timeoutSeconds = 180): array
    {
        return $this->waitUntil(
            fn () => $this->purchase($paymentId),
            fn (array $payment) => in_array($payment['payment_status'], ['Received', 'Failed', 'Held'], true),
            $timeoutSeconds,
        );
    }

    private function get(string $path): array
    {
        return $this->client()->get($this->baseUrl.$path)->throw()->json('data');
    }

    /** One Idempotency-Key for the request and all its retries, so a retry never sends, charges or prompts twice. */
    private function post(string $path, array $body): array
    {
        return $this->client()
            ->withHeaders(['Idempotency-Key' => (string) Str::uuid()])
            ->post($this->baseUrl.$path, $body)
            ->throw()
            ->json('data');
    }

    /**
     * Bearer authentication (X-API-Key works too), JSON, and retries of what is safe to retry: no answer at all,
     * 429 (a limit) and 503 (database briefly away), after the Retry-After the API sends.
     */
    private function client(): PendingRequest
    {
        return Http::withToken($this->apiKey)
            ->acceptJson()
            ->timeout(30)
            ->retry(
                3,
                fn (int $attempt, \Throwable $e) => $e instanceof RequestException
                    ? 1000 * min(30, max(1, (int) $e->response->header('Retry-After')))
                    : 1000 * $attempt,
                fn (\Throwable $e) => $e instanceof ConnectionException
                    || ($e instanceof RequestException && in_array($e->response->status(), [429, 503], true)),
                throw: false,
            );
    }

    private function waitUntil(callable $fetch, callable $done, int $timeoutSeconds): array
    {
        $deadline = microtime(true) + $timeoutSeconds;
        $pause = 0.5;
        while (true) {
            $value = $fetch();
            if ($done($value) || microtime(true) >= $deadline) {
                return $value;
            }
            usleep((int) ($pause * 1_000_000));
            $pause = min($pause * 1.5, 5.0);
        }
    }
}
