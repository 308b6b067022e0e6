<?php
/**
 * The early bootstrap: loaded by the must-use loader (wp-content/mu-plugins/sendcloud-gate-loader.php) before
 * ordinary plugins, or by sendcloud-gate.php when the loader is missing. Loads the library and the plugin's classes,
 * defines sendcloud_gate_decision() and, once per request, acts on the decision (a `deny` in mode `on` ends the
 * request with 403 here). Never throws: any failure is `pass` and one error_log() line.
 */

defined('ABSPATH') || exit;

require_once __DIR__ . '/autoload.php';

if (!function_exists('sendcloud_gate_decision')) {
    /**
     * The current request's decision, memoised: ['action' => 'allow'|'deny'|'pass', 'reason', 'rule', 'client_ip',
     * 'method'] as the sendcloud-gate library returns it, or null when the gate is switched off on this site.
     * Other plugins can also ask with apply_filters('sendcloud_gate_decision', null), which works whether this
     * plugin is active or not (null when it is not).
     *
     * @return array<string,mixed>|null
     */
    function sendcloud_gate_decision(): ?array
    {
        return \SendcloudGate\WordPress\Runtime::current()->decision();
    }
}

if (!defined('SENDCLOUD_GATE_BOOTSTRAPPED')) {
    define('SENDCLOUD_GATE_BOOTSTRAPPED', true);
    add_filter('sendcloud_gate_decision', static function ($decision) {
        return sendcloud_gate_decision() ?? $decision;
    });
    \SendcloudGate\WordPress\Log\Hooks::register();
    \SendcloudGate\WordPress\Adapters\Registry::registerHooks();
    // The prepend file (auto_prepend_file mode) carries the mode, the compiled policy and its engine snapshot:
    // rewritten when they change.
    foreach (['sendcloud_gate_settings', 'sendcloud_gate_snapshot', 'sendcloud_gate_compiled'] as $sendcloud_gate_option) {
        add_action('update_option_' . $sendcloud_gate_option, ['SendcloudGate\\WordPress\\Prepend', 'refresh']);
        add_action('add_option_' . $sendcloud_gate_option, ['SendcloudGate\\WordPress\\Prepend', 'refresh']);
    }
    unset($sendcloud_gate_option);
    // Under .user.ini, the stub left after switching the mode off goes once PHP's INI cache has expired.
    add_action('admin_init', ['SendcloudGate\\WordPress\\Prepend', 'removeStaleStub']);
    add_action(\SendcloudGate\WordPress\Log\Hooks::CRON_HOOK, ['SendcloudGate\\WordPress\\Prepend', 'removeStaleStub']);
    \SendcloudGate\WordPress\Runtime::current()->enforce();
}
