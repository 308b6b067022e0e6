<?php
// Benchmark of the PHP library: php plugin-shim/php/bench/bench.php  (after make wasm php)
//
// Prints: the size of the PHP a request loads; decide() per call (median, p90) with opcache (JIT off) and without;
// the first request of a process (include + Gate::default() + one decide) without opcache, with a cold opcache and
// with a warm one (opcache file cache, as a PHP-FPM worker after the first request); the memory the engine adds.
// Each figure comes from a fresh `php` child process started with the flags shown.

declare(strict_types=1);

const ROOT = __DIR__ . '/..';

/** A realistic $_SERVER of Sendcloud calling a WooCommerce shop behind no proxy. */
function server(bool $sendcloud): array
{
    return [
        'REMOTE_ADDR' => $sendcloud ? '94.232.247.10' : '198.51.100.23',
        'REMOTE_PORT' => '51234',
        'REQUEST_METHOD' => 'POST',
        'REQUEST_URI' => '/wp-json/wc/v3/orders/1234?consumer_key=ck_x',
        'QUERY_STRING' => 'consumer_key=ck_x',
        'SERVER_NAME' => 'shop.example',
        'SERVER_PORT' => '443',
        'HTTPS' => 'on',
        'SCRIPT_FILENAME' => '/var/www/html/index.php',
        'DOCUMENT_ROOT' => '/var/www/html',
        'REQUEST_TIME_FLOAT' => 1700000000.5,
        'REQUEST_TIME' => 1700000000,
        'CONTENT_TYPE' => 'application/json',
        'CONTENT_LENGTH' => '512',
        'HTTP_HOST' => 'shop.example',
        'HTTP_USER_AGENT' => $sendcloud
            ? 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)'
            : 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
        'HTTP_ACCEPT' => 'application/json',
        'HTTP_ACCEPT_ENCODING' => 'gzip, deflate, br',
        'HTTP_ACCEPT_LANGUAGE' => 'en-US,en;q=0.9',
        'HTTP_CONNECTION' => 'keep-alive',
        'HTTP_AUTHORIZATION' => 'Basic Y2tfeDpjc195',
        'HTTP_CONTENT_TYPE' => 'application/json',
        'HTTP_CONTENT_LENGTH' => '512',
        'HTTP_COOKIE' => 'woocommerce_items_in_cart=0; wp_woocommerce_session_abc=def',
    ];
}

