<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

/** Registers the decision log's hooks: schema upgrade, daily pruning, personal-data tools, privacy-policy text. */
final class Hooks
{
    /** @var bool */
    private static $registered = false;

    public static function register(): void
    {
        if (self::$registered || !function_exists('add_action')) {
            return;
        }
        self::$registered = true;
        add_action('plugins_loaded', [DecisionLog::class, 'maybeUpgrade']);
        add_action(DecisionLog::CRON_HOOK, [self::class, 'prune']);
        add_action('admin_init', [Privacy::class, 'addPolicyContent']);
        add_filter('wp_privacy_personal_data_exporters', [Privacy::class, 'registerExporter']);
        add_filter('wp_privacy_personal_data_erasers', [Privacy::class, 'registerEraser']);
    }

    /** The cron event's callback (returns nothing: WP-Cron ignores return values). */
    public static function prune(): void
    {
        DecisionLog::prune();
    }

    /** For tests. */
    public static function reset(): void
    {
        self::$registered = false;
    }
}
