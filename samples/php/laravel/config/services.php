<?php

// Merge this entry into your app's config/services.php; set the values in .env.
return [
    'worldledgers' => [
        'url' => env('WL_BASE_URL', 'http://127.0.0.1:8080/api/v1/communication'), // production: https://www.worldledgers.com/api/v1/communication
        'key' => env('WL_API_KEY', 'wl_test_communication_sms_sandbox'),          // the sandbox key: nothing is really sent or charged
        'webhook_secret' => env('WL_WEBHOOK_SECRET'),                             // the secret set with `wlcomm webhook set --secret`
    ],
];
