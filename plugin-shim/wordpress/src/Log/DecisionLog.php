<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

use SendcloudGate\WordPress\Settings;

/**
 * The decision log: one row per request the engine had an opinion about (`allow`, `deny`) or that has to do with a
 * partner (reason `impersonation`, `method_not_allowed`, `ua_mismatch`: the User-Agent claims a partner, or the
 * request came from a partner's addresses), never every page view. A row holds the time (UTC), the client IP the
 * engine resolved, the effective method, the path (no query, no body), the User-Agent, action, reason and rule.
 *
 * Bounded by rows and days (settings `log_max_rows`, `log_days`), pruned by a daily WP-Cron event. Recording is one
 * INSERT on the request path, only for such requests; a database failure is one error_log() line and the site
 * keeps serving. Every query goes through $wpdb->prepare().
 *
 * Which decisions are logged is a logging choice, not a decision: the decision is the library's.
 */
final class DecisionLog
{
    /** The table's name without the site's prefix. */
    public const TABLE = 'sendcloud_gate_log';
    /** The schema's version; a different stored value runs dbDelta again. */
    public const DB_VERSION = Hooks::DB_VERSION;
    public const DB_VERSION_OPTION = Hooks::DB_VERSION_OPTION;
    public const CRON_HOOK = Hooks::CRON_HOOK;

    /** Reasons of `pass` decisions that are logged: they concern a partner. */
    public const PARTNER_REASONS = ['impersonation', 'method_not_allowed', 'ua_mismatch'];
    /** The partner whose requests the "Sendcloud not allowed" filter is about (the preset the plugin's policy uses). */
    public const PARTNER = 'sendcloud';

    private const MAX_PATH = 255;
    private const MAX_UA = 255;
    private const COLUMNS = ['id', 'created_at', 'client_ip', 'method', 'path', 'user_agent', 'action', 'reason', 'rule'];

    /** @var bool one error_log() line per request at most */
    private static $failureLogged = false;

    /** True when a decision belongs in the log (see the class comment). */
    public static function isRelevant(array $decision): bool
    {
        $action = $decision['action'] ?? null;
        if ($action === 'allow' || $action === 'deny') {
            return true;
        }
        return in_array($decision['reason'] ?? null, self::PARTNER_REASONS, true);
    }

    /**
     * Records the decision about the request $server ($_SERVER) when it belongs in the log: one INSERT. Never throws;
     * a failure is one error_log() line. When $wpdb does not exist yet, the row goes to the spool (Spool), which is
     * imported on plugins_loaded (of this request if it goes on, else of the next one): a `deny` that ends the request
     * before then is not lost.
     *
     * @param array<string,mixed> $decision as Gate::decide() returns it
     * @param array<string,mixed> $server
     */
    public static function record(array $decision, array $server): void
    {
        if (!self::isRelevant($decision)) {
            return;
        }
        try {
            $row = self::row($decision, $server, time());
            if (self::db() === null) {
                Spool::append($row);   // one error_log() line of its own when it cannot
                return;
            }
            self::insert($row);
        } catch (\Throwable $e) {
            self::fail('the decision could not be logged: ' . get_class($e) . ': ' . $e->getMessage());
        }
    }

    /**
     * The row recorded for a decision: what the log keeps of a request.
     *
     * @param array<string,mixed> $decision
     * @param array<string,mixed> $server
     * @return array<string,string>
     */
    public static function row(array $decision, array $server, int $time): array
    {
        $uri = is_string($server['REQUEST_URI'] ?? null) ? $server['REQUEST_URI'] : '';
        $q = strpos($uri, '?');
        $path = $q === false ? $uri : substr($uri, 0, $q);
        $method = is_string($decision['method'] ?? null) ? $decision['method']
            : (is_string($server['REQUEST_METHOD'] ?? null) ? $server['REQUEST_METHOD'] : '');
        $ip = is_string($decision['client_ip'] ?? null) ? $decision['client_ip']
            : (is_string($server['REMOTE_ADDR'] ?? null) ? $server['REMOTE_ADDR'] : '');
        $ua = is_string($server['HTTP_USER_AGENT'] ?? null) ? $server['HTTP_USER_AGENT'] : '';
        return [
            'created_at' => gmdate('Y-m-d H:i:s', $time),
            'client_ip' => self::cut($ip, 45),
            'method' => self::cut($method, 16),
            'path' => self::cut($path, self::MAX_PATH),
            'user_agent' => self::cut($ua, self::MAX_UA),
            'action' => self::cut((string) ($decision['action'] ?? ''), 8),
            'reason' => self::cut((string) ($decision['reason'] ?? ''), 40),
            'rule' => self::cut(is_string($decision['rule'] ?? null) ? $decision['rule'] : '', 64),
        ];
    }

