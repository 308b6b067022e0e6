<?php
/*
 * TEST STAND-IN FOR NINJAFIREWALL'S FIREWALL — not NinjaFirewall. Included before WordPress (the e2e stack's
 * auto_prepend_file) while the tests switch it on. It does what NinjaFirewall 4.9.1's lib/firewall.php does with
 * `.htninja` — `@include_once` of `$_SERVER['DOCUMENT_ROOT'] . '/.htninja'` or, failing that, of the one in the
 * document root's parent; a return value of 'ALLOW' stops filtering (NFW_UWL), 'BLOCK' sends 403 — and, standing in
 * for NinjaFirewall's rules, refuses PATCH and DELETE to the WooCommerce REST routes with 403.
 */
define('NFW_STATUS', 20);
$nfw_ = [];
if (@is_file($nfw_['file'] = $_SERVER['DOCUMENT_ROOT'] . '/.htninja') ||
    @is_file($nfw_['file'] = dirname($_SERVER['DOCUMENT_ROOT']) . '/.htninja')) {
    $nfw_['res'] = @include_once $nfw_['file'];
    if ($nfw_['res'] == 'ALLOW') {
        if (!defined('NFW_UWL')) {
            define('NFW_UWL', true);
        }
        $nfw_ = [];
        return;
    }
    if ($nfw_['res'] == 'BLOCK') {
        header('HTTP/1.1 403 Forbidden');
        die('403 Forbidden');
    }
}
$nfw_ = [];
if (in_array($_SERVER['REQUEST_METHOD'] ?? '', ['PATCH', 'DELETE'], true)
    && strpos($_SERVER['REQUEST_URI'] ?? '', '/wc/v3/') !== false) {
    header('HTTP/1.1 403 Forbidden');
    die('403 Forbidden by the NinjaFirewall stand-in');
}
