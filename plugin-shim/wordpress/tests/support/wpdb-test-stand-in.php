<?php
// TEST STAND-IN FOR WORDPRESS'S $wpdb AND WP-CRON — not WordPress, not a database. Records every query the plugin's
// decision log sends (after prepare(), which quotes and substitutes %s / %d as wpdb does for these inputs) and answers
// get_var()/get_row()/get_results()/get_col() from values the test queues. It runs no SQL: what the queries do on a
// real database is tested end to end on MariaDB (tests/e2e/). Also: dbDelta(), the WP-Cron scheduling functions and
// remove_action(), backed by arrays. Reset per test by LogTestCase.

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests {

final class WpdbTestStandIn
{
    /** @var list<string> every query given to query() and the get_*() methods, in order */
    public $queries = [];
    /** @var list<mixed> answers of get_var()/get_row()/get_results()/get_col(), first in first out (null when empty) */
    public $answers = [];
    /** @var int|false what query() returns (rows affected), or false for a failure */
    public $queryResult = 1;
    /** @var string */
    public $last_error = '';
    /** @var string set with $queryResult = false */
    public $failure = '';
    /** @var bool */
    public $suppressed = false;
    /** @var string */
    public $comments = 'wp_comments';
    /** @var string */
    public $postmeta = 'wp_postmeta';
    /** @var string */
    public $options = 'wp_options';

    /** The table prefix of the current site, as wpdb sets it on switch_to_blog(): wp_, wp_2_, ... */
    public function __get(string $name)
    {
        if ($name === 'prefix') {
            $blog = WpTestStandIn::$blog;
            return $blog === 1 ? 'wp_' : 'wp_' . $blog . '_';
        }
        return null;
    }

    /** @param mixed ...$args */
    public function prepare(string $query, ...$args): string
    {
        if (count($args) === 1 && is_array($args[0])) {
            $args = $args[0];
        }
        if ($args === []) {
            throw new \LogicException('prepare() without values: ' . $query);
        }
        $i = 0;
        $out = preg_replace_callback('/%[sd]/', static function (array $m) use (&$i, $args, $query): string {
            if (!array_key_exists($i, $args)) {
                throw new \LogicException('prepare(): fewer values than placeholders in ' . $query);
            }
            $v = $args[$i++];
            return $m[0] === '%d' ? (string) (int) $v : "'" . addslashes((string) $v) . "'";
        }, $query);
        if ($i !== count($args)) {
            throw new \LogicException('prepare(): more values than placeholders in ' . $query);
        }
        return (string) $out;
    }

    /** @return int|false */
    public function query(string $sql)
    {
        $this->queries[] = $sql;
        $this->last_error = $this->queryResult === false ? $this->failure : '';
        return $this->queryResult;
    }

    /** @return mixed */
    public function get_var(string $sql)
    {
        $this->queries[] = $sql;
        return array_shift($this->answers);
    }

    /** @return mixed */
    public function get_row(string $sql, $output = null)
    {
        $this->queries[] = $sql;
        return array_shift($this->answers);
    }

    /** @return mixed */
    public function get_results(string $sql, $output = null)
    {
        $this->queries[] = $sql;
        return array_shift($this->answers);
    }

    /** @return mixed */
    public function get_col(string $sql)
    {
        $this->queries[] = $sql;
        return array_shift($this->answers) ?? [];
    }

    public function suppress_errors(bool $suppress = true): bool
    {
        $was = $this->suppressed;
        $this->suppressed = $suppress;
        return $was;
    }

    public function get_charset_collate(): string
    {
        return 'DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci';
    }

    public function esc_like(string $text): string
    {
        return addcslashes($text, '_%\\');
    }
}

final class WpCronTestStandIn
{
    /** @var array<string,array{0: int, 1: string}> scheduled events by hook: [timestamp, recurrence] */
    public static $events = [];
    /** @var list<string> statements given to dbDelta() */
    public static $dbDelta = [];

    public static function reset(): void
    {
        self::$events = [];
        self::$dbDelta = [];
    }
}
}

namespace {

    use SendcloudGate\WordPress\Tests\WpCronTestStandIn as Cron;
    use SendcloudGate\WordPress\Tests\WpTestStandIn as WP;

    if (!defined('ARRAY_A')) {
        define('ARRAY_A', 'ARRAY_A');
    }

    if (!function_exists('dbDelta')) {
        /** @param string|list<string> $queries */
        function dbDelta($queries = '', bool $execute = true): array
        {
            foreach ((array) $queries as $q) {
                Cron::$dbDelta[] = $q;
            }
            return [];
        }
    }

    if (!function_exists('wp_next_scheduled')) {
        /** @return int|false */
        function wp_next_scheduled(string $hook, array $args = [])
        {
            return isset(Cron::$events[$hook]) ? Cron::$events[$hook][0] : false;
        }
    }

    if (!function_exists('wp_schedule_event')) {
        function wp_schedule_event(int $timestamp, string $recurrence, string $hook, array $args = [], bool $wpError = false): bool
        {
            Cron::$events[$hook] = [$timestamp, $recurrence];
            return true;
        }
    }

    if (!function_exists('wp_clear_scheduled_hook')) {
        function wp_clear_scheduled_hook(string $hook, array $args = [], bool $wpError = false): int
        {
            $had = isset(Cron::$events[$hook]) ? 1 : 0;
            unset(Cron::$events[$hook]);
            return $had;
        }
    }

    if (!function_exists('remove_action')) {
        function remove_action(string $hook, $callback, int $priority = 10): bool
        {
            $removed = false;
            foreach (['actions', 'filters'] as $kind) {
                foreach (WP::${$kind}[$hook] ?? [] as $i => $cb) {
                    if ($cb === $callback) {
                        unset(WP::${$kind}[$hook][$i]);
                        $removed = true;
                    }
                }
            }
            return $removed;
        }
    }

    if (!function_exists('get_site_option')) {
        function get_site_option(string $name, $default = false)
        {
            return get_option('site:' . $name, $default);
        }
    }
}
