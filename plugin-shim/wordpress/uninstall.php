<?php
// Uninstall: removes the must-use loader and the plugin's options (on every site of a network).

defined('WP_UNINSTALL_PLUGIN') || exit;

require_once __DIR__ . '/autoload.php';

\SendcloudGate\WordPress\Plugin::uninstall();
