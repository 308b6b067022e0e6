<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\WordPress\Admin\Texts;

require_once __DIR__ . '/support/PluginTestCase.php';

/** The plain-language texts come from www/reasons.json, the tester page's file: every reason code has one. */
final class TextsTest extends PluginTestCase
{
    /** @return list<string> the reason codes of src/decision.rs (Reason::as_str) and the library's engine_error */
    private static function engineReasonCodes(): array
    {
        $src = (string) file_get_contents(dirname(__DIR__, 3) . '/src/decision.rs');
        preg_match_all('/Reason::\w+ => "([a-z_]+)"/', $src, $m);
        self::assertGreaterThanOrEqual(8, count(array_unique($m[1])));
        return array_merge(array_values(array_unique($m[1])), [Gate::ENGINE_ERROR]);
    }

    public function testTheFileIsTheTesterPagesFile(): void
    {
        self::assertSame(realpath(dirname(__DIR__, 3) . '/www/reasons.json'), realpath(Texts::file()));
    }

    public function testEveryReasonCodeTheEngineCanEmitHasATitleAndAText(): void
    {
        foreach (self::engineReasonCodes() as $code) {
            self::assertContains($code, Texts::reasonCodes(), $code);
            self::assertNotSame($code, Texts::reasonTitle($code), $code);
            $text = Texts::explain(['action' => 'pass', 'reason' => $code, 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'PATCH']);
            self::assertStringNotContainsString('{', $text, $code);
            self::assertStringNotContainsString('Reason code', $text, $code);
        }
        foreach (['allow', 'deny', 'pass'] as $a) {
            self::assertNotSame('', Texts::actionSummary($a));
            self::assertSame(strtoupper($a), Texts::actionLabel($a));
        }
    }

    public function testTextsEqualThoseOfTheTesterPage(): void
    {
        if (trim((string) shell_exec('command -v node')) === '') {
            self::markTestSkipped('node is not installed');
        }
        $decisions = [];
        foreach (self::engineReasonCodes() as $code) {
            foreach (['allow', 'deny', 'pass'] as $a) {
                $decisions[] = ['action' => $a, 'reason' => $code, 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'PUT'];
            }
            $decisions[] = ['action' => 'pass', 'reason' => $code, 'rule' => null, 'client_ip' => null, 'method' => null];
        }
        $decisions[] = ['action' => 'pass', 'reason' => 'not_a_code', 'rule' => null, 'client_ip' => null, 'method' => null];
        $file = tempnam(sys_get_temp_dir(), 'scg-texts') . '.mjs';
        file_put_contents($file, 'import { explainReason } from ' . json_encode('file://' . realpath(dirname(__DIR__, 3) . '/www/reasons.mjs')) . ";\n"
            . 'console.log(JSON.stringify(' . json_encode($decisions) . '.map(explainReason)));');
        try {
            $out = shell_exec('node ' . escapeshellarg($file) . ' 2>/dev/null');
        } finally {
            @unlink($file);
        }
        self::assertSame(json_decode((string) $out, true), array_map([Texts::class, 'explain'], $decisions));
    }
}
