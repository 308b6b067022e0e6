<?php
/*
 * Plugin Name: TEST STAND-IN for All-In-One Security (not AIOS)
 * Description: For sendcloud-gate's end-to-end tests only. Registers its REST restriction exactly as AIOS does with "Disallow unauthorized REST requests" on: an object of class AIOWPSecurity_General_Init_Tasks, built on init, calls add_action('rest_api_init', array(&$this, 'check_rest_api_requests'), 10, 1), which refuses REST requests from logged-out users with 401.
 */
defined('ABSPATH') || exit;
require_once __DIR__ . '/common.php';   // copied beside this file by the tests

if (!class_exists('AIOWPSecurity_General_Init_Tasks')) {
    class AIOWPSecurity_General_Init_Tasks
    {
        public function __construct()
        {
            add_action('rest_api_init', array(&$this, 'check_rest_api_requests'), 10, 1);
        }

        public function check_rest_api_requests()
        {
            if (!is_user_logged_in()) {
                scg_stand_in_refuse(401, 'All-In-One Security');
            }
        }
    }
}

add_action('init', static function () {
    new AIOWPSecurity_General_Init_Tasks();
}, 0);