function child(string $mode): array
{
    if ($mode === 'files') {
        // The files a request loads: the library, the decision module's class, and the functions of it that a
        // Sendcloud and a browser decision call (the rest stay on disk until a request needs them).
        require ROOT . '/autoload.php';
        $gate = SendcloudGate\Gate::default();
        $gate->decide(server(true));
        $gate->decide(server(false));
        $root = realpath(ROOT) . '/';
        $files = [];
        foreach (get_included_files() as $f) {
            if (strncmp($f, $root, strlen($root)) === 0 && $f !== realpath(__FILE__)) {
                $files[substr($f, strlen($root))] = filesize($f);
            }
        }
        return $files;
    }
    $m0 = memory_get_usage();
    $p0 = memory_get_peak_usage();
    $t0 = hrtime(true);
    require ROOT . '/autoload.php';
    $gate = SendcloudGate\Gate::default();
    $d = $gate->decide(server(true));
    $first = (hrtime(true) - $t0) / 1e6;
    $out = [
        'first_ms' => $first,
        'mem_added' => memory_get_usage() - $m0,
        'peak_added' => memory_get_peak_usage() - $p0,
        'decision' => $d,
        'opcache' => function_exists('opcache_get_status') && (opcache_get_status(false)['opcache_enabled'] ?? false),
    ];
    if ($mode === 'loop') {
        foreach (['sendcloud' => true, 'browser' => false] as $name => $sc) {
            $server = server($sc); // QUERY_STRING equal to REQUEST_URI's query: decide() passes nothing more
            for ($i = 0; $i < 200; $i++) {
                $gate->decide($server);
            }
            $t = [];
            for ($i = 0; $i < 2000; $i++) {
                $s = hrtime(true);
                $gate->decide($server);
                $t[] = hrtime(true) - $s;
            }
            sort($t);
            $out[$name] = ['median_us' => $t[1000] / 1e3, 'p90_us' => $t[1800] / 1e3, 'min_us' => $t[0] / 1e3];
        }
        // A body override ($_POST['_method']) and a rewritten QUERY_STRING: the packed request's query/form tail.
        $server = ['QUERY_STRING' => 'rest_route=/wc/v3/orders/1234'] + server(true);
        $post = ['_method' => 'PATCH', 'status' => 'completed'];
        for ($i = 0; $i < 200; $i++) {
            $gate->decide($server, $post);
        }
        $t = [];
        for ($i = 0; $i < 2000; $i++) {
            $s = hrtime(true);
            $gate->decide($server, $post);
            $t[] = hrtime(true) - $s;
        }
        sort($t);
        $out['sendcloud_form'] = ['median_us' => $t[1000] / 1e3, 'decision' => $gate->decide($server, $post)];
        $r = ['remote_addr' => '94.232.247.10', 'method' => 'POST', 'uri' => '/wp-json/wc/v3/orders/1234',
            'headers' => ['User-Agent' => 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)']];
        $t = [];
        for ($i = 0; $i < 1000; $i++) {
            $s = hrtime(true);
            $gate->decideRequest($r);
            $t[] = hrtime(true) - $s;
        }
        sort($t);
        $out['decideRequest_minimal'] = ['median_us' => $t[500] / 1e3];
        $t = [];
        for ($i = 0; $i < 200; $i++) {
            $s = hrtime(true);
            $gate->explain($r);
            $t[] = hrtime(true) - $s;
        }
        sort($t);
        $out['explain'] = ['median_us' => $t[100] / 1e3];
        $json = (string) file_get_contents(ROOT . '/../../tests/corpus/policies/spec-example.json');
        $s = hrtime(true);
        $g = SendcloudGate\Gate::fromPolicyJson($json);
        $out['fromPolicyJson_first_ms'] = (hrtime(true) - $s) / 1e6;
        $bytes = $g->toCompiled();
        SendcloudGate\Internal\Runtime::reset();
        SendcloudGate\Gate::default();
        $s = hrtime(true);
        SendcloudGate\Gate::fromCompiled($bytes);
        $out['fromCompiled_load_ms'] = (hrtime(true) - $s) / 1e6;
        $s = hrtime(true);
        SendcloudGate\Internal\Runtime::reset();
        SendcloudGate\Gate::default();
        $out['engine_start_from_snapshot_ms'] = (hrtime(true) - $s) / 1e6;
        // A site's own policy from its stored snapshot (base64 of serialize(), as the WordPress plugin keeps it in an
        // option), against fromCompiled() above: what a request pays before its first decision.
        $stored = base64_encode(serialize($g->snapshot()));
        SendcloudGate\Internal\Runtime::reset();
        SendcloudGate\Gate::default();
        $s = hrtime(true);
        SendcloudGate\Gate::fromSnapshot(unserialize(base64_decode($stored), ['allowed_classes' => false]));
        $out['fromSnapshot_ms'] = (hrtime(true) - $s) / 1e6;
        $out['snapshot_stored_bytes'] = strlen($stored);
    }
    return $out;
}

if (($argv[1] ?? '') === '--child') {
    echo json_encode(child($argv[2])), "\n";
    exit(0);
}

function run(string $flags, string $mode): array
{
    $cmd = escapeshellarg(PHP_BINARY) . ' -n ' . $flags . ' ' . escapeshellarg(__FILE__) . ' --child ' . $mode;
    $out = shell_exec($cmd);
    $r = json_decode((string) $out, true);
    if (!is_array($r)) {
        fwrite(STDERR, "bench: child failed: $cmd\n$out\n");
        exit(1);
    }
    return $r;
}

function median(array $xs): float
{
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

if (!is_file(ROOT . '/generated/DecideCore.php')) {
    fwrite(STDERR, "bench: run `make wasm php` first\n");
    exit(1);
}

// -n: no php.ini, so that the figures do not depend on the machine's configuration; opcache is loaded explicitly.
$ext = ini_get('extension_dir');
$opcache = '-d zend_extension=' . escapeshellarg($ext . '/opcache.so');
$flags = [
    'no opcache' => '-d memory_limit=256M',
    'opcache, JIT off' => "$opcache -d opcache.enable_cli=1 -d opcache.jit=off -d opcache.jit_buffer_size=0 -d memory_limit=256M",
];
$cacheDir = sys_get_temp_dir() . '/scg-bench-opcache-' . getmypid();
@mkdir($cacheDir);
$warm = "$opcache -d opcache.enable_cli=1 -d opcache.jit=off -d opcache.jit_buffer_size=0 -d memory_limit=256M"
    . ' -d opcache.file_cache=' . escapeshellarg($cacheDir) . ' -d opcache.validate_timestamps=0';

printf("sendcloud-gate PHP library benchmark (PHP %s, %s)\n\n", PHP_VERSION, php_uname('m'));

$total = 0;
$lazy = [0, 0];
echo "PHP a request loads (Gate::default() + decide() of a Sendcloud and a browser request):\n";
foreach (run($flags['no opcache'], 'files') as $f => $n) {
    $total += $n;
    if (strncmp($f, 'generated/DecideCore/', 21) === 0) {
        $lazy[0]++;
        $lazy[1] += $n;
        continue;
    }
    printf("  %-34s %8d bytes\n", $f, $n);
}
$all = glob(ROOT . '/generated/DecideCore/*.php') ?: [];
printf("  %-34s %8d bytes (%d of the %d functions kept in files of their own: the ones these decisions call)\n",
    'generated/DecideCore/*.php', $lazy[1], $lazy[0], count($all));
printf("  %-34s %8d bytes = %.1f KiB (budget 300 KiB)\n", 'total', $total, $total / 1024);
printf("  %-34s %8d bytes (only for Gate::fromPolicyJson)\n\n", 'generated/CompileCore.php', filesize(ROOT . '/generated/CompileCore.php'));

foreach ($flags as $name => $f) {
    $r = run($f, 'loop');
    if ($r['decision']['action'] !== 'allow') {
        fwrite(STDERR, "bench: unexpected decision " . json_encode($r['decision']) . "\n");
        exit(1);
    }
    printf("decide() per call, %s (opcache active: %s):\n", $name, $r['opcache'] ? 'yes' : 'no');
    printf("  Sendcloud request, full \$_SERVER:  median %7.1f us  p90 %7.1f us  min %7.1f us\n",
        $r['sendcloud']['median_us'], $r['sendcloud']['p90_us'], $r['sendcloud']['min_us']);
    printf("  browser request, full \$_SERVER:    median %7.1f us  p90 %7.1f us  min %7.1f us\n",
        $r['browser']['median_us'], $r['browser']['p90_us'], $r['browser']['min_us']);
    if ($r['sendcloud_form']['decision']['method'] !== 'PATCH') {
        fwrite(STDERR, "bench: the body override was not read: " . json_encode($r['sendcloud_form']['decision']) . "\n");
        exit(1);
    }
    printf("  Sendcloud, _method in \$_POST and a rewritten QUERY_STRING: median %7.1f us\n",
        $r['sendcloud_form']['median_us']);
    printf("  decideRequest(), User-Agent only:  median %7.1f us\n", $r['decideRequest_minimal']['median_us']);
    printf("  explain():                         median %7.1f us\n", $r['explain']['median_us']);
    printf("  fromPolicyJson() first call %.1f ms; fromCompiled() load %.2f ms; engine start from snapshot %.2f ms\n",
        $r['fromPolicyJson_first_ms'], $r['fromCompiled_load_ms'], $r['engine_start_from_snapshot_ms']);
    printf("  fromSnapshot() of the same policy, stored as %d bytes of base64(serialize()), decoded: %.2f ms\n\n",
        $r['snapshot_stored_bytes'], $r['fromSnapshot_ms']);
}

echo "First request of a process (require autoload.php + Gate::default() + one decide(\$_SERVER)), 7 runs:\n";
$cases = [
    'no opcache' => $flags['no opcache'],
    'opcache cold (compiles)' => $flags['opcache, JIT off'],
];
foreach ($cases as $name => $f) {
    $ms = [];
    $mem = [];
    $peak = [];
    for ($i = 0; $i < 7; $i++) {
        $r = run($f, 'first');
        $ms[] = $r['first_ms'];
        $mem[] = $r['mem_added'];
        $peak[] = $r['peak_added'];
    }
    printf("  %-28s median %7.2f ms; memory added %6.0f KiB, peak added %6.0f KiB\n", $name, median($ms),
        median($mem) / 1024, median($peak) / 1024);
}
run($warm, 'first'); // fills the file cache
$ms = [];
$mem = [];
$peak = [];
for ($i = 0; $i < 7; $i++) {
    $r = run($warm, 'first');
    $ms[] = $r['first_ms'];
    $mem[] = $r['mem_added'];
    $peak[] = $r['peak_added'];
}
printf("  %-28s median %7.2f ms; memory added %6.0f KiB, peak added %6.0f KiB\n", 'opcache warm (file cache)',
    median($ms), median($mem) / 1024, median($peak) / 1024);
exec('rm -rf ' . escapeshellarg($cacheDir));
echo "\nTargets (issue 4): decide() <= 20 us median with opcache, JIT off; first request without opcache <= 15 ms;\n"
    . "peak memory added by the engine <= 2 MiB; request-path PHP <= 300 KiB.\n";
