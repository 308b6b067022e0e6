<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

/** Registers the decision log's hooks: schema upgrade, daily pruning, personal-data tools, privacy-policy text. */
final class Hooks
{
    /**
     * The daily pruning event (DecisionLog::CRON_HOOK): defined here so that registering the hooks on every request
     * does not load DecisionLog, which an ordinary page view never needs.
     */
    public const CRON_HOOK = 'sendcloud_gate_log_prune';
    /** The log table's schema version and where the installed one is kept (DecisionLog::DB_VERSION, …_OPTION). */
    public const DB_VERSION = 1;
    public const DB_VERSION_OPTION = 'sendcloud_gate_log_db_version';

    /** @var bool */
    private static $registered = false;

    public static function register(): void
    {
        if (self::$registered || !function_exists('add_action')) {
            return;
        }
        self::$registered = true;
        add_action('plugins_loaded', [self::class, 'maybeUpgrade']);
        add_action(self::CRON_HOOK, [self::class, 'prune']);
        add_action('admin_init', [Privacy::class, 'addPolicyContent']);
        add_filter('wp_privacy_personal_data_exporters', [Privacy::class, 'registerExporter']);
        add_filter('wp_privacy_personal_data_erasers', [Privacy::class, 'registerEraser']);
    }

    /** plugins_loaded: DecisionLog::maybeUpgrade() when the installed schema is not this one (else not even loaded). */
    public static function maybeUpgrade(): void
    {
        try {
            if ((int) get_option(self::DB_VERSION_OPTION, 0) === self::DB_VERSION) {
                return;
            }
        } catch (\Throwable $e) {
            // DecisionLog::maybeUpgrade() says what failed
        }
        DecisionLog::maybeUpgrade();
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
