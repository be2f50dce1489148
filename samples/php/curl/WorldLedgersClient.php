<?php
// A small client for the World Ledgers Communication API in plain PHP (7.4 or later) with the curl extension.
// Copy this file into your project. Configuration comes from the environment:
//
//   WL_BASE_URL  default http://127.0.0.1:8080/api/v1/communication (a local `wlcomm serve --seed-sandbox`);
//                production is https://www.worldledgers.com/api/v1/communication
//   WL_API_KEY   default wl_test_communication_sms_sandbox (the sandbox key: nothing is really sent or charged)

declare(strict_types=1);

/** An error answer of the API: HTTP status, the stable `code` (see docs/integrate.md), message, field errors. */
final class WorldLedgersError extends RuntimeException
{
    /** @var int */
    public $status;
    /** @var string */
    public $errorCode;
    /** @var array<string, string[]> */
    public $errors;
    /** @var string|null */
    public $requestId;

    public function __construct(int $status, ?array $body, ?string $requestId)
    {
        $this->status = $status;
        $this->errorCode = (string) ($body['code'] ?? "http_$status");
        $this->errors = $body['errors'] ?? [];
        $this->requestId = $requestId;
        $detail = $this->errors ? ' ' . json_encode($this->errors) : '';
        parent::__construct("$status {$this->errorCode}: " . ($body['message'] ?? '') . $detail . " (request $requestId)");
    }
}

final class WorldLedgersClient
{
    public const SANDBOX_KEY = 'wl_test_communication_sms_sandbox';
    public const DEFAULT_BASE_URL = 'http://127.0.0.1:8080/api/v1/communication';

    /** @var string */
    private $baseUrl;
    /** @var string */
    private $apiKey;
    /** @var int */
    private $retries;

    public function __construct(?string $baseUrl = null, ?string $apiKey = null, int $retries = 3)
    {
        $this->baseUrl = rtrim($baseUrl ?: (getenv('WL_BASE_URL') ?: self::DEFAULT_BASE_URL), '/');
        $this->apiKey = $apiKey ?: (getenv('WL_API_KEY') ?: self::SANDBOX_KEY);
        $this->retries = $retries;
    }

    /** Schedules SMS: blast_id, scheduled, skipped, reference, messages (message_id, recipient). */
    public function sendSms(string $message, array $recipients, ?string $reference = null, ?string $sendAt = null): array
    {
        $body = ['message' => $message, 'recipients' => array_values($recipients)];
        if ($reference !== null) {
            $body['reference'] = $reference;
        }
        if ($sendAt !== null) {
            $body['send_at'] = $sendAt; // 'YYYY-MM-DD HH:MM:SS' in the firm's timezone, or ISO 8601 with an offset
        }
        return $this->request('POST', '/sms', $body);
    }

    /** One SMS: status (pending, processing, delivered, failed), status_code (0, 3, 1, 2), response, credits… */
    public function sms(int $messageId): array
    {
        return $this->request('GET', "/sms/$messageId");
    }

    /** Polls until the SMS is delivered or failed. Webhooks tell you sooner; poll as a fallback. */
    public function waitForSms(int $messageId, int $timeoutSeconds = 120): array
    {
        return $this->wait(function () use ($messageId) {
            return $this->sms($messageId);
        }, function (array $m) {
            return in_array($m['status'], ['delivered', 'failed'], true);
        }, $timeoutSeconds);
    }

    /** sms_credits, sms_rate, currency. */
    public function balance(): array
    {
        return $this->request('GET', '/sms-credits/balance');
    }

    /** Starts an M-Pesa STK push for $amount whole KES: the payment, Pending. */
    public function buyCredits(string $phone, int $amount): array
    {
        return $this->request('POST', '/sms-credits/purchase', ['phone' => $phone, 'amount' => $amount]);
    }

    /** A payment: payment_status (Pending, Received, Failed, Held), sms_credits_applied, failure_code… */
    public function purchase(int $paymentId): array
    {
        return $this->request('GET', "/sms-credits/purchase/$paymentId");
    }

    /** Polls until the payment is Received, Failed or Held (the payer has about a minute to enter the PIN). */
    public function waitForPurchase(int $paymentId, int $timeoutSeconds = 180): array
    {
        return $this->wait(function () use ($paymentId) {
            return $this->purchase($paymentId);
        }, function (array $p) {
            return in_array($p['payment_status'], ['Received', 'Failed', 'Held'], true);
        }, $timeoutSeconds);
    }

    /**
     * The `data` of a success envelope; throws WorldLedgersError for an error envelope. A POST carries an
     * Idempotency-Key, the same on every retry, so a retry never sends, charges or prompts twice.
     */
    public function request(string $method, string $path, ?array $body = null): array
    {
        $headers = ['X-API-Key: ' . $this->apiKey, 'Accept: application/json'];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        if ($method === 'POST') {
            $headers[] = 'Idempotency-Key: ' . bin2hex(random_bytes(16));
        }
        for ($attempt = 0;; $attempt++) {
            $curl = curl_init($this->baseUrl . $path);
            $responseHeaders = [];
            curl_setopt_array($curl, [
                CURLOPT_CUSTOMREQUEST => $method,
                CURLOPT_HTTPHEADER => $headers,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_CONNECTTIMEOUT => 10,
                CURLOPT_TIMEOUT => 30,
                CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$responseHeaders) {
                    $parts = explode(':', $line, 2);
                    if (count($parts) === 2) {
                        $responseHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                    }
                    return strlen($line);
                },
            ]);
            if ($body !== null) {
                curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
            }
            $text = curl_exec($curl);
            $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
            $error = curl_error($curl);
            curl_close($curl);
            if ($text === false) { // no answer: time-out or connection refused; the Idempotency-Key makes a retry safe
                if ($attempt >= $this->retries) {
                    throw new RuntimeException("World Ledgers did not answer: $error");
                }
                sleep(2 ** $attempt);
                continue;
            }
            $envelope = json_decode((string) $text, true);
            if ($status >= 200 && $status < 300 && is_array($envelope)) {
                return $envelope['data'];
            }
            // 429 (a limit) and 503 (database briefly away) say when to come back; nothing was done.
            if (($status === 429 || $status === 503) && $attempt < $this->retries) {
                sleep(min((int) ($responseHeaders['retry-after'] ?? 1), 30));
                continue;
            }
            throw new WorldLedgersError($status, is_array($envelope) ? $envelope : null, $responseHeaders['x-request-id'] ?? null);
        }
    }

    private function wait(callable $fetch, callable $done, int $timeoutSeconds): array
    {
        $deadline = microtime(true) + $timeoutSeconds;
        $pause = 0.5;
        while (true) {
            $value = $fetch();
            if ($done($value) || microtime(true) >= $deadline) {
                return $value;
            }
            usleep((int) ($pause * 1000000));
            $pause = min($pause * 1.5, 5.0);
        }
    }
}
