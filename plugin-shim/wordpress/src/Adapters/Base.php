<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/** Shared helpers: whether a plugin is active (single site or network-wide), translated texts. */
abstract class Base implements Adapter
{
    /** @return list<string> plugin basenames (dir/file.php) of the plugin and its editions */
    abstract protected function basenames(): array;

    public function detect(): bool
    {
        $active = function_exists('get_option') ? get_option('active_plugins', []) : [];
        $active = is_array($active) ? $active : [];
        if (function_exists('is_multisite') && is_multisite() && function_exists('get_site_option')) {
            $network = get_site_option('active_sitewide_plugins', []);
            $active = array_merge($active, is_array($network) ? array_keys($network) : []);
        }
        return array_intersect($this->basenames(), $active) !== [];
    }

    protected static function t(string $s): string
    {
        return function_exists('__') ? __($s, 'sendcloud-gate') : $s;
    }

    /**
     * The addresses of the partner as the engine's effective policy lists them (preset ranges and the merchant's
     * extra addresses): for the explicit, permanent allow-list actions. Empty when the full module cannot run.
     *
     * @return list<string>
     */
    public static function partnerRanges(): array
    {
        try {
            $stored = function_exists('get_option') ? get_option(\SendcloudGate\WordPress\Settings::COMPILED_OPTION, null) : null;
            $bytes = is_string($stored) ? base64_decode($stored, true) : null;
            $gate = \SendcloudGate\Gate::fromCompiledOrPass($bytes === false ? null : $bytes);
            if (!method_exists($gate, 'effectivePolicy')) {
                return [];
            }
            $policy = $gate->effectivePolicy();
            $out = [];
            foreach ($policy['partners'] ?? [] as $p) {
                if (($p['id'] ?? null) === \SendcloudGate\WordPress\Log\DecisionLog::PARTNER && is_array($p['ip'] ?? null)) {
                    foreach ($p['ip'] as $range) {
                        if (is_string($range)) {
                            $out[] = $range;
                        }
                    }
                }
            }
            return array_values(array_unique($out));
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: the partner addresses could not be read: ' . $e->getMessage());
            return [];
        }
    }
}
