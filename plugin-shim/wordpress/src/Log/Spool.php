<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

/**
 * The decision log's spool: rows of decisions made where the database cannot be used — before WordPress (the
 * auto_prepend_file mode, Early: a `deny` there ends the request before WordPress loads), or on the request path
 * before $wpdb exists — appended as one JSON line each to a file the plugin owns, and imported into the log table on
 * the next WordPress load (plugins_loaded, when the file holds anything: Hooks::importSpool()) and by the daily
 * pruning event, then truncated.
 *
 * - **Where**: `wp-content/sendcloud-gate-spool/decisions.php` (Hooks::spoolPath()), a directory created with mode
 *   0700, with an `.htaccess` refusing every request (Apache 2.2 and 2.4) and an empty `index.php`. The file (mode
 *   0600) starts with `<?php exit; __halt_compiler();`: reached over the web through PHP it prints nothing, whatever
 *   the server does with `.htaccess`; what follows the header is never parsed as PHP.
 * - **What**: the row DecisionLog::row() makes (time, client IP, effective method, path without its query, User-Agent,
 *   action, reason, rule): no query string, no body, no other header.
 * - **Bounded**: a line is at most MAX_LINE bytes (the row's fields are cut to the table's columns first) and the file
 *   at most MAX_BYTES; a row that does not fit is dropped (the importer says so, in one error_log() line).
 * - **Concurrency**: writers and the importer hold an exclusive flock() on the file. The importer reads everything,
 *   truncates the file back to its header and releases the lock before it writes to the database, so a writer waits
 *   for a read and a truncation, never for a query; a writer waits at most about 50 ms for the lock, then drops its
 *   row. A file another importer holds is left for the next load.
 * - **Failures**: nothing here throws or prints; a failure to write is one error_log() line and the request goes on
 *   (or ends with its 403) as it would have; an import that skips corrupt lines, or whose INSERT fails, is one
 *   error_log() line too.
 */
final class Spool
{
    public const HEADER = Hooks::SPOOL_HEADER;
    /** The file's size bound, header included. */
    public const MAX_BYTES = 1048576;
    /** A line's bound (a row's fields are at most 703 bytes; JSON escaping can at most double some of them). */
    public const MAX_LINE = 4096;
    /** The row's keys, in the table's column order (DecisionLog::row()), and each column's width. */
    public const FIELDS = ['created_at' => 19, 'client_ip' => 45, 'method' => 16, 'path' => 255, 'user_agent' => 255,
        'action' => 8, 'reason' => 40, 'rule' => 64];

    private const HTACCESS = "# Written by the Sendcloud Gate plugin: nothing in this directory is served.\n"
        . "<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n"
        . "<IfModule !mod_authz_core.c>\nOrder deny,allow\nDeny from all\n</IfModule>\n";

    /** The spool file's path (wp-content/sendcloud-gate-spool/decisions.php). */
    public static function path(): string
    {
        return Hooks::spoolPath();
    }

    /**
     * Appends one row (DecisionLog::row()'s array) to the spool at $path. True when it was written; false when it was
     * not (one error_log() line, except when the file is full: the importer reports that).
     *
     * @param array<string,string> $row
     */
    public static function append(array $row, ?string $path = null): bool
    {
        $path = $path ?? self::path();
        try {
            $line = self::encode($row);
            if ($line === null) {
                return self::fail('a decision could not be spooled: the row is not one the log keeps');
            }
            if (!self::prepareDir(dirname($path)) || is_link($path)) {
                return self::fail('a decision could not be spooled: ' . dirname($path) . ' could not be created or is not ours');
            }
            $fp = @fopen($path, 'ab');
            if ($fp === false) {
                return self::fail('a decision could not be spooled: ' . $path . ' could not be opened');
            }
            try {
                if (!self::lock($fp, 50)) {
                    return self::fail('a decision could not be spooled: ' . $path . ' stayed locked');
                }
                $stat = fstat($fp);
                $size = is_array($stat) ? (int) $stat['size'] : 0;
                $text = $line . "\n";
                if ($size === 0) {
                    @chmod($path, 0600);
                    $text = self::HEADER . $text;
                }
                if ($size + strlen($text) > self::MAX_BYTES) {
                    return false;   // full: dropped; the importer reports it
                }
                $written = @fwrite($fp, $text);
                @fflush($fp);
                if ($written !== strlen($text)) {
                    return self::fail('a decision could not be spooled: ' . $path . ' could not be written');
                }
                return true;
            } finally {
                @flock($fp, LOCK_UN);
                @fclose($fp);
            }
        } catch (\Throwable $e) {
            return self::fail('a decision could not be spooled: ' . get_class($e) . ': ' . $e->getMessage());
        }
    }

