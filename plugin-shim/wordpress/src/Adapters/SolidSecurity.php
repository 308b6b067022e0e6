<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * Solid Security / Kadence Security (formerly iThemes Security), plugin slug `better-wp-security`.
 *
 * Checked against Kadence Security Basic 10.0.4 (WordPressBugBounty/plugins-better-wp-security, commit b1ddd12):
 * `ITSEC_Lockout::execute_lock()` (core/lockout.php) returns without locking out when
 * `ITSEC_Lib::is_ip_whitelisted( ITSEC_Lib::get_ip() )`, and `create_lockout()` records no lockout for an
 * allow-listed host; `ITSEC_Lib::is_ip_whitelisted()` compares against `ITSEC_Lib::get_whitelisted_ips()`, which is
 * `apply_filters( 'itsec_white_ips', array() )` (core/lib.php; IPs, CIDR ranges or wildcards).
 *
 * On `allow`: for this request only, the filter `itsec_white_ips` adds the client address the engine resolved and
 * the address Solid Security itself sees for this request (`ITSEC_Lib::get_ip()`, which may be a proxy's when
 * Solid's proxy setting differs from the gate's). Nothing is stored.
 */
final class SolidSecurity extends Base
{
    public const FILTER = 'itsec_white_ips';

    protected function basenames(): array
    {
        return ['better-wp-security/better-wp-security.php', 'ithemes-security-pro/ithemes-security-pro.php'];
    }

    public function name(): string
    {
        return 'Solid Security / Kadence Security';
    }

    public function whatItDoes(): string
    {
        return self::t('For a request the gate allows, its address is added to Solid Security\'s allow list for that request only (the itsec_white_ips filter), so a lockout or ban does not stop it. Nothing is saved.');
    }

    public function apply(array $decision): void
    {
        if (($decision['action'] ?? null) !== 'allow' || !function_exists('add_filter')) {
            return;
        }
        $client = is_string($decision['client_ip'] ?? null) ? $decision['client_ip'] : null;
        add_filter(self::FILTER, static function ($ips) use ($client) {
            $ips = is_array($ips) ? $ips : [];
            if ($client !== null) {
                $ips[] = $client;
            }
            if (class_exists('ITSEC_Lib', false) && method_exists('ITSEC_Lib', 'get_ip')) {
                $own = \ITSEC_Lib::get_ip();
                if (is_string($own) && $own !== '') {
                    $ips[] = $own;
                }
            }
            return array_values(array_unique($ips));
        }, PHP_INT_MAX);
    }
}
