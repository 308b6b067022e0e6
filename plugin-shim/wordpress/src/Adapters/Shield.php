<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * Shield Security, plugin slug `wp-simple-firewall` (main file `icwp-wpsf.php`).
 *
 * Checked against Shield's source as published by its authors (FernleafSystems/Shield-Security-for-WordPress,
 * src/lib/src/Rules/Conditions/IsIpBlockedByShield.php at commit 3a14b23, and src/Request/ThisRequest.php) and the
 * wordpress.org snapshot Shield 22.0.7 (WordPressBugBounty/plugins-wp-simple-firewall, plugin.json): the block of an
 * IP (manual or automatic) is decided by `apply_filters( 'shield/is_request_blocked', ... )`, and an automatic block
 * by `apply_filters( 'shield/is_ip_blocked_auto', ... )` (ThisRequest::is_ip_blocked_shield_auto). Shield's own rule
 * response "OverrideShieldIpBlock" adds `'__return_false'` to `shield/is_request_blocked`.
 *
 * On `allow`: for this request only, both filters answer false, so Shield's IP block page does not stop it.
 */
final class Shield extends Base
{
    public const FILTERS = ['shield/is_request_blocked', 'shield/is_ip_blocked_auto'];

    protected function basenames(): array
    {
        return ['wp-simple-firewall/icwp-wpsf.php'];
    }

    public function name(): string
    {
        return 'Shield Security';
    }

    public function whatItDoes(): string
    {
        return self::t('For a request the gate allows, Shield is told that this request is not blocked (its shield/is_request_blocked and shield/is_ip_blocked_auto filters), for that request only. Nothing is saved.');
    }

    public function apply(array $decision): void
    {
        if (($decision['action'] ?? null) !== 'allow' || !function_exists('add_filter')) {
            return;
        }
        foreach (self::FILTERS as $hook) {
            add_filter($hook, static function () {
                return false;
            }, PHP_INT_MAX);
        }
    }
}