    /** The table's name on the current site. */
    public static function tableName(): string
    {
        $wpdb = self::db();
        return ($wpdb !== null ? (string) $wpdb->prefix : 'wp_') . self::TABLE;
    }

    /** The CREATE TABLE statement dbDelta() is given. */
    public static function schema(): string
    {
        $wpdb = self::db();
        $charset = ($wpdb !== null && method_exists($wpdb, 'get_charset_collate')) ? $wpdb->get_charset_collate() : '';
        // dbDelta's format: two spaces after PRIMARY KEY, one column or key per line.
        return 'CREATE TABLE ' . self::tableName() . " (\n"
            . "id bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
            . "created_at datetime NOT NULL,\n"
            . "client_ip varchar(45) NOT NULL DEFAULT '',\n"
            . "method varchar(16) NOT NULL DEFAULT '',\n"
            . "path varchar(255) NOT NULL DEFAULT '',\n"
            . "user_agent varchar(255) NOT NULL DEFAULT '',\n"
            . "action varchar(8) NOT NULL DEFAULT '',\n"
            . "reason varchar(40) NOT NULL DEFAULT '',\n"
            . "rule varchar(64) NOT NULL DEFAULT '',\n"
            . "PRIMARY KEY  (id),\n"
            . "KEY created_at (created_at),\n"
            . "KEY client_ip (client_ip),\n"
            . "KEY action_reason (action,reason)\n"
            . ') ' . $charset . ';';
    }

    /** Creates or upgrades the table (dbDelta), records the schema version and schedules the daily pruning. */
    public static function install(): void
    {
        if (!function_exists('dbDelta') && defined('ABSPATH') && is_file(ABSPATH . 'wp-admin/includes/upgrade.php')) {
            require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        }
        if (function_exists('dbDelta')) {
            dbDelta(self::schema());
        }
        update_option(self::DB_VERSION_OPTION, self::DB_VERSION);
        if (function_exists('wp_next_scheduled') && !wp_next_scheduled(self::CRON_HOOK)) {
            wp_schedule_event(time() + 3600, 'daily', self::CRON_HOOK);
        }
    }

    /** Installs the table when the stored schema version is not this one (a plugin update without reactivation). */
    public static function maybeUpgrade(): void
    {
        try {
            if ((int) get_option(self::DB_VERSION_OPTION, 0) !== self::DB_VERSION) {
                self::install();
            }
        } catch (\Throwable $e) {
            self::fail('the log table could not be created: ' . $e->getMessage());
        }
    }

    /** Drops the table of the current site, forgets its version and unschedules the pruning. */
    public static function drop(): void
    {
        $wpdb = self::db();
        if ($wpdb !== null) {
            // The table name is the site's prefix and a constant; prepare() has no identifier placeholder in 6.1.
            $wpdb->query('DROP TABLE IF EXISTS `' . self::tableName() . '`');
        }
        delete_option(self::DB_VERSION_OPTION);
        if (function_exists('wp_clear_scheduled_hook')) {
            wp_clear_scheduled_hook(self::CRON_HOOK);
        }
    }

    /**
     * Deletes rows older than `log_days` and all but the newest `log_max_rows`. Returns how many rows went.
     */
    public static function prune(): int
    {
        $wpdb = self::db();
        if ($wpdb === null) {
            return 0;
        }
        $s = Settings::load();
        $t = self::tableName();
        $before = gmdate('Y-m-d H:i:s', time() - (int) $s['log_days'] * 86400);
        $deleted = (int) $wpdb->query($wpdb->prepare("DELETE FROM `$t` WHERE created_at < %s", $before));
        $cut = $wpdb->get_var($wpdb->prepare("SELECT id FROM `$t` ORDER BY id DESC LIMIT 1 OFFSET %d", (int) $s['log_max_rows']));
        if ($cut !== null) {
            $deleted += (int) $wpdb->query($wpdb->prepare("DELETE FROM `$t` WHERE id <= %d", (int) $cut));
        }
        return $deleted;
    }

    /**
     * The newest row about the partner (rule `sendcloud`), whatever was decided, or null.
     *
     * @return array<string,string>|null
     */
    public static function lastPartnerRequest(): ?array
    {
        $wpdb = self::db();
        if ($wpdb === null) {
            return null;
        }
        $t = self::tableName();
        $row = $wpdb->get_row($wpdb->prepare("SELECT * FROM `$t` WHERE rule = %s ORDER BY id DESC LIMIT 1", self::PARTNER), ARRAY_A);
        return is_array($row) ? $row : null;
    }

