<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

use SendcloudGate\WordPress\Settings;

/**
 * NinjaFirewall (WP Edition), plugin slug `ninjafirewall`.
 *
 * Checked against NinjaFirewall 4.9.1 (WordPressBugBounty/plugins-ninjafirewall, lib/firewall.php and readme.txt,
 * commit 9f83ff3): the firewall runs before WordPress and, first of all, includes the optional configuration file
 * `.htninja` from `$_SERVER['DOCUMENT_ROOT']` or, failing that, its parent directory
 * (`@include_once`); when that file returns `'ALLOW'` it defines NFW_UWL and stops filtering the request
 * (`nfw_quit()`), when it returns `'BLOCK'` it sends 403.
 *
 * A plugin cannot reach that firewall with a hook, so the gate writes — only when the merchant asks for it on the
 * settings page, or shows for copying — a block between marker comments in `.htninja` that asks the gate
 * (src/Adapters/htninja-answer.php, plain PHP: WordPress is not loaded yet) and returns `'ALLOW'` when the library's
 * decision is `allow` in mode `on`, and nothing otherwise (the rest of the file, if any, still runs). The block
 * carries the mode and the compiled policy, and is rewritten when they change; it is removed on request and on
 * uninstall (the file too, when nothing else is left in it).
 */
final class NinjaFirewall extends Base
{
    public const FILE = '.htninja';
    public const BEGIN = '/* BEGIN Sendcloud Gate:';
    public const END = '/* END Sendcloud Gate */';
    /** Where the block was written (the absolute path of the .htninja file), for refresh and uninstall. */
    public const PATH_OPTION = 'sendcloud_gate_htninja_path';

    protected function basenames(): array
    {
        return ['ninjafirewall/ninjafirewall.php', 'nfwplus/nfwplus.php'];
    }

    public function detect(): bool
    {
        return defined('NFW_STATUS') || parent::detect();
    }

    public function name(): string
    {
        return 'NinjaFirewall';
    }

    public function whatItDoes(): string
    {
        return self::t('NinjaFirewall checks requests before WordPress starts. With your permission, the gate adds a few lines to NinjaFirewall\'s .htninja file that let a request the gate allows past NinjaFirewall (or shows them for you to copy). Nothing is written unless you ask.');
    }

    public function apply(array $decision): void
    {
        // Nothing here: the .htninja block acts before WordPress loads.
    }

    /**
     * The .htninja file NinjaFirewall would read for the document root $docRoot (default: this request's): the one
     * in the document root, else an existing one in its parent, else the document root's (to be created).
     */
    public static function htninjaPath(?string $docRoot = null): string
    {
        $root = rtrim($docRoot ?? (string) ($_SERVER['DOCUMENT_ROOT'] ?? ''), '/');
        $here = $root . '/' . self::FILE;
        $parent = dirname($root) . '/' . self::FILE;
        if (!is_file($here) && is_file($parent)) {
            return $parent;
        }
        return $here;
    }

    /** The block between the markers, with the current mode and compiled policy (what is written, or copied). */
    public static function block(): string
    {
        $settings = Settings::load();
        $compiled = function_exists('get_option') ? get_option(Settings::COMPILED_OPTION, '') : '';
        $config = ['mode' => $settings['mode'], 'policy' => is_string($compiled) ? $compiled : ''];
        $answer = __DIR__ . '/htninja-answer.php';
        return self::BEGIN . " lets requests that the Sendcloud Gate plugin allows past NinjaFirewall.\n"
            . " * Written on request by Sendcloud Gate; rewritten when its settings change; removed on request or on uninstall. */\n"
            . '$sendcloud_gate_htninja = ' . var_export($config, true) . ";\n"
            . '$sendcloud_gate_answer = is_file(' . var_export($answer, true) . ') ? (include ' . var_export($answer, true) . ") : '';\n"
            . "unset(\$sendcloud_gate_htninja);\n"
            . "if (\$sendcloud_gate_answer === 'ALLOW') {\n"
            . "    unset(\$sendcloud_gate_answer);\n"
            . "    return 'ALLOW';\n"
            . "}\n"
            . "unset(\$sendcloud_gate_answer);\n"
            . self::END . "\n";
    }

    /** True when $path (default: the recorded or this request's .htninja) holds the gate's block. */
    public static function isInstalled(?string $path = null): bool
    {
        $path = $path ?? self::recordedPath() ?? self::htninjaPath();
        return is_file($path) && strpos((string) @file_get_contents($path), self::BEGIN) !== false;
    }

    /**
     * Writes the block into $path (default: this request's .htninja): replaces an earlier block, or inserts it right
     * after the opening `<?php` of an existing file, or creates the file. A file that does not start with `<?php` is
     * not touched (the merchant copies the block instead).
     *
     * @return array{ok: bool, path: string, message: string}
     */
    public static function install(?string $path = null): array
    {
        $path = $path ?? self::htninjaPath();
        $block = self::block();
        if (is_file($path)) {
            $text = (string) @file_get_contents($path);
            $stripped = self::strip($text);
            if (!preg_match('/^<\?php\b[^\n]*\n?/', $stripped, $m)) {
                return ['ok' => false, 'path' => $path, 'message' => self::t('The existing .htninja file does not start with <?php; add the lines yourself.')];
            }
            $new = $m[0] . (substr($m[0], -1) === "\n" ? '' : "\n") . $block . substr($stripped, strlen($m[0]));
        } else {
            $new = "<?php\n" . $block;
        }
        if (!\SendcloudGate\WordPress\AtomicFile::write($path, $new)) {
            return ['ok' => false, 'path' => $path, 'message' => self::t('The .htninja file could not be written; copy the lines instead.')];
        }
        if (function_exists('update_option')) {
            update_option(self::PATH_OPTION, $path);
        }
        return ['ok' => true, 'path' => $path, 'message' => ''];
    }

    /**
     * Removes the block from $path (default: where it was written); deletes the file when nothing but `<?php` is
     * left. True when the block is gone.
     */
    public static function remove(?string $path = null): bool
    {
        $path = $path ?? self::recordedPath() ?? self::htninjaPath();
        if (function_exists('delete_option')) {
            delete_option(self::PATH_OPTION);
        }
        if (!is_file($path)) {
            return true;
        }
        $text = (string) @file_get_contents($path);
        if (strpos($text, self::BEGIN) === false) {
            return true;
        }
        $rest = self::strip($text);
        if (trim($rest) === '<?php' || trim($rest) === '') {
            return @unlink($path);
        }
        return \SendcloudGate\WordPress\AtomicFile::write($path, $rest);
    }

    /** Rewrites the block where it was written, when it was (the settings changed). */
    public static function refresh(): void
    {
        $path = self::recordedPath();
        if ($path !== null && self::isInstalled($path)) {
            $r = self::install($path);
            if (!$r['ok']) {
                error_log('sendcloud-gate: the .htninja block could not be updated: ' . $r['message']);
            }
        }
    }

    private static function recordedPath(): ?string
    {
        $p = function_exists('get_option') ? get_option(self::PATH_OPTION, null) : null;
        return is_string($p) && $p !== '' ? $p : null;
    }

    private static function strip(string $text): string
    {
        $begin = strpos($text, self::BEGIN);
        if ($begin === false) {
            return $text;
        }
        $end = strpos($text, self::END, $begin);
        if ($end === false) {
            return $text;
        }
        $end += strlen(self::END);
        if (substr($text, $end, 1) === "\n") {
            $end++;
        }
        return substr($text, 0, $begin) . substr($text, $end);
    }
}
