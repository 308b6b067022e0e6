<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The must-use loader: wp-content/mu-plugins/sendcloud-gate-loader.php, loaded before ordinary plugins so that the
 * gate decides before a security plugin blocks. It requires the plugin's early bootstrap if that file is present
 * and does nothing otherwise (the plugin deleted without deactivation leaves a harmless file).
 */
final class Loader
{
    public const FILE = 'sendcloud-gate-loader.php';
    public const VERSION = 1;

    /** Writes the loader into $muDir (default WPMU_PLUGIN_DIR), creating the directory. True on success. */
    public static function install(?string $muDir = null, ?string $bootstrap = null): bool
    {
        $dir = $muDir ?? self::muDir();
        $bootstrap = $bootstrap ?? dirname(__DIR__) . '/bootstrap.php';
        if (!is_dir($dir) && !@mkdir($dir, 0755, true) && !is_dir($dir)) {
            return false;
        }
        $target = $dir . '/' . self::FILE;
        return AtomicFile::write($target, self::contents($bootstrap));
    }

    /** Deletes the loader from $muDir (default WPMU_PLUGIN_DIR). True when it is gone. */
    public static function remove(?string $muDir = null): bool
    {
        $target = ($muDir ?? self::muDir()) . '/' . self::FILE;
        return !file_exists($target) || @unlink($target);
    }

    /**
     * The loader's state in $muDir (default WPMU_PLUGIN_DIR): `current` (this version, pointing at this plugin's
     * bootstrap), `outdated` (another version or another bootstrap path: reinstall it) or `missing`.
     */
    public static function state(?string $muDir = null, ?string $bootstrap = null): string
    {
        $target = ($muDir ?? self::muDir()) . '/' . self::FILE;
        if (!is_file($target)) {
            return 'missing';
        }
        $bootstrap = $bootstrap ?? dirname(__DIR__) . '/bootstrap.php';
        return @file_get_contents($target) === self::contents($bootstrap) ? 'current' : 'outdated';
    }

    /** The loader's path in $muDir (default WPMU_PLUGIN_DIR). */
    public static function path(?string $muDir = null): string
    {
        return ($muDir ?? self::muDir()) . '/' . self::FILE;
    }

    /** The loader's text for the bootstrap file $bootstrap (an absolute path). */
    public static function contents(string $bootstrap): string
    {
        return "<?php\n"
            . "/*\n"
            . " * Plugin Name: Sendcloud Gate (loader)\n"
            . " * Description: Runs Sendcloud Gate before other plugins. Written by the Sendcloud Gate plugin on activation\n"
            . " * and removed on deactivation; does nothing when the plugin is not installed.\n"
            . " * Loader version: " . self::VERSION . "\n"
            . " */\n"
            . "defined('ABSPATH') || exit;\n"
            . '$sendcloud_gate_bootstrap = ' . var_export($bootstrap, true) . ";\n"
            . "if (is_file(\$sendcloud_gate_bootstrap)) {\n"
            . "    require_once \$sendcloud_gate_bootstrap;\n"
            . "}\n"
            . "unset(\$sendcloud_gate_bootstrap);\n";
    }

    private static function muDir(): string
    {
        if (defined('WPMU_PLUGIN_DIR')) {
            return (string) constant('WPMU_PLUGIN_DIR');
        }
        return (defined('WP_CONTENT_DIR') ? (string) constant('WP_CONTENT_DIR') : ABSPATH . 'wp-content') . '/mu-plugins';
    }
}
