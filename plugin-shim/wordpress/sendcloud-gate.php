<?php
/**
 * Plugin Name:       Sendcloud Gate
 * Description:       Lets verified Sendcloud traffic through to your shop and tells it apart from requests that only claim to be Sendcloud.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            sendcloud-gate
 * License:           MIT
 * Text Domain:       sendcloud-gate
 *
 * The decisions are the sendcloud-gate PHP library's (bundled in lib/); this plugin only passes WordPress's request
 * to it and acts on the answer.
 */

defined('ABSPATH') || exit;

require_once __DIR__ . '/bootstrap.php';

register_activation_hook(__FILE__, [\SendcloudGate\WordPress\Plugin::class, 'activate']);
register_deactivation_hook(__FILE__, [\SendcloudGate\WordPress\Plugin::class, 'deactivate']);
\SendcloudGate\WordPress\Admin\Admin::register(__FILE__);
