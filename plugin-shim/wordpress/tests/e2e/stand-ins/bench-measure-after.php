<?php
/*
 * Plugin Name: Sendcloud Gate bench: measure, after the loader (TEST STAND-IN)
 * Description: TEST STAND-IN, not part of the plugin, used by bench.sh only. Loads after sendcloud-gate-loader.php and
 * sends, as the header X-SCG-Bench, what the loader added: the time it took (hrtime), the PHP files it included
 * (count and bytes on disk) and the memory_get_usage() difference; and the plugin's files PHP had included before the must-use plugins (the
 * auto_prepend_file mode), with their bytes. As X-SCG-Bench-Request, when the REST response is ready: every file of
 * the plugin (and its library) included by then, with their bytes: the whole plugin on this request, not only the loader.
 */
if (isset($_SERVER['HTTP_X_SCG_BENCH_MEASURE'], $GLOBALS['scg_bench_before']) && !headers_sent()) {
    $scg_ns = hrtime(true) - $GLOBALS['scg_bench_before'][2];   // first: the time the loader took
    $scg_mem = memory_get_usage() - $GLOBALS['scg_bench_before'][1];
    $scg_new = array_values(array_diff(get_included_files(), $GLOBALS['scg_bench_before'][0], [__FILE__]));
    $scg_bytes = 0;
    foreach ($scg_new as $scg_f) {
        $scg_bytes += (int) @filesize($scg_f);
    }
    $scg_pre = array_values(array_filter($GLOBALS['scg_bench_before'][0], static function ($f) {
        return strpos($f, '/plugins/sendcloud-gate/') !== false || substr($f, -26) === '/sendcloud-gate-prepend.php';
    }));
    $scg_pre_bytes = 0;
    foreach ($scg_pre as $scg_f) {
        $scg_pre_bytes += (int) @filesize($scg_f);
    }
    $scg_opcache = function_exists('opcache_get_status') && is_array(@opcache_get_status(false)) ? 'on' : 'off';
    header('X-SCG-Bench: ' . json_encode([
        'loader_us' => round($scg_ns / 1000, 1), 'files' => count($scg_new), 'bytes' => $scg_bytes, 'memory' => $scg_mem,
        'prepend_files' => count($scg_pre), 'prepend_bytes' => $scg_pre_bytes, 'opcache' => $scg_opcache,
        'list' => array_map('basename', $scg_new),
    ]));
    unset($scg_ns, $scg_mem, $scg_new, $scg_bytes, $scg_f, $scg_pre, $scg_pre_bytes, $scg_opcache);
    add_filter('rest_post_dispatch', static function ($response) {
        $files = array_values(array_filter(get_included_files(), static function ($f) {
            return strpos($f, '/plugins/sendcloud-gate/') !== false || substr($f, -26) === '/sendcloud-gate-prepend.php'
                || substr($f, -26) === '/sendcloud-gate-loader.php';
        }));
        $bytes = 0;
        foreach ($files as $f) {
            $bytes += (int) @filesize($f);
        }
        if (!headers_sent()) {
            header('X-SCG-Bench-Request: ' . json_encode(['files' => count($files), 'bytes' => $bytes, 'peak_memory' => memory_get_peak_usage()]));
        }
        return $response;
    }, 1000);
}
