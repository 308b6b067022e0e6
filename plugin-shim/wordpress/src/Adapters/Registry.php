<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

use SendcloudGate\WordPress\Settings;

/** The security-plugin adapters, for the request path (applyAll) and the status page (all). */
final class Registry
{
    /** @var list<Adapter>|null */
    private static $all;

    /** @return list<Adapter> every adapter, whether its plugin is active or not */
    public static function all(): array
    {
        if (self::$all === null) {
            self::$all = [
                new SolidSecurity(),
                new Shield(),
                new AllInOneSecurity(),
                new BlockBadQueries(),
                new WpCerber(),
                new NinjaFirewall(),
                new Wordfence(),
            ];
        }
        return self::$all;
    }

    /** @return list<Adapter> the adapters whose plugin is active here */
    public static function active(): array
    {
        return array_values(array_filter(self::all(), static function (Adapter $a): bool {
            return $a->detect();
        }));
    }

    /**
     * On an `allow` decision: each active plugin's adapter lets this request through. Never throws; an adapter's
     * failure is one error_log() line and the others still run.
     *
     * @param array<string,mixed> $decision
     */
    public static function applyAll(array $decision): void
    {
        if (($decision['action'] ?? null) !== 'allow') {
            return;
        }
        foreach (self::all() as $adapter) {
            try {
                if ($adapter->detect()) {
                    $adapter->apply($decision);
                }
            } catch (\Throwable $e) {
                error_log('sendcloud-gate: ' . $adapter->name() . ': ' . get_class($e) . ': ' . $e->getMessage());
            }
        }
    }

    /** Hooks that keep adapter state in step with the settings (the .htninja block carries the mode and policy). */
    public static function registerHooks(): void
    {
        if (!function_exists('add_action')) {
            return;
        }
        foreach ([Settings::OPTION, Settings::COMPILED_OPTION] as $option) {
            add_action('update_option_' . $option, [NinjaFirewall::class, 'refresh']);
            add_action('add_option_' . $option, [NinjaFirewall::class, 'refresh']);
        }
    }

    /**
     * For tests: forget the list, or replace it.
     *
     * @param list<Adapter>|null $adapters
     */
    public static function reset(?array $adapters = null): void
    {
        self::$all = $adapters;
    }
}
