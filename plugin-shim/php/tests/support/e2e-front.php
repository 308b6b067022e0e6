<?php
// The front controller of EndToEndTest: PHP's built-in server (`php -S`) runs it for every request, as a plugin
// would run at the start of one. It decides the request under the compiled policy that SCG_E2E_POLICY names, with
// PHP's own parsing of it ($_SERVER, $_POST), and answers with the decision and what PHP parsed, as JSON.

declare(strict_types=1);

set_error_handler(static function (int $no, string $message, string $file, int $line): bool {
    // A PHP warning or notice is a failure the test must see.
    echo json_encode(['php_error' => "$message ($file:$line)"]);
    exit(0);
});

require __DIR__ . '/../../autoload.php';

$gate = SendcloudGate\Gate::fromCompiledOrPass((string) file_get_contents((string) getenv('SCG_E2E_POLICY')));
$decision = $gate->decide($_SERVER, $_POST);

header('Content-Type: application/json');
echo json_encode([
    'decision' => $decision,
    'load_failure' => $gate->loadFailure(),
    'get' => $_GET,
    'post' => $_POST,
    'server' => [
        'REMOTE_ADDR' => $_SERVER['REMOTE_ADDR'] ?? null,
        'REQUEST_URI' => $_SERVER['REQUEST_URI'] ?? null,
        'QUERY_STRING' => $_SERVER['QUERY_STRING'] ?? null,
    ],
], JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE);
