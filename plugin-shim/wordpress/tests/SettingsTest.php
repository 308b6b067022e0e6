<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';

final class SettingsTest extends PluginTestCase
{
    public function testSaveStoresSettingsAndCompiledBytes(): void
    {
        $r = Settings::save(['mode' => 'on', 'extra_ips' => '198.51.100.0/24']);
        self::assertTrue($r['ok']);
        self::assertNull($r['error']);
        self::assertSame('on', Settings::load()['mode']);
        $bytes = base64_decode((string) get_option(Settings::COMPILED_OPTION), true);
        self::assertIsString($bytes);
        $gate = Gate::fromCompiled($bytes);
        $d = $gate->decide(self::server('198.51.100.7', 'PATCH', self::SENDCLOUD_UA));
        self::assertSame(['allow', 'partner_match'], [$d['action'], $d['reason']]);
    }

    public function testBadPolicyIsRefusedWholeWithTheEnginesPathAndPreviousBytesStay(): void
    {
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        $before = get_option(Settings::COMPILED_OPTION);
        $settingsBefore = get_option(Settings::OPTION);

        $r = Settings::save(['mode' => 'on', 'extra_ips' => ['10.0.0.0/33']]);
        self::assertFalse($r['ok']);
        self::assertSame('partners[0].add_ip[0]', $r['error']['path']);
        self::assertStringContainsString('10.0.0.0/33', $r['error']['message']);
        self::assertSame($before, get_option(Settings::COMPILED_OPTION));
        self::assertSame($settingsBefore, get_option(Settings::OPTION));
    }

    public function testBadAdvancedRuleIsRefusedWithItsPath(): void
    {
        self::assertTrue(Settings::save([])['ok']);
        $before = get_option(Settings::COMPILED_OPTION);
        $r = Settings::save(['advanced_policy' => '{"rules": [{"id": "x", "action": "allow", "ip": ["10.0.0.0/33"]}]}']);
        self::assertFalse($r['ok']);
        self::assertSame('rules[0].ip[0]', $r['error']['path']);
        self::assertSame($before, get_option(Settings::COMPILED_OPTION));
    }

    public function testWarningsAreReturnedAndThePolicySaved(): void
    {
        $r = Settings::save(['advanced_policy' => '{"rules": [{"id": "reads", "action": "allow", "methods": ["GET"], "paths": ["/wp-json/wc/"]}]}']);
        self::assertTrue($r['ok']);
        self::assertSame('rules[0]', $r['warnings'][0]['path'] ?? null);
        self::assertNotFalse(get_option(Settings::COMPILED_OPTION));
    }

    public function testLoadWithoutAnythingStoredIsOff(): void
    {
        self::assertSame(Settings::defaults(), Settings::load());
        self::assertSame('off', Settings::load()['mode']);
    }
}