    /**
     * Rows of the last $days days by action.
     *
     * @return array{allow: int, deny: int, pass: int}
     */
    public static function countsByAction(int $days): array
    {
        $out = ['allow' => 0, 'deny' => 0, 'pass' => 0];
        $wpdb = self::db();
        if ($wpdb === null) {
            return $out;
        }
        $t = self::tableName();
        $since = gmdate('Y-m-d H:i:s', time() - max(0, $days) * 86400);
        $rows = $wpdb->get_results($wpdb->prepare("SELECT action, COUNT(*) AS n FROM `$t` WHERE created_at >= %s GROUP BY action", $since), ARRAY_A);
        foreach (is_array($rows) ? $rows : [] as $r) {
            if (isset($out[$r['action']])) {
                $out[$r['action']] = (int) $r['n'];
            }
        }
        return $out;
    }

    /**
     * One page of rows, newest first.
     *
     * @param array{action?: string, reason?: string, sendcloud_not_allowed?: bool} $filters
     *        `sendcloud_not_allowed`: rows about the partner (rule `sendcloud`) that were not allowed
     * @return array{rows: list<array<string,string>>, total: int}
     */
    public static function query(array $filters, int $page, int $perPage): array
    {
        $wpdb = self::db();
        if ($wpdb === null) {
            return ['rows' => [], 'total' => 0];
        }
        $perPage = max(1, min(1000, $perPage));
        $page = max(1, $page);
        [$where, $args] = self::where($filters);
        $t = self::tableName();
        $total = (int) $wpdb->get_var(self::prepare($wpdb, "SELECT COUNT(*) FROM `$t` WHERE $where", $args));
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT * FROM `$t` WHERE $where ORDER BY id DESC LIMIT %d OFFSET %d",
            array_merge($args, [$perPage, ($page - 1) * $perPage])
        ), ARRAY_A);
        return ['rows' => is_array($rows) ? array_values($rows) : [], 'total' => $total];
    }

    /**
     * The rows matching $filters as CSV (header line, newest first, at most `log_max_rows` rows). Cells that a
     * spreadsheet would run as a formula are prefixed with a quote.
     *
     * @param array{action?: string, reason?: string, sendcloud_not_allowed?: bool} $filters
     */
    public static function csv(array $filters): string
    {
        $out = fopen('php://temp', 'r+');
        if ($out === false) {
            return '';
        }
        fputcsv($out, self::COLUMNS, ',', '"', '\\');
        $wpdb = self::db();
        if ($wpdb !== null) {
            [$where, $args] = self::where($filters);
            $t = self::tableName();
            $limit = (int) Settings::load()['log_max_rows'];
            $rows = $wpdb->get_results($wpdb->prepare(
                "SELECT * FROM `$t` WHERE $where ORDER BY id DESC LIMIT %d",
                array_merge($args, [$limit])
            ), ARRAY_A);
            foreach (is_array($rows) ? $rows : [] as $r) {
                $line = [];
                foreach (self::COLUMNS as $c) {
                    $v = (string) ($r[$c] ?? '');
                    $line[] = ($v !== '' && strpos('=+-@', $v[0]) !== false) ? "'" . $v : $v;
                }
                fputcsv($out, $line, ',', '"', '\\');
            }
        }
        rewind($out);
        $csv = (string) stream_get_contents($out);
        fclose($out);
        return $csv;
    }

    /**
     * Rows whose client IP is one of $ips, oldest first, one page (for the personal-data exporter).
     *
     * @param list<string> $ips
     * @return list<array<string,string>>
     */
    public static function rowsForAddresses(array $ips, int $page, int $perPage): array
    {
        $wpdb = self::db();
        $ips = array_values(array_unique(array_filter($ips, 'is_string')));
        if ($wpdb === null || $ips === []) {
            return [];
        }
        $t = self::tableName();
        $in = implode(',', array_fill(0, count($ips), '%s'));
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT * FROM `$t` WHERE client_ip IN ($in) ORDER BY id ASC LIMIT %d OFFSET %d",
            array_merge($ips, [$perPage, (max(1, $page) - 1) * $perPage])
        ), ARRAY_A);
        return is_array($rows) ? array_values($rows) : [];
    }

    /**
     * Deletes the rows whose client IP is one of $ips (for the personal-data eraser). Returns how many went.
     *
     * @param list<string> $ips
     */
    public static function eraseAddresses(array $ips): int
    {
        $wpdb = self::db();
        $ips = array_values(array_unique(array_filter($ips, 'is_string')));
        if ($wpdb === null || $ips === []) {
            return 0;
        }
        $t = self::tableName();
        $in = implode(',', array_fill(0, count($ips), '%s'));
        return (int) $wpdb->query($wpdb->prepare("DELETE FROM `$t` WHERE client_ip IN ($in)", $ips));
    }

    /** For tests: forget that a failure was logged in this process. */
    public static function resetForTests(): void
    {
        self::$failureLogged = false;
    }

    /**
     * @param array<string,mixed> $filters
     * @return array{0: string, 1: list<string>}
     */
    private static function where(array $filters): array
    {
        $where = ['1=1'];
        $args = [];
        if (isset($filters['action']) && in_array($filters['action'], ['allow', 'deny', 'pass'], true)) {
            $where[] = 'action = %s';
            $args[] = $filters['action'];
        }
        if (isset($filters['reason']) && is_string($filters['reason']) && $filters['reason'] !== '') {
            $where[] = 'reason = %s';
            $args[] = $filters['reason'];
        }
        if (!empty($filters['sendcloud_not_allowed'])) {
            $where[] = 'rule = %s AND action <> %s';
            $args[] = self::PARTNER;
            $args[] = 'allow';
        }
        return [implode(' AND ', $where), $args];
    }

    /** @param array<string,string> $row */
    private static function insert(array $row): void
    {
        $wpdb = self::db();
        if ($wpdb === null) {
            self::fail('the database is not ready; the decision was not logged');
            return;
        }
        $t = self::tableName();
        $suppressed = method_exists($wpdb, 'suppress_errors') ? $wpdb->suppress_errors(true) : false;
        try {
            $ok = $wpdb->query($wpdb->prepare(
                "INSERT INTO `$t` (created_at, client_ip, method, path, user_agent, action, reason, rule) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                array_values($row)
            ));
        } finally {
            if (method_exists($wpdb, 'suppress_errors')) {
                $wpdb->suppress_errors($suppressed);
            }
        }
        if ($ok === false) {
            $error = isset($wpdb->last_error) && is_string($wpdb->last_error) && $wpdb->last_error !== '' ? $wpdb->last_error : 'unknown error';
            self::fail('the decision could not be logged: ' . $error);
        }
    }

    /**
     * Inserts rows (as row() makes them; the spool's import), one prepared INSERT per 50 rows. Null when every row was
     * inserted, else the database's error (the rows of the failed INSERT and after it were not inserted).
     *
     * @param list<array<string,string>> $rows
     */
    public static function insertRows(array $rows): ?string
    {
        $wpdb = self::db();
        if ($wpdb === null) {
            return 'the database is not ready';
        }
        $t = self::tableName();
        $suppressed = method_exists($wpdb, 'suppress_errors') ? $wpdb->suppress_errors(true) : false;
        try {
            foreach (array_chunk($rows, 50) as $chunk) {
                $values = [];
                foreach ($chunk as $row) {
                    foreach (['created_at', 'client_ip', 'method', 'path', 'user_agent', 'action', 'reason', 'rule'] as $c) {
                        $values[] = (string) ($row[$c] ?? '');
                    }
                }
                $ok = $wpdb->query($wpdb->prepare(
                    "INSERT INTO `$t` (created_at, client_ip, method, path, user_agent, action, reason, rule) VALUES "
                        . implode(', ', array_fill(0, count($chunk), '(%s, %s, %s, %s, %s, %s, %s, %s)')),
                    $values
                ));
                if ($ok === false) {
                    return isset($wpdb->last_error) && is_string($wpdb->last_error) && $wpdb->last_error !== '' ? $wpdb->last_error : 'unknown error';
                }
            }
        } finally {
            if (method_exists($wpdb, 'suppress_errors')) {
                $wpdb->suppress_errors($suppressed);
            }
        }
        return null;
    }

    /**
     * $wpdb->prepare() for a query with values; a query without any (no filter chosen) is passed as it is, since
     * prepare() refuses a query without placeholders.
     *
     * @param object $wpdb
     * @param list<mixed> $args
     */
    private static function prepare($wpdb, string $sql, array $args): string
    {
        return $args === [] ? $sql : (string) $wpdb->prepare($sql, $args);
    }

    /** @return object|null the global $wpdb when it exists */
    private static function db()
    {
        $wpdb = $GLOBALS['wpdb'] ?? null;
        return is_object($wpdb) ? $wpdb : null;
    }

    private static function cut(string $s, int $max): string
    {
        if (strlen($s) <= $max) {
            return $s;
        }
        // Do not leave half a UTF-8 character at the end.
        return function_exists('mb_strcut') ? mb_strcut($s, 0, $max, 'UTF-8') : substr($s, 0, $max);
    }

    private static function fail(string $message): void
    {
        if (self::$failureLogged) {
            return;
        }
        self::$failureLogged = true;
        error_log('sendcloud-gate: ' . $message);
    }
}
