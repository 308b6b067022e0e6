<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\Internal\Runtime;
use SendcloudGate\PolicyException;

/** A Gate whose engine call fails the way a PHP-level bug would (an \Error), for the engine_error path. */
final class FailingGate extends Gate
{
    protected function run(string $packed, bool $explain): array
    {
        throw new \TypeError('simulated failure inside the engine');
    }
}

/** Engine failures: bad compiled policies are refused at load; failures during a decision answer pass. */
final class EngineFailureTest extends TestCase
{
    const ENGINE_ERROR = ['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null,
        'method' => null];
    const SC = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0']];
    const SC_SERVER = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];

    /** @var string */
    private $log;
    /** @var string|false */
    private $oldLog;

    protected function setUp(): void
    {
        $this->log = (string) tempnam(sys_get_temp_dir(), 'scg-log');
        $this->oldLog = ini_set('error_log', $this->log);
        Runtime::$logged = false; // a new "PHP request"
    }

    protected function tearDown(): void
    {
        ini_set('error_log', (string) $this->oldLog);
        @unlink($this->log);
        Runtime::$logged = false;
    }

    private function logLines(): array
    {
        return array_values(array_filter(explode("\n", (string) file_get_contents($this->log))));
    }

    public static function corruptedPolicies(): iterable
    {
        $bytes = (string) file_get_contents(__DIR__ . '/../generated/default-policy.bin');
        yield 'empty' => [''];
        yield 'garbage' => ["not a policy at all"];
        yield 'JSON instead of bytes' => ['{"version": 1}'];
        yield 'truncated' => [substr($bytes, 0, (int) (strlen($bytes) / 2))];
        yield 'one byte short' => [substr($bytes, 0, -1)];
        yield 'trailing byte' => [$bytes . "\0"];
        yield 'header damaged' => ["\xff" . substr($bytes, 1)];
    }

    /** @dataProvider corruptedPolicies */
    #[DataProvider('corruptedPolicies')]
    public function testCorruptedCompiledPolicyIsRefusedAtLoad(string $bytes): void
    {
        try {
            Gate::fromCompiled($bytes);
        } catch (PolicyException $e) {
            $this->assertStringStartsWith('not a valid compiled policy', $e->getMessage());
            $this->assertSame([], $this->logLines());
            // The engine is unharmed.
            $this->assertSame('allow', Gate::default()->decideRequest(self::SC)['action']);
            return;
        }
        $this->fail('accepted corrupted compiled policy');
    }

    public function testFailureInsideTheEngineIsPassAndLoggedOnce(): void
    {
        $g = FailingGate::default();
        $this->assertSame(self::ENGINE_ERROR, $g->decide(self::SC_SERVER));
        $this->assertSame(self::ENGINE_ERROR, $g->decideRequest(self::SC));
        $e = $g->explain(self::SC);
        $this->assertSame(self::ENGINE_ERROR, array_slice($e, 0, 5, true));
        $this->assertSame(['engine error: TypeError: simulated failure inside the engine'], $e['trace']);
        $this->assertNull($e['provenance']);
        $lines = $this->logLines();
        $this->assertCount(1, $lines, 'logged once per request');
        $this->assertStringContainsString('sendcloud-gate: engine error', $lines[0]);
        $this->assertStringContainsString('simulated failure inside the engine', $lines[0]);
        $this->assertSame('TypeError: simulated failure inside the engine', Gate::lastEngineError());
    }

    public function testRealTrapIsPassAndTheNextCallRecovers(): void
    {
        $g = Gate::default();
        $custom = Gate::fromPolicyJson('{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]}');
        $this->assertSame('allow', $g->decideRequest(self::SC)['action']);
        // Shrink the translated module's memory under it: its next access is out of bounds and traps.
        Runtime::core()->mem = "\0";
        $this->assertSame(self::ENGINE_ERROR, $g->decideRequest(self::SC));
        $this->assertStringContainsString('out of bounds memory access', (string) Gate::lastEngineError());
        $this->assertStringContainsString('DecideCoreTrap', (string) Gate::lastEngineError());
        $this->assertCount(1, $this->logLines());
        // A fresh instance; both policies are loaded again as needed.
        $this->assertSame('allow', $g->decideRequest(self::SC)['action']);
        $this->assertSame('rule_match', $custom->decideRequest(['remote_addr' => '192.0.2.10', 'method' => 'GET'])['reason']);
    }

    public function testBrokenStackPointerTraps(): void
    {
        $g = Gate::default();
        $core = Runtime::core();
        foreach (array_keys(get_object_vars($core)) as $name) {
            if ($name !== 'mem' && is_int($core->$name)) {
                $core->$name = 0; // the shadow stack pointer: the next call's frame is out of bounds
            }
        }
        $this->assertSame(self::ENGINE_ERROR, $g->decide(self::SC_SERVER));
        $this->assertSame('allow', $g->decide(self::SC_SERVER)['action']);
    }

    public function testAMissingFunctionFileIsAnEngineErrorNotAFatalError(): void
    {
        // The decision module keeps its larger functions in files of their own (generated/DecideCore/), loaded on
        // first use: a deployment that lost them must not take the site down.
        $dir = __DIR__ . '/../generated/DecideCore';
        $this->assertDirectoryExists($dir);
        $g = Gate::default();
        $this->assertSame('allow', $g->decide(self::SC_SERVER)['action']);
        $loaded = new \ReflectionProperty(DecideCore::class, 'w2p_lazy');
        $loaded->setAccessible(true);
        $loaded->setValue(null, []); // as in a new PHP request
        rename($dir, $dir . '.away');
        try {
            $this->assertSame(self::ENGINE_ERROR, $g->decide(self::SC_SERVER));
            $this->assertStringContainsString('function file missing', (string) Gate::lastEngineError());
            $this->assertCount(1, $this->logLines());
        } finally {
            rename($dir . '.away', $dir);
        }
        $this->assertSame('allow', $g->decide(self::SC_SERVER)['action']);
    }

    public function testHugeRequestsWorkAndDoNotKeepTheMemory(): void
    {
        $g = Gate::default();
        $d = $g->decideRequest(['headers' => ['User-Agent' => 'Sendcloud/1.0.0', 'Cookie' => str_repeat('a', 12 << 20)]] + self::SC);
        $this->assertSame('allow', $d['action']);
        $this->assertLessThanOrEqual(Runtime::MAX_MEMORY, strlen(Runtime::core()->mem));
        $d = $g->decideRequest(['headers' => ['User-Agent' => 'Sendcloud/1.0.0' . str_repeat(' x', 100000)]] + self::SC);
        $this->assertSame(['pass', 'malformed_input'], [$d['action'], $d['reason']]);
        // Contract v2: more than 64 entries walked without finding the client (here: every one a trusted proxy) is
        // malformed; a longer header whose client is found within 64 entries from the right is fine.
        $trusted = Gate::fromPolicyJson((string) file_get_contents(Corpus::policyFile('trusted-xff')));
        $xff = implode(', ', array_fill(0, 65, '10.0.0.2'));
        $d = $trusted->decideRequest(['remote_addr' => '10.0.0.1', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0', 'X-Forwarded-For' => $xff]] + self::SC);
        $this->assertSame(['pass', 'malformed_input'], [$d['action'], $d['reason']]);
        $xff = implode(', ', array_fill(0, 2000, '203.0.113.9')) . ', 94.232.247.10';
        $d = $trusted->decideRequest(['remote_addr' => '10.0.0.1', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0', 'X-Forwarded-For' => $xff]] + self::SC);
        $this->assertSame(['allow', 'partner_match', '94.232.247.10'], [$d['action'], $d['reason'], $d['client_ip']]);
        $this->assertSame([], $this->logLines());
    }

    public function testPolicyExceptionNamesPathLineAndColumn(): void
    {
        $json = "{\n  \"rules\": [\n    {\"id\": \"a\", \"action\": \"allow\", \"ip\": [\"10.0.0.0/33\"]}\n  ]\n}";
        try {
            Gate::fromPolicyJson($json);
            $this->fail('accepted');
        } catch (PolicyException $e) {
            $this->assertSame('rules[0].ip[0]: "10.0.0.0/33" is not an IP range', $e->getMessage());
            $this->assertSame('rules[0].ip[0]', $e->getJsonPath());
            $this->assertSame(3, $e->getJsonLine());
            $this->assertGreaterThan(0, $e->getJsonColumn());
        }
        try {
            Gate::fromPolicyJson('{"version": 1,');
            $this->fail('accepted');
        } catch (PolicyException $e) {
            $this->assertSame('', $e->getJsonPath());
            $this->assertNotSame('', $e->getMessage());
        }
    }

    public function testCompiledBytesRoundTripAndMatchNative(): void
    {
        $file = Corpus::policyFile('spec-example');
        $g = Gate::fromPolicyJson((string) file_get_contents($file));
        $again = Gate::fromCompiled($g->toCompiled());
        $this->assertSame($g->toCompiled(), $again->toCompiled());
        $r = ['remote_addr' => '192.0.2.10', 'method' => 'GET'];
        $this->assertSame($g->decideRequest($r), $again->decideRequest($r));
        $cli = Corpus::cli();
        if ($cli === null) {
            $this->markTestIncomplete('native CLI unavailable');
        }
        $out = tempnam(sys_get_temp_dir(), 'scg-bin');
        exec(escapeshellarg($cli) . ' policy compile ' . escapeshellarg($file) . ' -o ' . escapeshellarg($out) . ' 2>/dev/null', $_, $rc);
        $this->assertSame(0, $rc);
        $this->assertSame(file_get_contents($out), $g->toCompiled(), 'the same bytes as the native compiler');
        unlink($out);
        $in = tempnam(sys_get_temp_dir(), 'scg-json');
        file_put_contents($in, '{}');
        exec(escapeshellarg($cli) . ' policy compile ' . escapeshellarg($in) . ' -o ' . escapeshellarg($out), $_, $rc);
        $this->assertSame(file_get_contents($out), Gate::default()->toCompiled(), 'default = native compile of {}');
        unlink($in);
        unlink($out);
    }
}