    /**
     * Moves the spooled rows into the log table: reads and truncates the file under its lock, then one INSERT per
     * 50 rows. Lines that are not a row of the log are skipped. Returns how many rows were inserted (0 when there is
     * nothing, the file is busy or there is no database); at most one error_log() line.
     */
    public static function import(?string $path = null): int
    {
        $path = $path ?? self::path();
        try {
            if (!isset($GLOBALS['wpdb']) || !is_object($GLOBALS['wpdb']) || !is_file($path) || is_link($path)) {
                return 0;
            }
            $fp = @fopen($path, 'r+b');
            if ($fp === false) {
                self::fail('the decisions made before WordPress could not be read: ' . $path . ' could not be opened');
                return 0;
            }
            try {
                if (!self::lock($fp, 0)) {
                    return 0;   // another import (or a writer) has it: the next load takes it
                }
                $text = (string) stream_get_contents($fp, -1, 0);
                if (strlen($text) <= strlen(self::HEADER)) {
                    return 0;
                }
                if (!ftruncate($fp, 0) || !rewind($fp) || @fwrite($fp, self::HEADER) !== strlen(self::HEADER)) {
                    self::fail('the decisions made before WordPress could not be imported: ' . $path . ' could not be truncated');
                    return 0;
                }
                @fflush($fp);
            } finally {
                @flock($fp, LOCK_UN);
                @fclose($fp);
            }
            [$rows, $skipped] = self::parse($text);
            $problems = [];
            if ($skipped > 0) {
                $problems[] = $skipped . ' corrupt line(s) skipped';
            }
            if (strlen($text) > self::MAX_BYTES - self::MAX_LINE) {
                $problems[] = 'the spool had reached its bound of ' . self::MAX_BYTES . ' bytes, later decisions may be missing';
            }
            $inserted = 0;
            if ($rows !== []) {
                $error = DecisionLog::insertRows($rows);
                if ($error === null) {
                    $inserted = count($rows);
                } else {
                    $problems[] = count($rows) . ' row(s) could not be inserted: ' . $error;
                }
            }
            if ($problems !== []) {
                self::fail('decisions made before WordPress: ' . implode('; ', $problems));
            }
            return $inserted;
        } catch (\Throwable $e) {
            self::fail('the decisions made before WordPress could not be imported: ' . get_class($e) . ': ' . $e->getMessage());
            return 0;
        }
    }

    /**
     * The rows of a spool file's text, and how many lines were skipped (not a row the log keeps).
     *
     * @return array{0: list<array<string,string>>, 1: int}
     */
    public static function parse(string $text): array
    {
        if (strncmp($text, self::HEADER, strlen(self::HEADER)) === 0) {
            $text = (string) substr($text, strlen(self::HEADER));
        }
        $rows = [];
        $skipped = 0;
        foreach (explode("\n", $text) as $line) {
            if ($line === '') {
                continue;
            }
            $row = strlen($line) <= self::MAX_LINE ? self::validate(json_decode($line, true)) : null;
            if ($row === null) {
                $skipped++;
            } else {
                $rows[] = $row;
            }
        }
        return [$rows, $skipped];
    }

    /** Deletes the spool directory (the file, .htaccess, index.php): uninstall, deactivation. True when it is gone. */
    public static function remove(?string $path = null): bool
    {
        $path = $path ?? self::path();
        $dir = dirname($path);
        if (is_link($dir)) {
            return false;
        }
        foreach ([$path, $dir . '/.htaccess', $dir . '/index.php'] as $f) {
            if (is_file($f) || is_link($f)) {
                @unlink($f);
            }
        }
        return !is_dir($dir) || @rmdir($dir);
    }

    /** @param array<string,string> $row */
    private static function encode(array $row): ?string
    {
        $row = self::validate($row);
        if ($row === null) {
            return null;
        }
        $line = json_encode($row, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_IGNORE);
        return is_string($line) && strlen($line) <= self::MAX_LINE ? $line : null;
    }

    /**
     * $data when it is a row of the log: exactly FIELDS' keys, strings within the columns' widths, a UTC time and an
     * action of the engine's. Null otherwise.
     *
     * @param mixed $data
     * @return array<string,string>|null
     */
    private static function validate($data): ?array
    {
        if (!is_array($data) || count($data) !== count(self::FIELDS)) {
            return null;
        }
        $row = [];
        foreach (self::FIELDS as $key => $width) {
            $v = $data[$key] ?? null;
            if (!is_string($v) || strlen($v) > $width) {
                return null;
            }
            $row[$key] = $v;
        }
        if (preg_match('/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', $row['created_at']) !== 1
            || !in_array($row['action'], ['allow', 'deny', 'pass'], true)) {
            return null;
        }
        return $row;
    }

    /** Creates the directory (0700, with .htaccess and index.php) when it is missing. False when it cannot be used. */
    private static function prepareDir(string $dir): bool
    {
        if (is_link($dir)) {
            return false;
        }
        if (!is_dir($dir)) {
            if (!@mkdir($dir, 0700) && !is_dir($dir)) {
                return false;
            }
        }
        if (!is_file($dir . '/.htaccess')) {
            @file_put_contents($dir . '/.htaccess', self::HTACCESS, LOCK_EX);
        }
        if (!is_file($dir . '/index.php')) {
            @file_put_contents($dir . '/index.php', "<?php\n// Silence is golden.\n", LOCK_EX);
        }
        return true;
    }

    /**
     * An exclusive lock on $fp, trying for about $ms milliseconds (0: once).
     *
     * @param resource $fp
     */
    private static function lock($fp, int $ms): bool
    {
        for ($i = 0; ; $i++) {
            if (@flock($fp, LOCK_EX | LOCK_NB)) {
                return true;
            }
            if ($i >= $ms) {
                return false;
            }
            usleep(1000);
        }
    }

    /** One error_log() line; false, for `return self::fail(...)`. */
    private static function fail(string $message): bool
    {
        error_log('sendcloud-gate: ' . $message);
        return false;
    }
}
