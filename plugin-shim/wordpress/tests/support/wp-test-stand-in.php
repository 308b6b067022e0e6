<?php
// TEST STAND-IN FOR WORDPRESS — not WordPress. The handful of WordPress functions the plugin's classes call
// (options, hooks, multisite switching), backed by arrays, so the unit tests run with plain PHP. Real-WordPress
// end-to-end tests are a later step (see ../../README.md).

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests {

final class WpTestStandIn
{
    /** @var array<int,array<string,mixed>> options per site id */
    public static $options = [1 => []];
    /** @var int */
    public static $blog = 1;
    /** @var list<int> */
    public static $blogStack = [];
    /** @var bool */
    public static $multisite = false;
    /** @var array<string,list<callable>> */
    public static $filters = [];
    /** @var array<string,list<callable>> */
    public static $actions = [];
    /** @var array<string,callable> activation/deactivation hooks by "activate:file" / "deactivate:file" */
    public static $lifecycle = [];
    /** @var \Throwable|null thrown by get_option() when set (a database that is down) */
    public static $optionFailure;

    public static function reset(): void
    {
        self::$options = [1 => []];
        self::$blog = 1;
        self::$blogStack = [];
        self::$multisite = false;
        self::$filters = [];
        self::$actions = [];
        self::$lifecycle = [];
        self::$optionFailure = null;
    }
}
}

namespace {

    use SendcloudGate\WordPress\Tests\WpTestStandIn as WP;

    function get_option(string $name, $default = false)
    {
        if (WP::$optionFailure !== null) {
            throw WP::$optionFailure;
        }
        return array_key_exists($name, WP::$options[WP::$blog] ?? []) ? WP::$options[WP::$blog][$name] : $default;
    }

    function update_option(string $name, $value, $autoload = null): bool
    {
        WP::$options[WP::$blog][$name] = $value;
        return true;
    }

    function delete_option(string $name): bool
    {
        $had = array_key_exists($name, WP::$options[WP::$blog] ?? []);
        unset(WP::$options[WP::$blog][$name]);
        return $had;
    }

    function add_filter(string $hook, callable $callback, int $priority = 10, int $args = 1): bool
    {
        WP::$filters[$hook][] = $callback;
        return true;
    }

    function add_action(string $hook, callable $callback, int $priority = 10, int $args = 1): bool
    {
        WP::$actions[$hook][] = $callback;
        return true;
    }

    function apply_filters(string $hook, $value, ...$args)
    {
        foreach (WP::$filters[$hook] ?? [] as $cb) {
            $value = $cb($value, ...$args);
        }
        return $value;
    }

    function register_activation_hook(string $file, callable $cb): void
    {
        WP::$lifecycle['activate:' . $file] = $cb;
    }

    function register_deactivation_hook(string $file, callable $cb): void
    {
        WP::$lifecycle['deactivate:' . $file] = $cb;
    }

    function is_multisite(): bool
    {
        return WP::$multisite;
    }

    /** @return list<int> */
    function get_sites(array $args = []): array
    {
        return array_keys(WP::$options);
    }

    function switch_to_blog(int $id): bool
    {
        WP::$blogStack[] = WP::$blog;
        WP::$blog = $id;
        return true;
    }

    function restore_current_blog(): bool
    {
        WP::$blog = array_pop(WP::$blogStack) ?? 1;
        return true;
    }
}
