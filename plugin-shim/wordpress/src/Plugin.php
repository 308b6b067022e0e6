<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/** Activation, deactivation and uninstall. */
final class Plugin
{
    /** Activation: the loader, and mode `monitor` with a compiled policy when the site has no settings yet. */
    public static function activate(): void
    {
        if (get_option(Settings::OPTION, null) === null) {
            $result = Settings::save(['mode' => 'monitor']);
            if (!$result['ok']) {
                error_log('sendcloud-gate: activation could not compile the default policy: ' . $result['error']['message']);
                update_option(Settings::OPTION, Settings::normalise(['mode' => 'monitor']));
            }
        }
        if (!Loader::install()) {
            error_log('sendcloud-gate: the must-use loader could not be written; the gate runs when the plugin loads');
        }
        Log\DecisionLog::install();
    }

    public static function deactivate(): void
    {
        Loader::remove();
        Prepend::disable();   // the auto_prepend_file lines and the prepend file, when the mode was on
        if (function_exists('wp_clear_scheduled_hook')) {
            wp_clear_scheduled_hook(Log\DecisionLog::CRON_HOOK);
        }
        // The rows decided before WordPress and not imported yet go to the table; nothing writes the spool any more.
        Log\Spool::import();
        Log\Spool::remove();
    }

    /**
     * Uninstall: the loader, the auto_prepend_file lines and prepend file, the decision log's spool, and this plugin's
     * options, log table and .htninja block, on every site of a network.
     */
    public static function uninstall(): void
    {
        Loader::remove();
        Prepend::disable();
        Log\Spool::remove();
        if (function_exists('is_multisite') && is_multisite() && function_exists('get_sites')) {
            foreach (get_sites(['fields' => 'ids', 'number' => 0]) as $siteId) {
                switch_to_blog((int) $siteId);
                self::deleteOptions();
                restore_current_blog();
            }
        } else {
            self::deleteOptions();
        }
    }

    private static function deleteOptions(): void
    {
        Adapters\NinjaFirewall::remove();   // the .htninja block, where this site wrote one
        Log\DecisionLog::drop();           // the log table, its schema version, the pruning event
        delete_option(Settings::OPTION);
        delete_option(Settings::COMPILED_OPTION);
        delete_option(Settings::SNAPSHOT_OPTION);
        delete_option(Prepend::OPTION);
        delete_option(Prepend::STUB_OPTION);
    }
}
