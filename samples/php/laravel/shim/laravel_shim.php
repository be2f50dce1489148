<?php
// TEST SHIM, NOT LARAVEL. Do not copy this file into a Laravel app: Laravel provides all of it.
//
// It lets CI run the Laravel-style sample (app/) against a real wlcomm server on a machine without Laravel or
// Composer: just the classes, methods and helpers the sample calls, with Laravel's names and behaviour, on the curl
// extension. Http::withToken / withHeaders / acceptJson / timeout / retry / get / post; Response::successful /
// failed / status / json / header / body / throw; Request::capture / getContent / header; response()->json();
// config() over config/services.php with env(); Log::info; Str::uuid.

declare(strict_types=1);

namespace Illuminate\Http\Client {
    class ConnectionException extends \RuntimeException
    {
    }

    class RequestException extends \RuntimeException
    {
        public Response $response;

        public function __construct(Response $response)
        {
            $this->response = $response;
            parent::__construct("HTTP request returned status code {$response->status()}:\n{$response->body()}");
        }
    }

    class Response
    {
        /** @param array<string, string> $headers lower-case names */
        public function __construct(private int $status, private string $body, private array $headers)
        {
        }

        public function status(): int
        {
            return $this->status;
        }

        public function body(): string
        {
            return $this->body;
        }

        public function header(string $name): string
        {
            return $this->headers[strtolower($name)] ?? '';
        }

        /** The decoded body, or the value at a dotted key (`json('data.blast_id')`). */
        public function json(?string $key = null, mixed $default = null): mixed
        {
            $value = json_decode($this->body, true);
            foreach ($key === null ? [] : explode('.', $key) as $segment) {
                if (! is_array($value) || ! array_key_exists($segment, $value)) {
                    return $default;
                }
                $value = $value[$segment];
            }
            return $value;
        }

        public function successful(): bool
        {
            return $this->status >= 200 && $this->status < 300;
        }

        public function failed(): bool
        {
            return $this->status >= 400;
        }

        public function toException(): ?RequestException
        {
            return $this->failed() ? new RequestException($this) : null;
        }

        public function throw(): static
        {
            if ($this->failed()) {
                throw new RequestException($this);
            }
            return $this;
        }
    }

    class PendingRequest
    {
        private array $headers = [];
        private int $timeout = 30;
        private int $tries = 1;
        private \Closure|int $retryDelay = 100;
        private $retryWhen = null;
        private bool $retryThrow = true;

        public function withHeaders(array $headers): static
        {
            $this->headers = array_merge($this->headers, $headers);
            return $this;
        }

        public function withToken(string $token, string $type = 'Bearer'): static
        {
            return $this->withHeaders(['Authorization' => trim("$type $token")]);
        }

        public function acceptJson(): static
        {
            return $this->withHeaders(['Accept' => 'application/json']);
        }

        public function timeout(int $seconds): static
        {
            $this->timeout = $seconds;
            return $this;
        }

        public function retry(int $times, \Closure|int $sleepMilliseconds = 0, ?callable $when = null, bool $throw = true): static
        {
            [$this->tries, $this->retryDelay, $this->retryWhen, $this->retryThrow] = [$times, $sleepMilliseconds, $when, $throw];
            return $this;
        }

        public function get(string $url, array $query = []): Response
        {
            return $this->send('GET', $query ? $url.'?'.http_build_query($query) : $url, null);
        }

        public function post(string $url, array $data = []): Response
        {
            return $this->send('POST', $url, $data);
        }

        /** Laravel's retry rules: a failed response or no answer is tried again while `when` agrees and tries remain. */
        private function send(string $method, string $url, ?array $data): Response
        {
            for ($attempt = 1;; $attempt++) {
                try {
                    $response = $this->once($method, $url, $data);
                    $exception = $response->toException();
                } catch (ConnectionException $e) {
                    [$response, $exception] = [null, $e];
                }
                if ($exception === null) {
                    return $response;
                }
                $retry = $this->retryWhen === null || ($this->retryWhen)($exception, $this);
                if ($attempt < $this->tries && $retry) {
                    $delay = $this->retryDelay instanceof \Closure ? ($this->retryDelay)($attempt, $exception) : $this->retryDelay;
                    usleep(1000 * (int) $delay);
                    continue;
                }
                if ($response === null || ($this->tries > 1 && $this->retryThrow)) {
                    throw $exception;
                }
                return $response;
            }
        }

