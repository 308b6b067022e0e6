<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

use PHPUnit\Framework\TestCase;
use SendcloudGate\EngineException;
use SendcloudGate\Gate;

/** Gate::effectivePolicy(): the engine's `policy show`, decoded (presets expanded, provenance beside them). */
final class EffectivePolicyTest extends TestCase
{
    public function testDefaultPolicyShowsThePresetWithItsProvenance(): void
    {
        $p = Gate::default()->effectivePolicy();
        $this->assertSame(1, $p['version']);
        $this->assertSame('log', $p['impersonation']);
        $this->assertCount(1, $p['partners']);
        $sc = $p['partners'][0];
        $this->assertSame('sendcloud', $sc['id']);
        $this->assertSame('sendcloud', $sc['preset']);
        $this->assertNotEmpty($sc['ip']);
        $this->assertNotEmpty($sc['user_agents']);
        $this->assertContains('PATCH', $sc['methods']);
        $this->assertFalse($sc['provenance']['verified']);
        $this->assertMatchesRegularExpression('/^\d{4}-\d{2}-\d{2}$/', $sc['provenance']['reviewed']);
        $this->assertStringStartsWith('https://', $sc['provenance']['source']);
    }

    public function testAddedAddressesAndMethodsAreMergedIn(): void
    {
        $g = Gate::fromPolicyJson('{"partners": [{"preset": "sendcloud", "add_ip": ["198.51.100.0/24"], "add_methods": ["PUT"]}],
            "trusted_proxies": {"presets": ["cloudflare"], "header": "cf-connecting-ip"}}');
        $p = $g->effectivePolicy();
        $this->assertContains('198.51.100.0/24', $p['partners'][0]['ip']);
        $this->assertContains('PUT', $p['partners'][0]['methods']);
        $this->assertSame('cf-connecting-ip', $p['trusted_proxies']['header']);
        $this->assertNotEmpty($p['trusted_proxies']['ranges']);
        // From compiled bytes too (a fresh load into the full module).
        $this->assertSame($p, Gate::fromCompiled($g->toCompiled())->effectivePolicy());
    }

    public function testEqualToTheNativeCli(): void
    {
        // The suite's CLI (built if needed, or SCG_CLI: under .ci/php-versions.sh the host's build cannot run in
        // the older chroot, and a static one is given).
        $cli = Corpus::cli();
        if ($cli === null) {
            $this->markTestSkipped('no native CLI (cargo is not available and SCG_CLI is not set)');
        }
        $out = shell_exec(escapeshellarg($cli) . ' policy show');
        $this->assertIsString($out, "$cli policy show printed nothing");
        $this->assertSame(json_decode((string) $out, true), Gate::default()->effectivePolicy());
    }

    public function testAGateThatAnswersEngineErrorHasNoPolicyToShow(): void
    {
        $old = ini_set('error_log', '/dev/null');   // fromCompiledOrPass() logs the failure once
        try {
            $g = Gate::fromCompiledOrPass('not a policy');
        } finally {
            ini_set('error_log', (string) $old);
        }
        $this->expectException(EngineException::class);
        $g->effectivePolicy();
    }
}
