<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use PHPUnit\Framework\TestCase;

/** languages/sendcloud-gate.pot is what tools/make-pot.php makes of the current source; readme.txt's header. */
final class I18nTest extends TestCase
{
    public function testThePotFileIsCurrent(): void
    {
        $dir = dirname(__DIR__);
        $tmp = tempnam(sys_get_temp_dir(), 'scg-pot');
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($dir . '/tools/make-pot.php') . ' ' . escapeshellarg((string) $tmp) . ' 2>&1', $out, $rc);
        try {
            self::assertSame(0, $rc, implode("\n", $out));
            self::assertSame(
                file_get_contents($dir . '/languages/sendcloud-gate.pot'),
                file_get_contents((string) $tmp),
                'languages/sendcloud-gate.pot is stale: run php plugin-shim/wordpress/tools/make-pot.php'
            );
        } finally {
            @unlink((string) $tmp);
        }
        $pot = (string) file_get_contents($dir . '/languages/sendcloud-gate.pot');
        self::assertStringContainsString("msgid \"Test a request\"\n", $pot);
        self::assertStringContainsString("#. translators: 1: the peer address, 2: the client address\n", $pot);
        self::assertGreaterThan(80, substr_count($pot, "\nmsgid "));
        if (trim((string) shell_exec('command -v msgfmt')) !== '') {
            exec('msgfmt -o /dev/null ' . escapeshellarg($dir . '/languages/sendcloud-gate.pot') . ' 2>&1', $m, $rc);
            self::assertSame(0, $rc, implode("\n", $m));
        }
    }

    public function testEveryTranslatedStringOfTheAdminUsesTheTextDomain(): void
    {
        foreach (glob(dirname(__DIR__) . '/src/Admin/*.php') ?: [] as $file) {
            $src = (string) file_get_contents($file);
            preg_match_all('/\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*\'(?:[^\'\\\\]|\\\\.)*\'\s*(\)|,\s*\'([^\']*)\')/', $src, $m, PREG_SET_ORDER);
            foreach ($m as $call) {
                self::assertSame('sendcloud-gate', $call[2] ?? '', basename($file) . ': ' . $call[0]);
            }
        }
    }

    public function testReadmeTxtHeader(): void
    {
        $readme = (string) file_get_contents(dirname(__DIR__) . '/readme.txt');
        $main = (string) file_get_contents(dirname(__DIR__) . '/sendcloud-gate.php');
        self::assertMatchesRegularExpression('/^=== Sendcloud Gate ===\n/', $readme);
        preg_match('/^ \* Version: *(\S+)/m', $main, $v);
        self::assertStringContainsString("Stable tag: {$v[1]}\n", $readme);
        self::assertStringContainsString("Requires at least: 6.1\n", $readme);
        self::assertStringContainsString("Requires PHP: 7.4\n", $readme);
        // The short description: the first paragraph after the header, at most 150 characters.
        $parts = preg_split('/\n\n/', $readme);
        self::assertLessThanOrEqual(150, strlen(trim($parts[1])));
    }
}
