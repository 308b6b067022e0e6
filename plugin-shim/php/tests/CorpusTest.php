<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;
use SendcloudGate\PolicyException;

/**
 * The conformance corpus (tests/corpus/) through the PHP library: every decision equal to the expected one and to
 * the native CLI's (requests with the contract's `query` and `form` included: decideRequest() passes them); every
 * bad policy rejected, naming its path; every policy of warnings.jsonl (when the corpus has it) giving exactly its
 * warnings.
 */
final class CorpusTest extends TestCase
{
    /** @var array<string,Gate> */
    private static $gates = [];

    private static function gate(string $policy): Gate
    {
        if (!isset(self::$gates[$policy])) {
            self::$gates[$policy] = $policy === 'default'
                ? Gate::default()
                : Gate::fromPolicyJson((string) file_get_contents(Corpus::policyFile($policy)));
        }
        return self::$gates[$policy];
    }

    private static function decisionKeys(array $d): array
    {
        return [
            'action' => $d['action'] ?? 'MISSING',
            'reason' => $d['reason'] ?? 'MISSING',
            'rule' => $d['rule'] ?? null,
            'client_ip' => $d['client_ip'] ?? null,
            'method' => $d['method'] ?? null,
        ];
    }

    public static function cases(): iterable
    {
        foreach (Corpus::lines('cases.jsonl') as $case) {
            yield $case['id'] => [$case];
        }
    }

    /** @dataProvider cases */
    #[DataProvider('cases')]
    public function testCaseMatchesExpectationAndNative(array $case): void
    {
        $gate = self::gate($case['policy']);
        $d = $gate->decideRequest($case['request']);
        $why = $case['id'] . ': ' . json_encode($case['request']) . ' (' . ($case['note'] ?? '') . ')';
        $this->assertSame(array_keys($case['expect']), array_keys($d), $why);
        $this->assertSame($case['expect'], $d, $why);

        $native = Corpus::native('cases.jsonl');
        if ($native === []) {
            $this->markTestIncomplete('native CLI unavailable: compared with the expectation only');
        }
        $this->assertSame($native[$case['id']], $d, $why . ' (native)');

        // explain(): the same decision, with the native CLI's trace and provenance.
        $e = $gate->explain($case['request']);
        $this->assertSame($d, self::decisionKeys($e), $why . ' (explain)');
        $this->assertSame(Corpus::native('cases.jsonl', true)[$case['id']], $e, $why . ' (explain, native)');
    }

    public static function ambiguous(): iterable
    {
        foreach (Corpus::lines('ambiguous.jsonl') as $case) {
            yield $case['id'] => [$case];
        }
    }

    /**
     * The ambiguous cases are not acceptance tests of the contract, but PHP and native must still agree on them.
     *
     * @dataProvider ambiguous
     */
    #[DataProvider('ambiguous')]
    public function testAmbiguousCaseMatchesNative(array $case): void
    {
        $native = Corpus::native('ambiguous.jsonl');
        if ($native === []) {
            $this->markTestSkipped('native CLI unavailable');
        }
        $d = self::gate($case['policy'])->decideRequest($case['request']);
        $this->assertSame($native[$case['id']], $d, $case['id']);
    }

    public static function badPolicies(): iterable
    {
        foreach (Corpus::lines('bad-policies.jsonl', false) as $case) {
            // Decoded with objects as objects, so that `{}` and `[]` keep their meaning when re-encoded.
            yield $case->id => [[
                'id' => $case->id,
                'error_path' => $case->error_path,
                'policy' => is_string($case->policy)
                    ? $case->policy
                    : json_encode($case->policy, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION),
            ]];
        }
    }

    /** @dataProvider badPolicies */
    #[DataProvider('badPolicies')]
    public function testBadPolicyIsRejectedNamingItsPath(array $case): void
    {
        $text = $case['policy'];
        try {
            Gate::fromPolicyJson($text);
        } catch (PolicyException $e) {
            $this->assertNotSame('', $e->getMessage());
            if ($case['error_path'] !== null) {
                $this->assertStringContainsString($case['error_path'], $e->getMessage(), $case['id']);
                // The engine may name a deeper path (`partners[0].ip` for a missing `ip` of `partners[0]`).
                $this->assertStringStartsWith($case['error_path'], $e->getJsonPath(), $case['id']);
            }
            return;
        }
        $this->fail($case['id'] . ': accepted ' . $text);
    }

    public static function warningCases(): iterable
    {
        // The contract's two kinds of warning, whether or not the corpus has warnings.jsonl yet.
        yield 'contract: allow rule without ip' => [[
            'id' => 'contract: allow rule without ip',
            'policy' => '{"rules": [{"id": "api", "action": "allow", "user_agents": ["Acme/*"]}]}',
            'warnings' => ['rules[0]'],
        ]];
        yield 'contract: allow path prefix without /' => [[
            'id' => 'contract: allow path prefix without /',
            'policy' => '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"], "paths": ["/office"]}]}',
            'warnings' => ['rules[0].paths[0]'],
        ]];
        if (!is_file(REPO . '/tests/corpus/warnings.jsonl')) {
            return;
        }
        foreach (Corpus::lines('warnings.jsonl', false) as $case) {
            // `{"id", "policy": <JSON value>, "warnings": [paths in order]}`; objects stay objects when re-encoded.
            yield $case->id => [[
                'id' => $case->id,
                'policy' => is_string($case->policy)
                    ? $case->policy
                    : json_encode($case->policy, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION),
                'warnings' => $case->warnings,
            ]];
        }
    }

    /**
     * The policy compiles, and its Gate gives exactly these warning paths, in order (from the JSON, and from the
     * compiled bytes).
     *
     * @dataProvider warningCases
     */
    #[DataProvider('warningCases')]
    public function testPolicyGivesItsWarnings(array $case): void
    {
        $gate = Gate::fromPolicyJson($case['policy']);
        $this->assertSame($case['warnings'], array_column($gate->warnings(), 'path'), $case['id']);
        foreach ($gate->warnings() as $w) {
            $this->assertNotSame('', $w['message'], $case['id']);
        }
        $this->assertSame($gate->warnings(), Gate::fromCompiled($gate->toCompiled())->warnings(), $case['id']);
    }
}
