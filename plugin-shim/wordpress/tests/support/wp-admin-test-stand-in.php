<?php
// TEST STAND-IN FOR WORDPRESS'S ADMIN FUNCTIONS — not WordPress. What the plugin's wp-admin classes (src/Admin/)
// call: translation and escaping (escaping is real: htmlspecialchars, as WordPress's esc_* functions do for these
// inputs), capabilities, nonces, menus, redirects, the REST route registry, wp_remote_request() answered by the test,
// and a minimal WP_CLI. Backed by arrays, reset per test by AdminTestCase. Passing against it says nothing about
// WordPress itself: the end-to-end tests on a real WordPress are for that.

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests {

/** Thrown by the stand-in's wp_die(): WordPress would print the message and exit. */
final class WpDie extends \RuntimeException
{
}

final class WpAdminTestStandIn
{
    /** @var array<string,bool> capabilities of the current user */
    public static $caps = [];
    /** @var list<string> URLs given to wp_safe_redirect() */
    public static $redirects = [];
    /** @var array<string,array<string,mixed>> menu pages by slug: parent, capability, hook */
    public static $menus = [];
    /** @var array<string,array<string,mixed>> REST routes by "namespace/route" */
    public static $routes = [];
    /** @var callable|null (string $url, array $args) => response array or \WP_Error, for wp_remote_request() */
    public static $http;
    /** @var list<array{0: string, 1: array<string,mixed>}> wp_remote_request() calls */
    public static $httpCalls = [];
    /** @var list<array{0: string, 1: string}> WP_CLI output: [kind, text] */
    public static $cli = [];
    /** @var array<string,mixed> */
    public static $cliCommands = [];

    public static function reset(): void
    {
        self::$caps = [];
        self::$redirects = [];
        self::$menus = [];
        self::$routes = [];
        self::$http = null;
        self::$httpCalls = [];
        self::$cli = [];
        self::$cliCommands = [];
        $_POST = [];
        $_GET = [];
        $_REQUEST = [];
    }

    /** The nonce the stand-in issues for $action (WordPress's is a hash; the check is what matters here). */
    public static function nonce(string $action): string
    {
        return 'nonce-' . md5($action);
    }
}
}

namespace {

    use SendcloudGate\WordPress\Tests\WpAdminTestStandIn as WPA;
    use SendcloudGate\WordPress\Tests\WpDie;

    if (!defined('ARRAY_A')) {
        define('ARRAY_A', 'ARRAY_A');
    }

    function __(string $text, string $domain = 'default'): string
    {
        return $text;
    }

    function _e(string $text, string $domain = 'default'): void
    {
        echo $text;
    }

    function _n(string $single, string $plural, int $n, string $domain = 'default'): string
    {
        return $n === 1 ? $single : $plural;
    }

    function esc_html(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
    }

    function esc_attr(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
    }

    function esc_textarea(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
    }

    function esc_url(string $url): string
    {
        return preg_match('#^(https?:)?//|^/|^[a-z0-9._/-]*(\?|$)#i', $url) === 1
            ? htmlspecialchars($url, ENT_QUOTES, 'UTF-8') : '';
    }

    function esc_url_raw(string $url): string
    {
        return $url;
    }

    function esc_html__(string $text, string $domain = 'default'): string
    {
        return esc_html($text);
    }

    function esc_attr__(string $text, string $domain = 'default'): string
    {
        return esc_attr($text);
    }

    function esc_html_e(string $text, string $domain = 'default'): void
    {
        echo esc_html($text);
    }

    function esc_attr_e(string $text, string $domain = 'default'): void
    {
        echo esc_attr($text);
    }

    function current_user_can(string $cap, ...$args): bool
    {
        return WPA::$caps[$cap] ?? false;
    }

    function wp_die($message = '', $title = '', $args = []): void
    {
        throw new WpDie(is_string($message) ? $message : 'wp_die');
    }

    function wp_create_nonce(string $action = ''): string
    {
        return WPA::nonce($action);
    }

    /** @return int|false */
    function wp_verify_nonce($nonce, string $action = '')
    {
        return is_string($nonce) && hash_equals(WPA::nonce($action), $nonce) ? 1 : false;
    }

    function wp_nonce_field(string $action = '', string $name = '_wpnonce', bool $referer = true, bool $echo = true): string
    {
        $field = '<input type="hidden" name="' . esc_attr($name) . '" value="' . esc_attr(WPA::nonce($action)) . '" />';
        if ($echo) {
            echo $field;
        }
        return $field;
    }

    /** @return int */
    function check_admin_referer(string $action = '', string $queryArg = '_wpnonce')
    {
        $ok = wp_verify_nonce($_REQUEST[$queryArg] ?? null, $action);
        if ($ok === false) {
            wp_die('The link you followed has expired.');
        }
        return $ok;
    }

