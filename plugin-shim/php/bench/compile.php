<?php
// Benchmark of the policy compiler in PHP: php plugin-shim/php/bench/compile.php  (after make wasm php)
//
// Gate::fromPolicyJson() on the default policy ({}) and on a policy with 1,000 ranges, each in a fresh `php` child
// process: the first call of the process (the full core module's PHP is loaded and the module instantiated), and a
// second call in the same process (on the text plus a newline, since the library caches compiled policies by
// text): the compiler's own cost. Three opcache states: none, cold (opcache on, nothing cached: every file is
// compiled), warm (opcache's file cache filled by an earlier run, as a PHP-FPM worker after the first request).
// Prints the median of 7 runs per figure. Then, where valgrind is installed, the same calls counted in instructions
// (cachegrind): exact, so two builds compare on a machine whose neighbours move the times by a third. The figures
// and how they were taken: plugin-shim/php/README.md.

declare(strict_types=1);

const ROOT = __DIR__ . '/..';

/** 1,000 distinct /24 ranges in a custom partner, plus 0 to 2 overlaps so that merging has work to do. */
function big_policy(): string
{
    $ranges = [];
    for ($i = 0; $i < 1000; $i++) {
        $ranges[] = sprintf('%d.%d.%d.0/24', 11 + intdiv($i, 250), ($i * 7) % 250, $i % 200);
    }
    return json_encode([
        'partners' => [
            ['preset' => 'sendcloud'],
            ['id' => 'acme', 'ip' => $ranges, 'user_agents' => ['Acme-Sync/*'], 'methods' => ['GET', 'POST']],
        ],
    ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES);
}

if (($argv[1] ?? '') === '--child') {
    $json = $argv[2] === 'big' ? big_policy() : '{}';
    $t0 = hrtime(true);
    require ROOT . '/autoload.php';
    $gate = SendcloudGate\Gate::fromPolicyJson($json);
    $first = (hrtime(true) - $t0) / 1e6;
    $t1 = hrtime(true);
    SendcloudGate\Gate::fromPolicyJson($json . "\n"); // another text: the library caches compiled policies by text
    $second = (hrtime(true) - $t1) / 1e6;
    echo json_encode(['first_ms' => $first, 'second_ms' => $second, 'partners' => count($gate->effectivePolicy()['partners'])]), "\n";
    exit(0);
}

// `--calls WHICH N`: N calls, each on another text (the library caches compiled policies by text), nothing printed;
// what cachegrind counts below, as the difference between N and N - 1 calls in the same opcache state.
if (($argv[1] ?? '') === '--calls') {
    $json = $argv[2] === 'big' ? big_policy() : '{}';
    require ROOT . '/autoload.php';
    for ($i = 0; $i < (int) $argv[3]; $i++) {
        SendcloudGate\Gate::fromPolicyJson($json . str_repeat("\n", $i));
    }
    exit(0);
}

function run(string $flags, string $which): array
{
    $cmd = escapeshellarg(PHP_BINARY) . ' -n ' . $flags . ' ' . escapeshellarg(__FILE__) . ' --child ' . $which;
    $r = json_decode((string) shell_exec($cmd), true);
    if (!is_array($r)) {
        fwrite(STDERR, "compile bench: child failed: $cmd\n");
        exit(1);
    }
    return $r;
}

function median(array $xs): float
{
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

if (!is_file(ROOT . '/generated/CompileCore.php')) {
    fwrite(STDERR, "compile bench: run `make wasm php` first\n");
    exit(1);
}

$ext = ini_get('extension_dir');
$opcache = '-d zend_extension=' . escapeshellarg($ext . '/opcache.so')
    . ' -d opcache.enable_cli=1 -d opcache.jit=off -d opcache.jit_buffer_size=0 -d memory_limit=256M'
    // Opcache skips files written less than 2 s before (file_update_protection): right after `make php` they would
    // be compiled as without opcache.
    . ' -d opcache.file_update_protection=0';
$cacheDir = sys_get_temp_dir() . '/scg-compile-bench-' . getmypid();
@mkdir($cacheDir);
$states = [
    'no opcache' => '-d memory_limit=256M',
    'opcache cold' => $opcache,
    'opcache warm (file cache)' => $opcache . ' -d opcache.file_cache=' . escapeshellarg($cacheDir)
        . ' -d opcache.validate_timestamps=0',
];

printf("Gate::fromPolicyJson() (PHP %s, %s; CompileCore.php %d bytes), median of 7 fresh processes:\n", PHP_VERSION,
    php_uname('m'), filesize(ROOT . '/generated/CompileCore.php'));
foreach (['default' => 'default policy {}', 'big' => '1,000 ranges (' . strlen(big_policy()) . ' bytes)'] as $which => $label) {
    foreach ($states as $name => $flags) {
        if ($name === 'opcache warm (file cache)') {
            run($flags, $which); // fills the file cache
        }
        $first = [];
        $second = [];
        for ($i = 0; $i < 7; $i++) {
            $r = run($flags, $which);
            $first[] = $r['first_ms'];
            $second[] = $r['second_ms'];
        }
        printf("  %-34s %-26s first call %7.2f ms (incl. loading the compiler), second call %7.2f ms\n", $label,
            $name, median($first), median($second));
    }
}
exec('rm -rf ' . escapeshellarg($cacheDir));
echo "Target (issue 13): <= 50 ms with a cold opcache.\n";

/** Instructions (cachegrind's I refs) of a `--calls` child with opcache cold, null when valgrind fails. */
function instructions(string $flags, string $which, int $calls): ?int
{
    $cmd = 'valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null '
        . escapeshellarg(PHP_BINARY) . ' -n ' . $flags . ' ' . escapeshellarg(__FILE__) . " --calls $which $calls 2>&1";
    return preg_match('/I\s+refs:\s+([\d,]+)/', (string) shell_exec($cmd), $m) ? (int) str_replace(',', '', $m[1]) : null;
}

if (trim((string) shell_exec('command -v valgrind')) === '') {
    echo "Instructions: skipped (no valgrind).\n";
    exit(0);
}
echo "The same in instructions (cachegrind, exact; each the difference of two processes), opcache cold:\n";
foreach (['default' => 'default policy {}', 'big' => '1,000 ranges'] as $which => $label) {
    $ir = array_map(function (int $calls) use ($opcache, $which) {
        return instructions($opcache, $which, $calls);
    }, [0, 1, 2]);
    if (in_array(null, $ir, true)) {
        fwrite(STDERR, "compile bench: valgrind failed\n");
        exit(1);
    }
    printf("  %-34s first call %8.1f M instructions (incl. loading the compiler), second call %7.1f M\n", $label,
        ($ir[1] - $ir[0]) / 1e6, ($ir[2] - $ir[1]) / 1e6);
}
