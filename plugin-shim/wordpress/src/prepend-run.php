<?php
/*
 * Sendcloud Gate before WordPress: included by the prepend file the plugin writes (wp-content/sendcloud-gate-prepend.php,
 * PHP's auto_prepend_file; see Prepend.php) with $sendcloud_gate_prepend = ['mode' => ..., 'policy' => base64].
 * Loads the library and decides (Early::run()): a `deny` in mode `on` ends the request with 403 here, before WordPress
 * and before any prepend file that was in force before (chained after this). Plain PHP: WordPress is not loaded.
 * Never throws: a failure is `pass` and one error_log() line.
 */

(static function ($config): void {
    try {
        require_once dirname(__DIR__) . '/autoload.php';
        \SendcloudGate\WordPress\Early::run($config, $_SERVER, $_POST);
    } catch (\Throwable $e) {
        error_log('sendcloud-gate: before WordPress: no decision, pass: ' . get_class($e) . ': ' . $e->getMessage());
    }
})($sendcloud_gate_prepend ?? null);
