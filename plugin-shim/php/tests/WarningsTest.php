<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;
use SendcloudGate\PolicyException;

/** Policy warnings (contract v2): returned with a compiled policy, by Gate::warnings(). */
final class WarningsTest extends TestCase
{
    const NO_IP = '{"rules": [{"id": "shop-api", "action": "allow", "methods": ["GET"]}]}';
    const NO_SLASH = '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"], "paths": ["/wp-json/office"]}]}';

    public function testAllowRuleWithoutIpCondition(): void
    {
        $this->assertSame([[
            'path' => 'rules[0]',
            'message' => 'allow rule "shop-api" has no ip condition: anyone matching the rest of it gets through',
        ]], Gate::fromPolicyJson(self::NO_IP)->warnings());
    }

    public function testAllowPathPrefixNotEndingInSlash(): void
    {
        $w = Gate::fromPolicyJson(self::NO_SLASH)->warnings();
        $this->assertSame(['rules[0].paths[0]'], array_column($w, 'path'));
        $this->assertStringContainsString('"/wp-json/office/"', $w[0]['message']);
        $this->assertSame(['path', 'message'], array_keys($w[0]));
    }

    public function testSeveralWarningsInPolicyOrder(): void
    {
        $g = Gate::fromPolicyJson('{"rules": [
            {"id": "no-trace", "action": "deny", "methods": ["TRACE"], "paths": ["/x"]},
            {"id": "office", "action": "allow", "ip": ["192.0.2.10"], "paths": ["/a/", "/b", "/c/", "/d"]},
            {"id": "api", "action": "allow", "user_agents": ["Acme/*"], "paths": ["/api"]}
        ]}');
        $this->assertSame(['rules[1].paths[1]', 'rules[1].paths[3]', 'rules[2]', 'rules[2].paths[0]'],
            array_column($g->warnings(), 'path'));
    }

    public function testPoliciesWithoutWarnings(): void
    {
        $this->assertSame([], Gate::default()->warnings());
        $this->assertSame([], Gate::fromPolicyJson('{}')->warnings());
        $this->assertSame([], Gate::fromPolicyJson('{"rules": [{"id": "office", "action": "allow", '
            . '"ip": ["192.0.2.10"], "paths": ["/wp-json/office/"]}, {"id": "d", "action": "deny", '
            . '"paths": ["/wp-admin"]}]}')->warnings());
    }

    public function testCompiledBytesGiveTheSameWarnings(): void
    {
        foreach ([self::NO_IP, self::NO_SLASH] as $json) {
            $g = Gate::fromPolicyJson($json);
            // A Gate from the stored bytes, as a plugin's settings page would make it: the full module reads them.
            $this->assertSame($g->warnings(), Gate::fromCompiled($g->toCompiled())->warnings(), $json);
            // A second compilation of the same JSON (the compiler's cache) gives them too.
            $this->assertSame($g->warnings(), Gate::fromPolicyJson($json)->warnings(), $json);
        }
    }

    public function testAPolicyWithErrorsHasNoWarningsButAnException(): void
    {
        // An allow rule with no condition at all is an error in v2, not a warning.
        try {
            Gate::fromPolicyJson('{"rules": [{"id": "all", "action": "allow"}]}');
            $this->fail('accepted an allow rule with no condition');
        } catch (PolicyException $e) {
            $this->assertStringStartsWith('rules[0]', $e->getJsonPath());
        }
    }
}
