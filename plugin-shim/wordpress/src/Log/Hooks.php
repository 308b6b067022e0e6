<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

/**
 * Registers the decision log's hooks: schema upgrade, the spool's import (Spool), daily pruning, personal-data tools,
 * privacy-policy text.
 */
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
    /** The spool file's first line (Spool::HEADER): a file of this size or less holds no row. */
    public const SPOOL_HEADER = "<?php exit; __halt_compiler();\n";

    /** @var bool */
    private static $registered = false;

    public static function register(): void
    {
        if (self::$registered || !function_exists('add_action')) {
            return;
        }
        self::$registered = true;
        add_action('plugins_loaded', [self::class, 'maybeUpgrade']);
        add_action('plugins_loaded', [self::class, 'importSpool'], 20);
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

    /**
     * The spool file's path (Spool): wp-content/sendcloud-gate-spool/decisions.php. Here, not in Spool, so that a
     * request can look at the file without loading that class.
     */
    public static function spoolPath(): string
    {
        $content = defined('WP_CONTENT_DIR') ? (string) constant('WP_CONTENT_DIR')
            : rtrim(defined('ABSPATH') ? (string) constant('ABSPATH') : '', '/') . '/wp-content';
        return rtrim($content, '/') . '/sendcloud-gate-spool/decisions.php';
    }

    /**
     * plugins_loaded: imports the spooled rows (decisions made before WordPress) when the spool holds any — one stat()
     * otherwise (the file is absent, or only its header).
     */
    public static function importSpool(): void
    {
        $path = self::spoolPath();
        if (is_file($path) && (int) @filesize($path) > strlen(self::SPOOL_HEADER)) {
            Spool::import($path);
        }
    }

    /** The cron event's callback (returns nothing: WP-Cron ignores return values): the spool's rows, then pruning. */
    public static function prune(): void
    {
        Spool::import();
        DecisionLog::prune();
    }

    /** For tests. */
    public static function reset(): void
    {
        self::$registered = false;
    }
}
