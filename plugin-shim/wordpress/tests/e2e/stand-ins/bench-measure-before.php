<?php
/*
 * Plugin Name: Sendcloud Gate bench: measure, before the loader (TEST STAND-IN)
 * Description: TEST STAND-IN, not part of the plugin, used by bench.sh only. A must-use plugin named to load before
 * sendcloud-gate-loader.php (must-use plugins load in name order): when the request carries X-SCG-Bench-Measure, it
 * notes the PHP files included so far, memory_get_usage() and hrtime(); bench-measure-after.php reports the difference.
 */
if (isset($_SERVER['HTTP_X_SCG_BENCH_MEASURE'])) {
    $GLOBALS['scg_bench_before'] = [get_included_files(), memory_get_usage()];
    $GLOBALS['scg_bench_before'][2] = hrtime(true);   // last: the time the loader takes starts here
}
