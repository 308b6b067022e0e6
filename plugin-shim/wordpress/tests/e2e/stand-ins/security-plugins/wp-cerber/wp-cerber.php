<?php
/*
 * Plugin Name: TEST STAND-IN for WP Cerber Security (not WP Cerber)
 * Description: For sendcloud-gate's end-to-end tests only. Provides the one call the gate makes, cerber_acl_add($ip, $tag) (WP Cerber's White IP Access List when $tag is 'W'), and records what it is given in the option scg_stand_in_cerber_acl.
 */
defined('ABSPATH') || exit;

if (!function_exists('cerber_acl_add')) {
    function cerber_acl_add($ip, $tag)
    {
        $acl = get_option('scg_stand_in_cerber_acl', array());
        $acl[] = array($ip, $tag);
        update_option('scg_stand_in_cerber_acl', $acl);
        return true;
    }
}