        private function once(string $method, string $url, ?array $data): Response
        {
            $headers = [];
            foreach ($this->headers as $name => $value) {
                $headers[] = "$name: $value";
            }
            $curl = curl_init($url);
            $received = [];
            curl_setopt_array($curl, [
                CURLOPT_CUSTOMREQUEST => $method,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_TIMEOUT => $this->timeout,
                CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$received) {
                    $parts = explode(':', $line, 2);
                    if (count($parts) === 2) {
                        $received[strtolower(trim($parts[0]))] = trim($parts[1]);
                    }
                    return strlen($line);
                },
            ]);
            if ($data !== null) {
                $headers[] = 'Content-Type: application/json';
                curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
            }
            curl_setopt($curl, CURLOPT_HTTPHEADER, $headers);
            $body = curl_exec($curl);
            $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
            $error = curl_error($curl);
            curl_close($curl);
            if ($body === false) {
                throw new ConnectionException($error);
            }
            return new Response($status, (string) $body, $received);
        }
    }
}

namespace Illuminate\Support\Facades {
    use Illuminate\Http\Client\PendingRequest;

    /** @method static PendingRequest withToken(string $token) and every other PendingRequest method, statically */
    class Http
    {
        public static function __callStatic(string $method, array $arguments): mixed
        {
            return (new PendingRequest())->$method(...$arguments);
        }
    }

    class Log
    {
        /** One JSON line to WL_EVENTS_FILE when set, else to the error log. */
        public static function info(string $message, array $context = []): void
        {
            $line = json_encode($context, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
            $file = getenv('WL_EVENTS_FILE');
            if ($file) {
                file_put_contents($file, $line."\n", FILE_APPEND | LOCK_EX);
            } else {
                error_log("$message: $line");
            }
        }
    }
}

namespace Illuminate\Support {
    class Str
    {
        public static function uuid(): string
        {
            $bytes = random_bytes(16);
            $bytes[6] = chr(ord($bytes[6]) & 0x0f | 0x40);
            $bytes[8] = chr(ord($bytes[8]) & 0x3f | 0x80);
            return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
        }
    }
}

namespace Illuminate\Http {
    class Request
    {
        /** @param array<string, string> $headers lower-case names */
        public function __construct(private string $content, private array $headers)
        {
        }

        public static function capture(): static
        {
            $headers = [];
            foreach ($_SERVER as $name => $value) {
                if (str_starts_with($name, 'HTTP_')) {
                    $headers[strtolower(str_replace('_', '-', substr($name, 5)))] = (string) $value;
                }
            }
            return new static((string) file_get_contents('php://input'), $headers);
        }

        public function getContent(): string
        {
            return $this->content;
        }

        public function header(string $key, ?string $default = null): ?string
        {
            return $this->headers[strtolower($key)] ?? $default;
        }
    }

    class JsonResponse
    {
        public function __construct(private mixed $data, private int $status = 200)
        {
        }

        public function getStatusCode(): int
        {
            return $this->status;
        }

        public function send(): static
        {
            http_response_code($this->status);
            header('Content-Type: application/json');
            echo json_encode($this->data);
            return $this;
        }
    }

    class ResponseFactory
    {
        public function json(mixed $data = [], int $status = 200): JsonResponse
        {
            return new JsonResponse($data, $status);
        }
    }
}

namespace {
    function env(string $key, mixed $default = null): mixed
    {
        $value = getenv($key);
        return $value === false ? $default : $value;
    }

    /** config('services.worldledgers.key'): the sample's config/services.php, under `services`. */
    function config(string $key, mixed $default = null): mixed
    {
        static $config = null;
        $config ??= ['services' => require __DIR__.'/../config/services.php'];
        $value = $config;
        foreach (explode('.', $key) as $segment) {
            if (! is_array($value) || ! array_key_exists($segment, $value)) {
                return $default;
            }
            $value = $value[$segment];
        }
        return $value;
    }

    function response(): Illuminate\Http\ResponseFactory
    {
        return new Illuminate\Http\ResponseFactory();
    }
}
