<?php
// PHP statements the engine executes per decide(): php plugin-shim/php/bench/statements.php [COMPILED_POLICY]
// (after make wasm php). A copy of generated/ with declare(ticks=1) in every file, named by
// SENDCLOUD_GATE_GENERATED_DIR, counts the statements of the translated engine (the library's own PHP is not
// counted) in the second decide() of each request (the first loads the lazily loaded functions). The requests are
// those of benches/decide.rs; COMPILED_POLICY is a compiled policy to load instead of the default one (e.g. the
// 10,000-CIDR, 20-rule policy: cargo bench --bench icount -- --compiled-large FILE). Exact and repeatable, unlike
// times on a loaded machine: compare two builds by running each build's copy of this script.

declare(strict_types=1);

const ROOT = __DIR__ . '/..';

$copy = sys_get_temp_dir() . '/sendcloud-gate-statements-' . getmypid();
$files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(ROOT . '/generated', FilesystemIterator::SKIP_DOTS));
foreach ($files as $file) {
    $rel = substr($file->getPathname(), strlen(ROOT . '/generated'));
    $to = $copy . $rel;
    if (!is_dir(dirname($to))) {
        mkdir(dirname($to), 0777, true);
    }
    $text = file_get_contents($file->getPathname());
    if (substr($rel, -4) === '.php') {
        // After a leading declare(strict_types=1) if there is one (it must stay the first statement).
        $text = preg_match('/^<\?php\s*declare\(strict_types=1\);/', $text, $m)
            ? $m[0] . 'declare(ticks=1);' . substr($text, strlen($m[0]))
            : preg_replace('/^<\?php\s*/', "<?php declare(ticks=1);\n", $text, 1);
    }
    file_put_contents($to, $text);
}
define('SENDCLOUD_GATE_GENERATED_DIR', $copy);
require ROOT . '/autoload.php';

try {
    $gate = isset($argv[1])
        ? SendcloudGate\Gate::fromCompiled((string) file_get_contents($argv[1]))
        : SendcloudGate\Gate::default();
    $requests = [
        'sendcloud' => [
            'REMOTE_ADDR' => '94.232.247.10',
            'REQUEST_METHOD' => 'PATCH',
            'REQUEST_URI' => '/wp-json/wc/v3/orders/12',
            'HTTP_USER_AGENT' => 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)',
        ],
        'browser' => [
            'REMOTE_ADDR' => '198.51.100.23',
            'REQUEST_METHOD' => 'GET',
            'REQUEST_URI' => '/shop/',
            'HTTP_USER_AGENT' => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                . 'Chrome/126.0 Safari/537.36',
        ],
    ];
    $ticks = 0;
    register_tick_function(static function () use (&$ticks): void {
        $ticks++;
    });
    foreach ($requests as $name => $server) {
        $gate->decide($server);
        $ticks = 0;
        $decision = $gate->decide($server);
        $counted = $ticks;
        printf("%-10s %5d statements  %s\n", $name, $counted, json_encode($decision));
    }
} finally {
    $files = new RecursiveIteratorIterator(
        new RecursiveDirectoryIterator($copy, FilesystemIterator::SKIP_DOTS),
        RecursiveIteratorIterator::CHILD_FIRST
    );
    foreach ($files as $file) {
        $file->isDir() ? rmdir($file->getPathname()) : unlink($file->getPathname());
    }
    rmdir($copy);
}
