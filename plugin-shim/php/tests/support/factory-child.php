<?php
// Run by GeneratedFilesTest in a child process: points the library at a (damaged) copy of generated/ with
// SENDCLOUD_GATE_GENERATED_DIR, calls one factory, and prints what came out as one JSON line on standard output:
//   {"outcome": "gate" | "<exception class>", "message": ..., "decisions": {...}, "warnings": ..., "load_failure": ...}
// Anything else (a fatal error, a PHP warning on standard error, no JSON line) is for the test to see and fail on.
//   php factory-child.php GENERATED_DIR FACTORY [COMPILED_POLICY_FILE]

declare(strict_types=1);

[, $dir, $factory] = $argv;
$bytesFile = $argv[3] ?? null;

define('SENDCLOUD_GATE_GENERATED_DIR', $dir);
require __DIR__ . '/../../autoload.php';

use SendcloudGate\Gate;

const SC_SERVER = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/',
    'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
const SC_REQUEST = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0']];
const POLICY_JSON = '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]}';

$bytes = $bytesFile === null ? null : (string) file_get_contents($bytesFile);
$out = ['outcome' => null];
try {
    switch ($factory) {
        case 'default':
            $gate = Gate::default();
            break;
        case 'fromCompiled':
            $gate = Gate::fromCompiled((string) $bytes);
            break;
        case 'fromPolicyJson':
            $gate = Gate::fromPolicyJson(POLICY_JSON);
            break;
        case 'defaultOrPass':
            $gate = Gate::defaultOrPass();
            break;
        case 'fromCompiledOrPass':
            $gate = Gate::fromCompiledOrPass($bytes);
            break;
        default:
            throw new LogicException("unknown factory $factory");
    }
    $out['outcome'] = 'gate';
    $out['load_failure'] = $gate->loadFailure();
    // What a gate answers: never an exception.
    $out['decisions'] = [
        'decide' => $gate->decide(SC_SERVER, []),
        'decideRequest' => $gate->decideRequest(SC_REQUEST),
        'explain' => array_slice($gate->explain(SC_REQUEST), 0, 5, true),
    ];
    try {
        $w = $gate->warnings();
        $out['warnings'] = is_array($w) ? 'list' : gettype($w);
    } catch (Throwable $e) {
        $out['warnings'] = get_class($e);
    }
} catch (Throwable $e) {
    $out['outcome'] = get_class($e);
    $out['message'] = $e->getMessage();
}
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
