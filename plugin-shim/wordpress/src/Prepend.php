<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The optional `auto_prepend_file` mode: the gate decides before WordPress loads, and before a security plugin that
 * runs from its own auto_prepend_file (Wordfence's firewall, NinjaFirewall's "Full WAF").
 *
 * What is written, only when the merchant switches it on (settings page) and only on a single site:
 *
 * - **The prepend file**, `wp-content/sendcloud-gate-prepend.php` (contents()): it carries the mode and the compiled
 *   policy (base64) as PHP values — so nothing needs the database — and includes the plugin's
 *   `src/prepend-run.php`, which loads the library and decides (Early); a `deny` in mode `on` ends the request with
 *   403 there. Then it includes the `auto_prepend_file` that was in force when the mode was switched on (chained,
 *   as Wordfence's wordfence-waf.php chains the one it found). It is rewritten whenever the settings or the compiled
 *   policy change (refresh(), on update_option), and lives outside the plugin's directory so that a plugin deleted
 *   without deactivation leaves a file that does nothing but chain (PHP refuses every request whose
 *   auto_prepend_file is missing).
 * - **The server's lines** between marker comments, appended at the end of the file so that they override an earlier
 *   auto_prepend_file in the same file: `.htaccess` (`php_value auto_prepend_file`, inside `<IfModule>` for mod_php
 *   and LiteSpeed, so that a server without them ignores the lines) when PHP runs as an Apache module or under
 *   LiteSpeed (`php_sapi_name()` `apache2handler`, `litespeed`), `.user.ini` (`auto_prepend_file = …`, INI comments
 *   `;`) under CGI / FastCGI / PHP-FPM (`cgi-fcgi`, `fpm-fcgi`, `cgi`). Elsewhere the mode is not offered. The file is
 *   in WordPress's home directory as the web server sees it (targetDir()).
 *
 * Switching off (disable(): settings page, deactivation, uninstall) removes the lines — the file is then what it was
 * before, byte for byte, or is deleted when the plugin created it — and the prepend file. Under `.user.ini`, which
 * PHP caches for `user_ini.cache_ttl` seconds (300 by default), the prepend file is instead reduced to the chaining
 * of the earlier auto_prepend_file, so that requests still using the cached setting keep being served; that stub is
 * deleted by the first admin page or daily event after twice the server's cache_ttl plus 5 seconds
 * (removeStaleStub(); the cache_ttl is the one of the request that switched the mode on, under the server's PHP).
 */
final class Prepend
{
    public const FILE = 'sendcloud-gate-prepend.php';
    public const OPTION = 'sendcloud_gate_prepend';
    /** The stub left under .user.ini after switching off, until PHP's INI cache has expired (removeStaleStub()). */
    public const STUB_OPTION = 'sendcloud_gate_prepend_stub';
    public const BEGIN = 'BEGIN Sendcloud Gate';
    public const END = 'END Sendcloud Gate';
    public const VERSION = 1;

    /** Where the lines go for the server API $sapi: `htaccess`, `user_ini`, or null (the mode is not offered). */
    public static function kindFor(string $sapi): ?string
    {
        if ($sapi === 'apache2handler' || $sapi === 'litespeed') {
            return 'htaccess';
        }
        if (in_array($sapi, ['cgi-fcgi', 'fpm-fcgi', 'cgi'], true) && (string) ini_get('user_ini.filename') !== '') {
            return 'user_ini';
        }
        return null;
    }

    /** The file the lines go into, in $dir, for $kind. */
    public static function targetFile(string $kind, string $dir): string
    {
        $name = $kind === 'user_ini' ? (string) ini_get('user_ini.filename') : '.htaccess';
        return rtrim($dir, '/') . '/' . ($name !== '' ? $name : '.user.ini');
    }

    /**
     * WordPress's home directory as the web server sees it: the part of this (wp-admin) request's SCRIPT_FILENAME
     * before `/wp-admin/` — not ABSPATH, which PHP gives with symbolic links resolved — less the path of WordPress
     * under the home URL when WordPress has its own directory (as get_home_path() does); ABSPATH without a wp-admin
     * script. Filter `sendcloud_gate_prepend_dir`.
     *
     * @param array<string,mixed> $server
     */
    public static function targetDir(array $server): string
    {
        $script = str_replace('\\', '/', is_string($server['SCRIPT_FILENAME'] ?? null) ? $server['SCRIPT_FILENAME'] : '');
        $pos = strrpos($script, '/wp-admin/');
        $dir = $pos !== false ? substr($script, 0, $pos) : rtrim(str_replace('\\', '/', defined('ABSPATH') ? (string) constant('ABSPATH') : ''), '/');
        if (function_exists('get_option')) {
            $home = rtrim(preg_replace('#^https?://#i', '', (string) get_option('home', '')) ?? '', '/');
            $site = rtrim(preg_replace('#^https?://#i', '', (string) get_option('siteurl', '')) ?? '', '/');
            if ($home !== '' && $site !== '' && strcasecmp($home, $site) !== 0 && stripos($site, $home . '/') === 0) {
                $rel = '/' . trim(substr($site, strlen($home)), '/');
                if ($rel !== '/' && strlen($dir) > strlen($rel) && substr($dir, -strlen($rel)) === $rel) {
                    $dir = substr($dir, 0, -strlen($rel));
                }
            }
        }
        if (function_exists('apply_filters')) {
            $dir = (string) apply_filters('sendcloud_gate_prepend_dir', $dir);
        }
        return $dir;
    }

    /** The prepend file's path (in WP_CONTENT_DIR). */
    public static function prependFile(): string
    {
        $content = defined('WP_CONTENT_DIR') ? (string) constant('WP_CONTENT_DIR') : rtrim((string) constant('ABSPATH'), '/') . '/wp-content';
        return rtrim($content, '/') . '/' . self::FILE;
    }

    /** The lines between the markers (markers included, newline-terminated) for $kind, pointing at $file. */
    public static function block(string $kind, string $file): string
    {
        if ($kind === 'user_ini') {
            return '; ' . self::BEGIN . "\n"
                . "; Runs Sendcloud Gate before WordPress. Written by the Sendcloud Gate plugin on request; removed when it is\n"
                . "; switched off on its settings page, on deactivation and on uninstall.\n"
                . 'auto_prepend_file = "' . $file . "\"\n"
                . '; ' . self::END . "\n";
        }
        $line = 'php_value auto_prepend_file "' . $file . "\"\n";
        return '# ' . self::BEGIN . "\n"
            . "# Runs Sendcloud Gate before WordPress (PHP's auto_prepend_file). Written by the Sendcloud Gate plugin on request;\n"
            . "# removed when it is switched off on its settings page, on deactivation and on uninstall.\n"
            . "<IfModule mod_php.c>\n" . $line . "</IfModule>\n"
            . "<IfModule mod_php7.c>\n" . $line . "</IfModule>\n"
            . "<IfModule LiteSpeed>\n" . $line . "</IfModule>\n"
            . '# ' . self::END . "\n";
    }

    /**
     * $text with the block appended (after a newline when $text does not end with one): [new text, newline added].
     *
     * @return array{0: string, 1: bool}
     */
    public static function insert(string $text, string $block): array
    {
        $newline = $text !== '' && substr($text, -1) !== "\n";
        return [$text . ($newline ? "\n" : '') . $block, $newline];
    }

    /** $text without the block (from the start of its BEGIN line through its END line), and the newline insert() added. */
    public static function strip(string $text, bool $newline = false): string
    {
        $begin = preg_match('/^[#;] ' . preg_quote(self::BEGIN, '/') . '$/m', $text, $m, PREG_OFFSET_CAPTURE) === 1 ? (int) $m[0][1] : -1;
        if ($begin < 0 || preg_match('/^[#;] ' . preg_quote(self::END, '/') . '$\n?/m', $text, $e, PREG_OFFSET_CAPTURE, $begin) !== 1) {
            return $text;
        }
        $end = (int) $e[0][1] + strlen($e[0][0]);
        $start = $begin;
        if ($newline && $start > 0 && $text[$start - 1] === "\n" && $end === strlen($text)) {
            $start--;
        }
        return substr($text, 0, $start) . substr($text, $end);
    }

    /**
     * The prepend file's text: the settings it carries ($config: mode, policy), the plugin's runner, the chained file.
     *
     * @param array{mode: string, policy: string, snapshot?: string, spool?: string}|null $config null: only the
     *        chaining (after switching off); spool: where decisions made before WordPress go (Log\Spool)
     */
    public static function contents(?array $config, string $runner, string $chained, string $target): string
    {
        $o = "<?php\n"
            . "/*\n"
            . " * Sendcloud Gate: PHP's auto_prepend_file (set in " . str_replace('*/', '* /', $target) . ", between the lines\n"
            . " * \"" . self::BEGIN . "\" and \"" . self::END . "\"). Written by the Sendcloud Gate plugin and rewritten when its\n"
            . " * settings change. Before deleting this file, remove those lines or switch the mode off on the plugin's page:\n"
            . " * PHP refuses every request while auto_prepend_file names a missing file.\n"
            . " * Prepend file version: " . self::VERSION . "\n"
            . " */\n"
            . "if (!defined('SENDCLOUD_GATE_PREPEND')) {\n"
            . "    define('SENDCLOUD_GATE_PREPEND', " . ($config === null ? 'false' : 'true') . ");\n";
        if ($config !== null) {
            $o .= '    $sendcloud_gate_prepend = ' . var_export(['mode' => $config['mode'], 'policy' => $config['policy'],
                'snapshot' => $config['snapshot'] ?? '', 'spool' => $config['spool'] ?? ''], true) . ";\n"
                . '    if (is_file(' . var_export($runner, true) . ")) {\n"
                . '        include ' . var_export($runner, true) . ";\n"
                . "    }\n"
                . "    unset(\$sendcloud_gate_prepend);\n";
        }
        if ($chained !== '') {
            $o .= "    // The auto_prepend_file in force before Sendcloud Gate's: it runs after the gate decided.\n"
                . '    if (is_file(' . var_export($chained, true) . ")) {\n"
                . '        include_once ' . var_export($chained, true) . ";\n"
                . "    }\n";
        }
        return $o . "}\n";
    }

    /**
     * Switches the mode on: writes the prepend file, then the lines (so that they never name a missing file).
     *
     * @param array<string,mixed>|null $server this request's $_SERVER (for targetDir())
     * @param string|null $sapi           the server API (default: this one's, PHP_SAPI)
     * @param string|null $dir            where the lines go (default: targetDir())
     * @param string|null $current        the auto_prepend_file in force (default: ini_get())
     * @return array{ok: bool, message: string, target: string}
     */
    public static function enable(?array $server = null, ?string $sapi = null, ?string $dir = null, ?string $current = null): array
    {
        if (function_exists('is_multisite') && is_multisite()) {
            return self::fail(self::t('The mode before WordPress is not available on a multisite network: each site has its own settings, the server has one auto_prepend_file.'));
        }
        $sapi = $sapi ?? PHP_SAPI;
        $kind = self::kindFor($sapi);
        if ($kind === null) {
            return self::fail(sprintf(self::t('This server runs PHP as “%s”, where the gate cannot set auto_prepend_file itself.'), $sapi));
        }
        $target = self::targetFile($kind, $dir ?? self::targetDir($server ?? $_SERVER));
        $file = self::prependFile();
        $state = self::stored();
        $chained = self::chainedFrom($current ?? (string) ini_get('auto_prepend_file'), $file, $state);

        if (!AtomicFile::write($file, self::contents(self::config(), __DIR__ . '/prepend-run.php', $chained, $target), 0644)) {
            return self::fail(sprintf(self::t('%s could not be written.'), $file));
        }
        $exists = is_file($target);
        $text = $exists ? @file_get_contents($target) : '';
        if ($text === false) {
            return self::fail(sprintf(self::t('%s could not be read.'), $target));
        }
        $wasOurs = $state !== null && $state['target'] === $target;
        $original = $wasOurs ? self::strip($text, (bool) $state['newline']) : self::strip($text);
        [$new, $newline] = self::insert($original, self::block($kind, $file));
        if (!AtomicFile::write($target, $new, 0644)) {
            if ($state === null) {
                @unlink($file);
            }
            return self::fail(sprintf(self::t('%s could not be written: add the lines yourself, or ask your host.'), $target));
        }
        if ($state !== null && $state['target'] !== $target) {
            self::removeLines($state);
        }
        update_option(self::OPTION, [
            'kind' => $kind, 'target' => $target, 'file' => $file, 'chained' => $chained, 'newline' => $newline,
            'created' => $wasOurs ? (bool) $state['created'] : !$exists,
            // How long PHP may keep using the lines after they are removed (.user.ini only): this server's setting.
            'cache_ttl' => $kind === 'user_ini' ? max((int) ini_get('user_ini.cache_ttl'), (int) ($state['cache_ttl'] ?? 0)) : 0,
        ]);
        delete_option(self::STUB_OPTION);   // the prepend file is the live one again
        return ['ok' => true, 'message' => '', 'target' => $target];
    }

    /**
     * Switches the mode off: the lines (the file as it was before, or deleted when the plugin created it), then the
     * prepend file (under .user.ini: reduced to the chaining, see the class). True when the lines are gone.
     */
    public static function disable(): bool
    {
        $state = self::stored();
        if ($state === null) {
            return true;
        }
        $ok = self::removeLines($state);
        if (!$ok) {
            error_log('sendcloud-gate: the auto_prepend_file lines could not be removed from ' . $state['target']);
            return false;
        }
        if ($state['kind'] === 'user_ini') {
            $stub = self::contents(null, '', $state['chained'], $state['target']);
            if (AtomicFile::write($state['file'], $stub, 0644)) {
                $ttl = max(0, (int) $state['cache_ttl']);
                update_option(self::STUB_OPTION, ['file' => $state['file'], 'sha1' => sha1($stub), 'until' => time() + 2 * $ttl + 5]);
            }
        } elseif (is_file($state['file'])) {
            @unlink($state['file']);
        }
        delete_option(self::OPTION);
        return true;
    }

    /**
     * Deletes the stub disable() left under .user.ini once PHP cannot be using the removed lines any more: PHP-FPM and
     * FastCGI keep a directory's .user.ini for user_ini.cache_ttl seconds from the request that read it, so after the
     * removal plus that time no request includes the file; twice that time plus 5 seconds is waited. Only the file
     * as the plugin wrote it is deleted (not one switched on again since, nor one changed by hand). Hooked to
     * admin_init and the daily event; one get_option() of an autoloaded option otherwise.
     *
     * @param mixed $now the time (tests); anything else, such as the '' WordPress passes to a hook without arguments, is
     *                   now
     */
    public static function removeStaleStub($now = null): void
    {
        $stub = function_exists('get_option') ? get_option(self::STUB_OPTION, null) : null;
        if (!is_array($stub)) {
            return;
        }
        if ((is_int($now) ? $now : time()) < (int) ($stub['until'] ?? 0)) {
            return;
        }
        $file = is_string($stub['file'] ?? null) ? $stub['file'] : '';
        $live = self::stored();
        if ($file !== '' && ($live === null || $live['file'] !== $file) && is_file($file)
            && @sha1_file($file) === ($stub['sha1'] ?? null)) {
            @unlink($file);
        }
        delete_option(self::STUB_OPTION);
    }

    /** Rewrites the prepend file with the settings in force, when the mode is on (update_option hooks). */
    public static function refresh(): void
    {
        $state = self::stored();
        if ($state === null) {
            return;
        }
        try {
            $text = self::contents(self::config(), __DIR__ . '/prepend-run.php', $state['chained'], $state['target']);
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: the prepend file could not be updated: ' . get_class($e) . ': ' . $e->getMessage());
            return;
        }
        if (!AtomicFile::write($state['file'], $text, 0644)) {
            error_log('sendcloud-gate: the prepend file could not be updated: ' . $state['file'] . ' is not writable');
        }
    }

    /**
     * The mode's state for the settings page.
     *
     * @return array{enabled: bool, in_force: bool, kind: ?string, target: string, chained: string, available: ?string}
     *               available: the kind this server would use (null: not offered)
     */
    public static function state(?array $server = null): array
    {
        $state = self::stored();
        $kind = self::kindFor(PHP_SAPI);
        return [
            'enabled' => $state !== null,
            'in_force' => defined('SENDCLOUD_GATE_PREPEND') && constant('SENDCLOUD_GATE_PREPEND') === true,
            'kind' => $state['kind'] ?? $kind,
            'target' => $state['target'] ?? ($kind !== null ? self::targetFile($kind, self::targetDir($server ?? $_SERVER)) : ''),
            'chained' => $state['chained'] ?? self::chainedFrom((string) ini_get('auto_prepend_file'), self::prependFile(), null),
            'available' => (function_exists('is_multisite') && is_multisite()) ? null : $kind,
        ];
    }

    /** @param array<string,mixed> $state */
    private static function removeLines(array $state): bool
    {
        $target = (string) $state['target'];
        if (!is_file($target)) {
            return true;
        }
        $text = @file_get_contents($target);
        if ($text === false) {
            return false;
        }
        $rest = self::strip($text, (bool) $state['newline']);
        if ($rest === $text) {
            return true;
        }
        if ($rest === '' && !empty($state['created'])) {
            return @unlink($target);
        }
        return AtomicFile::write($target, $rest, 0644);
    }

    /**
     * The file to chain: the auto_prepend_file in force ($current), unless it is the gate's own (then the one recorded
     * when the mode was switched on), resolved through the include path when relative.
     *
     * @param array<string,mixed>|null $state
     */
    private static function chainedFrom(string $current, string $ours, ?array $state): string
    {
        if ($current === '' || $current === 'none') {
            return '';
        }
        $resolved = $current;
        if ($current[0] !== '/' && !preg_match('#^[A-Za-z]:[\\\\/]#', $current)) {
            $resolved = stream_resolve_include_path($current) ?: $current;
        }
        if ($resolved === $ours || realpath($resolved) === realpath($ours)) {
            return is_string($state['chained'] ?? null) ? $state['chained'] : '';
        }
        return $resolved;
    }

    /** @return array{mode: string, policy: string, snapshot: string, spool: string} */
    private static function config(): array
    {
        $compiled = function_exists('get_option') ? get_option(Settings::COMPILED_OPTION, '') : '';
        $snapshot = function_exists('get_option') ? get_option(Settings::SNAPSHOT_OPTION, '') : '';
        return ['mode' => (string) Settings::load()['mode'], 'policy' => is_string($compiled) ? $compiled : '',
            'snapshot' => is_string($snapshot) ? $snapshot : '', 'spool' => Log\Hooks::spoolPath()];
    }

    /** @return array{kind: string, target: string, file: string, chained: string, newline: bool, created: bool, cache_ttl: int}|null */
    private static function stored(): ?array
    {
        $s = function_exists('get_option') ? get_option(self::OPTION, null) : null;
        if (!is_array($s) || !is_string($s['target'] ?? null) || !is_string($s['file'] ?? null)) {
            return null;
        }
        return [
            'kind' => ($s['kind'] ?? '') === 'user_ini' ? 'user_ini' : 'htaccess', 'target' => $s['target'], 'file' => $s['file'],
            'chained' => is_string($s['chained'] ?? null) ? $s['chained'] : '', 'newline' => (bool) ($s['newline'] ?? false),
            'created' => (bool) ($s['created'] ?? false),
            // Not recorded by older versions: PHP's default.
            'cache_ttl' => is_int($s['cache_ttl'] ?? null) ? $s['cache_ttl'] : 300,
        ];
    }

    /** @return array{ok: bool, message: string, target: string} */
    private static function fail(string $message): array
    {
        return ['ok' => false, 'message' => $message, 'target' => ''];
    }

    private static function t(string $text): string
    {
        return function_exists('__') ? __($text, 'sendcloud-gate') : $text;
    }
}
