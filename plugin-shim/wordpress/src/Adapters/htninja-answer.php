<?php
/*
 * Sendcloud Gate's answer to NinjaFirewall's .htninja (see NinjaFirewall.php): included from the block the plugin
 * writes into .htninja, before WordPress loads, with $sendcloud_gate_htninja = ['mode' => ..., 'policy' => base64].
 * Returns 'ALLOW' when the sendcloud-gate library decides `allow` for this request in mode `on`, '' otherwise.
 * Plain PHP: no WordPress function is available here. Never throws: a failure is '' and one error_log() line.
 */

return (static function ($config): string {
    try {
        if (!is_array($config) || ($config['mode'] ?? null) !== 'on') {
            return '';
        }
        require_once dirname(__DIR__, 2) . '/autoload.php';
        $policy = is_string($config['policy'] ?? null) && $config['policy'] !== '' ? base64_decode($config['policy'], true) : null;
        $decision = \SendcloudGate\Gate::fromCompiledOrPass($policy)->decide($_SERVER, $_POST);
        return ($decision['action'] ?? null) === 'allow' ? 'ALLOW' : '';
    } catch (\Throwable $e) {
        error_log('sendcloud-gate: .htninja: no decision, NinjaFirewall filters as usual: ' . get_class($e) . ': ' . $e->getMessage());
        return '';
    }
})($sendcloud_gate_htninja ?? null);
