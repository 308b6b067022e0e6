<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

/**
 * The plugin's WordPress-facing side: the settings page, the loader notice, Site Health and its REST routes, and
 * `wp sendcloud-gate` under WP-CLI. Registered from the plugin's main file (so only while the plugin is active).
 */
final class Admin
{
    /** @param string $pluginFile the plugin's main file (for its languages/ directory) */
    public static function register(string $pluginFile = ''): void
    {
        if ($pluginFile !== '') {
            add_action('init', static function () use ($pluginFile): void {
                load_plugin_textdomain('sendcloud-gate', false, dirname(plugin_basename($pluginFile)) . '/languages');
            });
        }
        // After an update of the plugin (a new engine) the stored snapshot no longer applies: the first admin page
        // takes a new one.
        add_action('admin_init', ['SendcloudGate\\WordPress\\Settings', 'refreshSnapshot']);
        add_action('admin_menu', [Page::class, 'menu']);
        add_action('admin_menu', [LogPage::class, 'menu']);
        add_action('admin_post_' . LogPage::CSV_ACTION, [LogPage::class, 'exportCsv']);
        add_action('admin_notices', [Notice::class, 'render']);
        add_action('admin_post_' . Notice::ACTION, [Notice::class, 'handleReinstall']);
        add_filter('site_status_tests', [SiteHealth::class, 'tests']);
        add_action('rest_api_init', [SiteHealth::class, 'routes']);
        if (defined('WP_CLI') && WP_CLI) {
            Cli::register();
        }
    }
}
