<?php
// Writes languages/sendcloud-gate.pot from the plugin's PHP: every __(), _e(), esc_html__(), esc_html_e(),
// esc_attr__(), esc_attr_e() and _n() call whose text domain is 'sendcloud-gate' (with its /* translators: */ comment),
// and the plugin header's Plugin Name and Description. A small stand-in for `wp i18n make-pot`, which is not
// installed here. Deterministic (no creation date), so a test can check that the committed file is current.
//
//   php plugin-shim/wordpress/tools/make-pot.php [OUT]

declare(strict_types=1);

$root = dirname(__DIR__);
$out = $argv[1] ?? $root . '/languages/sendcloud-gate.pot';
const DOMAIN = 'sendcloud-gate';
const FUNCS = ['__' => 1, '_e' => 1, 'esc_html__' => 1, 'esc_html_e' => 1, 'esc_attr__' => 1, 'esc_attr_e' => 1, '_n' => 2];

$files = [$root . '/sendcloud-gate.php'];
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root . '/src', FilesystemIterator::SKIP_DOTS));
foreach ($it as $f) {
    if (substr((string) $f, -4) === '.php') {
        $files[] = (string) $f;
    }
}
sort($files);

/** @var array<string,array{refs: list<string>, plural: ?string, comments: list<string>}> $entries */
$entries = [];
$add = static function (string $msgid, ?string $plural, string $ref, ?string $comment) use (&$entries): void {
    $key = $msgid . "\0" . ($plural ?? '');
    $entries[$key] = $entries[$key] ?? ['msgid' => $msgid, 'refs' => [], 'plural' => $plural, 'comments' => []];
    if (!in_array($ref, $entries[$key]['refs'], true)) {
        $entries[$key]['refs'][] = $ref;
    }
    if ($comment !== null && !in_array($comment, $entries[$key]['comments'], true)) {
        $entries[$key]['comments'][] = $comment;
    }
};

$header = (string) file_get_contents($root . '/sendcloud-gate.php');
foreach (['Plugin Name', 'Description'] as $h) {
    if (preg_match('/^\s*\*\s*' . $h . ':\s*(.+)$/m', $header, $m)) {
        $add(trim($m[1]), null, 'sendcloud-gate.php', $h . ' of the plugin');
    }
}

foreach ($files as $file) {
    $rel = substr($file, strlen($root) + 1);
    $tokens = token_get_all((string) file_get_contents($file));
    $n = count($tokens);
    $lastComment = null;
    $lastCommentLine = -10;
    for ($i = 0; $i < $n; $i++) {
        $t = $tokens[$i];
        if (is_array($t) && $t[0] === T_COMMENT && stripos($t[1], 'translators:') !== false) {
            $lastComment = trim(preg_replace('#^/\*+|\*+/$|^//#', '', $t[1]) ?? '');
            $lastCommentLine = $t[2];
            continue;
        }
        // The adapters translate through their own helper, self::t('...'), whose domain is this plugin's.
        $viaT = is_array($t) && $t[0] === T_STRING && $t[1] === 't' && is_array($tokens[$i - 1] ?? null) && $tokens[$i - 1][0] === T_DOUBLE_COLON;
        if (!$viaT && (!is_array($t) || $t[0] !== T_STRING || !isset(FUNCS[$t[1]]))) {
            continue;
        }
        // The call's arguments: string literals separated by commas, up to the closing parenthesis.
        $j = $i + 1;
        while ($j < $n && is_array($tokens[$j]) && $tokens[$j][0] === T_WHITESPACE) {
            $j++;
        }
        if (($tokens[$j] ?? null) !== '(') {
            continue;
        }
        $args = [];
        $current = null;
        $depth = 0;
        for ($j++; $j < $n; $j++) {
            $u = $tokens[$j];
            if ($u === '(') {
                $depth++;
                $current = false;
            } elseif ($u === ')') {
                if ($depth-- === 0) {
                    $args[] = $current;
                    break;
                }
            } elseif ($u === ',' && $depth === 0) {
                $args[] = $current;
                $current = null;
            } elseif (is_array($u) && $u[0] === T_CONSTANT_ENCAPSED_STRING && $current === null) {
                $current = eval('return ' . $u[1] . ';');
            } elseif (is_array($u) && in_array($u[0], [T_WHITESPACE, T_COMMENT], true)) {
                if ($u[0] === T_COMMENT && stripos($u[1], 'translators:') !== false) {
                    $lastComment = trim(preg_replace('#^/\*+|\*+/$|^//#', '', $u[1]) ?? '');
                    $lastCommentLine = $u[2];
                }
            } else {
                $current = false;
            }
        }
        $plural = !$viaT && FUNCS[$t[1]] === 2;
        $domain = $viaT ? DOMAIN : ($args[$plural ? 3 : 1] ?? null);
        if ($domain !== DOMAIN || !is_string($args[0] ?? null) || ($plural && !is_string($args[1] ?? null))) {
            continue;
        }
        $comment = $t[2] - $lastCommentLine <= 3 ? $lastComment : null;
        if ($viaT && count($args) !== 1) {
            continue;
        }
        // References name the file only: a change elsewhere in it does not make the .pot stale.
        $add($args[0], $plural ? $args[1] : null, $rel, $comment);
    }
}

$q = static function (string $s): string {
    return '"' . addcslashes($s, "\"\\\n\t") . '"';
};
preg_match('/^\s*\*\s*Version:\s*(\S+)/m', $header, $vm);
$pot = "# Copyright (C) sendcloud-gate\n# This file is distributed under the same license as the Sendcloud Gate plugin.\n"
    . "# Generated by tools/make-pot.php from the plugin's PHP; do not edit by hand.\n"
    . "msgid \"\"\nmsgstr \"\"\n"
    . '"Project-Id-Version: Sendcloud Gate ' . ($vm[1] ?? '') . "\\n\"\n"
    . "\"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n\"\n\"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n\"\n"
    . "\"Language-Team: LANGUAGE <LL@li.org>\\n\"\n\"Language: \\n\"\n"
    . "\"MIME-Version: 1.0\\n\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Content-Transfer-Encoding: 8bit\\n\"\n"
    . "\"X-Domain: sendcloud-gate\\n\"\n";
foreach ($entries as $e) {
    $pot .= "\n";
    foreach ($e['comments'] as $c) {
        $pot .= '#. ' . $c . "\n";
    }
    $pot .= '#: ' . implode(' ', $e['refs']) . "\n";
    if (strpos($e['msgid'], '%') !== false) {
        $pot .= "#, php-format\n";
    }
    $pot .= 'msgid ' . $q($e['msgid']) . "\n";
    if ($e['plural'] !== null) {
        $pot .= 'msgid_plural ' . $q($e['plural']) . "\nmsgstr[0] \"\"\nmsgstr[1] \"\"\n";
    } else {
        $pot .= "msgstr \"\"\n";
    }
}
file_put_contents($out, $pot);
fwrite(STDERR, count($entries) . " strings -> $out\n");
