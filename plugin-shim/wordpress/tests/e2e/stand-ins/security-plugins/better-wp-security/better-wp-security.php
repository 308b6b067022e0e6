<?php
/*
 * Plugin Name: TEST STAND-IN for Solid Security / Kadence Security (not Solid Security)
 * Description: For sendcloud-gate's end-to-end tests only. Calls exactly the hook the real plugin calls before a lockout: apply_filters('itsec_white_ips', array()) (ITSEC_Lib::get_whitelisted_ips(), Kadence Security Basic 10.0.4, core/lib.php), and, like ITSEC_Lockout::execute_lock(), does not lock out an address on that list. Standing in for a lockout of the client's address, it answers 403 to requests to the wc/v3 routes otherwise.
 */
defined('ABSPATH') || exit;
require_once __DIR__ . '/common.php';   // copied beside this file by the tests

add_action('init', static function () {
    if (!scg_stand_in_targets_wc()) {
        return;
    }
    $white = apply_filters('itsec_white_ips', array());
    if (in_array(scg_stand_in_client_ip(), (array) $white, true)) {
        return;
    }
    scg_stand_in_refuse(403, 'Solid Security');
}, 0);
