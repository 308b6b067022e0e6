<?php
/*
 * Plugin Name: TEST STAND-IN for BBQ Firewall (not BBQ)
 * Description: For sendcloud-gate's end-to-end tests only. Runs its check exactly as BBQ 20260419 does: function bbq_core(), registered with add_action('plugins_loaded', 'bbq_core'); a match sends 403 and exits (bbq_response). Standing in for one of BBQ's patterns, it matches PATCH and DELETE to the wc/v3 routes.
 */
defined('ABSPATH') || exit;
require_once __DIR__ . '/common.php';   // copied beside this file by the tests

if (!function_exists('bbq_core')) {
    function bbq_core()
    {
        if (scg_stand_in_targets_wc() && in_array($_SERVER['REQUEST_METHOD'] ?? '', array('PATCH', 'DELETE'), true)) {
            header('HTTP/1.1 403 Forbidden');
            exit('refused by the BBQ stand-in');
        }
    }
}
add_action('plugins_loaded', 'bbq_core');
