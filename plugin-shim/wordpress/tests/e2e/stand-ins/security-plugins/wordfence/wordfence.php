<?php
/*
 * Plugin Name: TEST STAND-IN for Wordfence Security (not Wordfence)
 * Description: For sendcloud-gate's end-to-end tests only. Provides the one call the gate makes, wordfence::whitelistIP($ip) (Wordfence 8.2.2, lib/wordfenceClass.php), and records what it is given in the option scg_stand_in_wordfence_whitelisted.
 */
defined('ABSPATH') || exit;

if (!class_exists('wordfence')) {
    class wordfence
    {
        public static function whitelistIP($IP)
        {
            $list = get_option('scg_stand_in_wordfence_whitelisted', array());
            $list[] = $IP;
            update_option('scg_stand_in_wordfence_whitelisted', $list);
        }
    }
}
