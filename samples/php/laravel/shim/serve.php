<?php
// TEST SHIM, NOT LARAVEL: a router for PHP's built-in server that runs the sample controller the way Laravel's
// routes/api.php would, so CI can send it real webhook deliveries:
//
//   WL_WEBHOOK_SECRET=… php -S 127.0.0.1:8000 shim/serve.php

declare(strict_types=1);

require __DIR__.'/laravel_shim.php';
require __DIR__.'/../app/Http/Controllers/WorldLedgersWebhookController.php';

if ($_SERVER['REQUEST_METHOD'] !== 'POST') { // Route::post answers other methods 405
    response()->json(['error' => 'POST only'], 405)->send();
    return;
}
(new App\Http\Controllers\WorldLedgersWebhookController())(Illuminate\Http\Request::capture())->send();