    function admin_url(string $path = ''): string
    {
        return 'http://shop.test/wp-admin/' . ltrim($path, '/');
    }

    function rest_url(string $path = ''): string
    {
        return 'http://shop.test/wp-json/' . ltrim($path, '/');
    }

    function add_query_arg(...$args): string
    {
        $params = $args[0];
        $url = (string) ($args[1] ?? 'http://shop.test/wp-admin/');
        $sep = strpos($url, '?') === false ? '?' : '&';
        return $url . $sep . http_build_query($params);
    }

    function wp_safe_redirect(string $location, int $status = 302): bool
    {
        WPA::$redirects[] = $location;
        return true;
    }

    function wp_get_referer()
    {
        return $_REQUEST['_wp_http_referer'] ?? false;
    }

    function wp_unslash($value)
    {
        return is_array($value) ? array_map('wp_unslash', $value) : (is_string($value) ? stripslashes($value) : $value);
    }

    function add_submenu_page(string $parent, string $title, string $menu, string $cap, string $slug, $cb = null): string
    {
        WPA::$menus[$slug] = ['parent' => $parent, 'capability' => $cap, 'callback' => $cb, 'hook' => 'hook_' . $slug];
        return 'hook_' . $slug;
    }

    function add_options_page(string $title, string $menu, string $cap, string $slug, $cb = null): string
    {
        return add_submenu_page('options-general.php', $title, $menu, $cap, $slug, $cb);
    }

    function register_rest_route(string $namespace, string $route, array $args = [], bool $override = false): bool
    {
        WPA::$routes[$namespace . $route] = $args;
        return true;
    }

    function submit_button($text = null, string $type = 'primary', string $name = 'submit', bool $wrap = true, $other = ''): void
    {
        echo '<p class="submit"><input type="submit" name="' . esc_attr($name) . '" class="button button-' . esc_attr($type)
            . '" value="' . esc_attr((string) ($text ?? 'Save Changes')) . '" /></p>';
    }

    function checked($a, $b = true, bool $echo = true): string
    {
        $r = (string) $a === (string) $b ? ' checked=\'checked\'' : '';
        if ($echo) {
            echo $r;
        }
        return $r;
    }

    function selected($a, $b = true, bool $echo = true): string
    {
        $r = (string) $a === (string) $b ? ' selected=\'selected\'' : '';
        if ($echo) {
            echo $r;
        }
        return $r;
    }

    function wp_date(string $format, ?int $timestamp = null): string
    {
        return gmdate($format, $timestamp ?? time());
    }

    function human_time_diff(int $from, int $to = 0): string
    {
        $d = abs(($to ?: time()) - $from);
        return $d < 3600 ? max(1, intdiv($d, 60)) . ' mins' : ($d < 86400 ? intdiv($d, 3600) . ' hours' : intdiv($d, 86400) . ' days');
    }

    if (!class_exists('WP_Error')) {
        class WP_Error
        {
            /** @var string */
            public $code;
            /** @var string */
            public $message;

            public function __construct(string $code = '', string $message = '')
            {
                $this->code = $code;
                $this->message = $message;
            }

            public function get_error_message(): string
            {
                return $this->message;
            }
        }
    }

    function is_wp_error($thing): bool
    {
        return $thing instanceof WP_Error;
    }

    /** @return array<string,mixed>|WP_Error */
    function wp_remote_request(string $url, array $args = [])
    {
        WPA::$httpCalls[] = [$url, $args];
        if (WPA::$http === null) {
            return new WP_Error('http_request_failed', 'no HTTP in the test stand-in');
        }
        return (WPA::$http)($url, $args);
    }

    function wp_remote_retrieve_response_code($response)
    {
        return is_array($response) ? (int) ($response['response']['code'] ?? 0) : '';
    }

    function wp_remote_retrieve_body($response): string
    {
        return is_array($response) ? (string) ($response['body'] ?? '') : '';
    }

    if (!class_exists('WP_CLI')) {
        /** Stand-in for WP-CLI's output and registry. */
        class WP_CLI
        {
            public static function add_command(string $name, $callable, array $args = []): bool
            {
                WPA::$cliCommands[$name] = $callable;
                return true;
            }

            public static function line(string $text = ''): void
            {
                WPA::$cli[] = ['line', $text];
            }

            public static function log(string $text): void
            {
                WPA::$cli[] = ['line', $text];
            }

            public static function success(string $text): void
            {
                WPA::$cli[] = ['success', $text];
            }

            public static function warning(string $text): void
            {
                WPA::$cli[] = ['warning', $text];
            }

            public static function error(string $text, $exit = true): void
            {
                WPA::$cli[] = ['error', $text];
                throw new WpDie('WP_CLI::error: ' . $text);
            }
        }
    }
}
