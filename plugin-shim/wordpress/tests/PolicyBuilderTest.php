<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\PolicyException;
use SendcloudGate\WordPress\PolicyBuilder;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';

final class PolicyBuilderTest extends PluginTestCase
{
    /** @param array<string,mixed> $settings @return array<string,mixed> the built policy, also compiled by the engine */
    private static function built(array $settings): array
    {
        $json = PolicyBuilder::json($settings);
        Gate::fromPolicyJson($json);   // every built policy is one the engine accepts
        return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
    }

    public function testDefaultsAreThePresetWithImpersonationLogged(): void
    {
        self::assertSame(
            ['version' => 1, 'impersonation' => 'log', 'partners' => [['preset' => 'sendcloud']]],
            self::built([])
        );
    }

    public function testExtraAddressesAreAddIp(): void
    {
        $p = self::built(['extra_ips' => "198.51.100.0/24\n2001:db8::1, 198.51.100.0/24"]);
        self::assertSame([['preset' => 'sendcloud', 'add_ip' => ['198.51.100.0/24', '2001:db8::1']]], $p['partners']);
    }

    public function testExtraMethodsAreAddMethodsUpperCased(): void
    {
        $p = self::built(['extra_methods' => ['put', 'HEAD', 'PUT']]);
        self::assertSame([['preset' => 'sendcloud', 'add_methods' => ['PUT', 'HEAD']]], $p['partners']);
    }

    public function testCloudflareTrustsItsRangesWithCfConnectingIp(): void
    {
        $p = self::built(['proxy' => 'cloudflare']);
        self::assertSame(['presets' => ['cloudflare'], 'header' => 'cf-connecting-ip'], $p['trusted_proxies']);
    }

    public function testCustomProxyRangesAndHeader(): void
    {
        $p = self::built(['proxy' => 'custom', 'proxy_ranges' => ['10.0.0.0/8', '192.0.2.1'], 'proxy_header' => 'X-Real-IP']);
        self::assertSame(['ranges' => ['10.0.0.0/8', '192.0.2.1'], 'header' => 'x-real-ip'], $p['trusted_proxies']);
    }

    public function testUnknownProxyHeaderFallsBackToXForwardedFor(): void
    {
        $p = self::built(['proxy' => 'custom', 'proxy_ranges' => ['10.0.0.0/8'], 'proxy_header' => 'x-evil']);
        self::assertSame('x-forwarded-for', $p['trusted_proxies']['header']);
    }

    public function testNoProxyHasNoTrustedProxies(): void
    {
        self::assertArrayNotHasKey('trusted_proxies', self::built(['proxy' => 'none', 'proxy_ranges' => ['10.0.0.0/8']]));
    }

    public function testImpersonationBlockIsDeny(): void
    {
        self::assertSame('deny', self::built(['impersonation' => 'block'])['impersonation']);
        self::assertSame('log', self::built(['impersonation' => 'whatever'])['impersonation']);
    }

    public function testAdvancedRulesArePassedAsWritten(): void
    {
        $rules = '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"], "methods": ["GET"]},'
            . ' {"id": "no-trace", "action": "deny", "methods": ["TRACE"]}]}';
        $p = self::built(['advanced_policy' => $rules]);
        self::assertSame(json_decode($rules, true)['rules'], $p['rules']);
    }

    public function testAdvancedPolicyWithOtherKeysIsRefusedWithItsPath(): void
    {
        try {
            PolicyBuilder::json(['advanced_policy' => '{"rules": [], "trusted_proxies": {}}']);
            self::fail('no exception');
        } catch (PolicyException $e) {
            self::assertSame('trusted_proxies', $e->getJsonPath());
        }
    }

    public function testAdvancedPolicyThatIsNotJsonIsRefused(): void
    {
        $this->expectException(PolicyException::class);
        $this->expectExceptionMessage('advanced policy: not valid JSON');
        PolicyBuilder::json(['advanced_policy' => '{"rules": [']);
    }

    public function testNormaliseGivesDefaultsForGarbage(): void
    {
        $s = Settings::normalise(['mode' => 'ON', 'extra_ips' => 5, 'proxy' => ['x'], 'advanced_policy' => []]);
        self::assertSame(Settings::defaults(), $s);
    }
}
