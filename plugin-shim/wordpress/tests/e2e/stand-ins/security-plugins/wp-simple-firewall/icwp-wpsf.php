<?php
/*
 * Plugin Name: TEST STAND-IN for Shield Security (not Shield Security)
 * Description: For sendcloud-gate's end-to-end tests only. Calls exactly the hook the real plugin calls to decide an IP block: apply_filters('shield/is_request_blocked', ...) (Shield's IsIpBlockedByShield / BlockRequest). Standing in for a blocked client address, it starts from "blocked" for requests to the wc/v3 routes and refuses them unless the filter says otherwise.
 */
defined('ABSPATH') || exit;
require_once __DIR__ . '/common.php';   // copied beside this file by the tests

add_action('init', static function () {
    if (scg_stand_in_targets_wc() && (bool) apply_filters('shield/is_request_blocked', true)) {
        scg_stand_in_refuse(403, 'Shield Security');
    }
}, 0);
