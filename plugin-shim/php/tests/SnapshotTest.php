<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

use PHPUnit\Framework\TestCase;
use SendcloudGate\EngineException;
use SendcloudGate\Gate;
use SendcloudGate\Internal\Runtime;
use SendcloudGate\PolicyException;

/**
 * Gate::snapshot() / fromSnapshot() / fromSnapshotOrPass() / isCurrentSnapshot(): a gate started from a snapshot
 * decides every corpus request as the gate loaded from the same compiled policy does, after the snapshot has been
 * through serialize() and base64 (how a plugin stores it); a snapshot that is damaged, from another engine, of other
 * bytes or not a snapshot at all is never applied, and the compiled policy it carries (or the one given) is loaded
 * instead; the OrPass factory never throws.
 */
final class SnapshotTest extends TestCase
{
    protected function setUp(): void
    {
        Runtime::reset();
    }

    /** @return array<string,list<array<string,mixed>>> the corpus requests by policy, the default's left out */
    private static function casesByPolicy(): array
    {
        $by = [];
        foreach (Corpus::lines('cases.jsonl') as $case) {
            if ($case['policy'] !== 'default') {
                $by[$case['policy']][] = $case;
            }
        }
        return $by;
    }

    /** What a plugin does with a snapshot: a text option written on save and read on every request. */
    private static function stored(array $snapshot): array
    {
        $text = base64_encode(serialize($snapshot));
        return unserialize(base64_decode($text, true), ['allowed_classes' => false]);
    }

    public function testEveryCorpusPolicyDecidesTheSameFromItsSnapshot(): void
    {
        $policies = 0;
        $requests = 0;
        foreach (self::casesByPolicy() as $policy => $cases) {
            $compiled = Gate::fromPolicyJson((string) file_get_contents(Corpus::policyFile($policy)));
            $snapshot = self::stored($compiled->snapshot());
            $this->assertTrue(Gate::isCurrentSnapshot($snapshot), $policy);
            $this->assertSame($compiled->toCompiled(), $snapshot['bytes'], $policy);

            // A fresh process: the snapshot is what starts the instance.
            Runtime::reset();
            $fromSnapshot = Gate::fromSnapshot($snapshot);
            foreach ($cases as $case) {
                $this->assertSame($case['expect'], $fromSnapshot->decideRequest($case['request']), $policy . ' ' . $case['id']);
                $requests++;
            }
            $policies++;
        }
        $this->assertGreaterThan(10, $policies);
        $this->assertGreaterThan(100, $requests);
    }

    public function testASnapshotGateAndALoadedGateLiveSideBySide(): void
    {
        $request = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'path' => '/wp-json/wc/v3/orders',
            'headers' => ['user-agent' => 'Sendcloud/1.0.0']];
        $blocking = Gate::fromPolicyJson('{"rules":[{"id":"office","action":"deny","ip":["94.232.247.0/24"]}]}');
        $snapshot = $blocking->snapshot();
        Runtime::reset();
        $default = Gate::default();
        $this->assertSame('allow', $default->decideRequest($request)['action']);
        $fromSnapshot = Gate::fromSnapshot($snapshot);   // replaces the instance the default gate used
        $this->assertSame('deny', $fromSnapshot->decideRequest($request)['action']);
        $this->assertSame('allow', $default->decideRequest($request)['action'], 'the default gate loads its policy again');
        $this->assertSame('deny', $fromSnapshot->decideRequest($request)['action']);
    }

    /** @return iterable<string,array{0: callable(array): mixed}> */
    public static function spoiled(): iterable
    {
        yield 'another engine' => [static function (array $s) {
            $s['engine'] = str_repeat('0', 32);
            return $s;
        }];
        yield 'a patch byte changed' => [static function (array $s) {
            $p = $s['patches'][0][1];
            $s['patches'][0][1] = ($p[0] === 'x' ? 'y' : 'x') . substr($p, 1);
            return $s;
        }];
        yield 'a patch outside memory' => [static function (array $s) {
            $s['patches'][] = [$s['size'], 'x'];
            return $s;
        }];
        yield 'patches out of order' => [static function (array $s) {
            $s['patches'] = array_reverse($s['patches']);
            return $s;
        }];
        yield 'a global missing' => [static function (array $s) {
            array_pop($s['globals']);
            return $s;
        }];
        yield 'a global of another type' => [static function (array $s) {
            $s['globals'][array_key_first($s['globals'])] = '1';
            return $s;
        }];
        yield 'memory too large' => [static function (array $s) {
            $s['size'] = Runtime::MAX_MEMORY + 65536;
            return $s;
        }];
        yield 'the handle changed' => [static function (array $s) {
            $s['handle']++;
            return $s;
        }];
        yield 'no checksum' => [static function (array $s) {
            unset($s['check']);
            return $s;
        }];
    }

    /**
     * @dataProvider spoiled
     */
    #[\PHPUnit\Framework\Attributes\DataProvider('spoiled')]
    public function testASpoiledSnapshotIsNotAppliedAndItsBytesAreLoaded(callable $spoil): void
    {
        $policy = '{"rules":[{"id":"office","action":"deny","ip":["94.232.247.0/24"]}]}';
        $request = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'path' => '/', 'headers' => ['user-agent' => 'Sendcloud/1.0.0']];
        $snapshot = $spoil(Gate::fromPolicyJson($policy)->snapshot());
        $this->assertFalse(Gate::isCurrentSnapshot($snapshot));
        Runtime::reset();
        $this->assertSame('deny', Gate::fromSnapshot($snapshot)->decideRequest($request)['action']);
        Runtime::reset();
        $this->assertSame('deny', Gate::fromSnapshotOrPass($snapshot)->decideRequest($request)['action']);
    }

    public function testASnapshotOfOtherBytesThanTheOnesInForceIsIgnored(): void
    {
        $old = Gate::fromPolicyJson('{"rules":[{"id":"office","action":"deny","ip":["94.232.247.0/24"]}]}');
        $new = Gate::fromPolicyJson('{}');
        $request = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'path' => '/', 'headers' => ['user-agent' => 'Sendcloud/1.0.0']];
        Runtime::reset();
        $gate = Gate::fromSnapshotOrPass($old->snapshot(), $new->toCompiled());
        $this->assertSame($new->toCompiled(), $gate->toCompiled());
        $this->assertSame('allow', $gate->decideRequest($request)['action']);
    }

    public function testOrPassNeverThrows(): void
    {
        $request = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'path' => '/', 'headers' => ['user-agent' => 'Sendcloud/1.0.0']];
        // No snapshot, nothing in force: the default policy.
        $this->assertSame('allow', Gate::fromSnapshotOrPass(null)->decideRequest($request)['action']);
        $this->assertSame('allow', Gate::fromSnapshotOrPass('not an array')->decideRequest($request)['action']);
        // A snapshot that is not one and carries no compiled policy, or carries garbage: pass / engine_error.
        foreach ([['engine' => 'x'], ['bytes' => 'not a compiled policy'], ['bytes' => ['nested']]] as $bad) {
            $d = Gate::fromSnapshotOrPass($bad)->decideRequest($request);
            $this->assertSame(['pass', Gate::ENGINE_ERROR], [$d['action'], $d['reason']], json_encode($bad));
        }
    }

    public function testTheThrowingFactoryNamesWhatIsWrong(): void
    {
        try {
            Gate::fromSnapshot(['engine' => 'x']);
            $this->fail('no exception');
        } catch (PolicyException $e) {
            $this->assertStringContainsString('no compiled policy', $e->getMessage());
        }
        $this->expectException(PolicyException::class);
        Gate::fromSnapshot(['bytes' => 'not a compiled policy']);
    }

    public function testAGateThatCouldNotLoadHasNoSnapshot(): void
    {
        $failed = Gate::fromCompiledOrPass('not a compiled policy');
        $this->assertNotNull($failed->loadFailure());
        $this->expectException(EngineException::class);
        $failed->snapshot();
    }

    public function testTheBuildsDefaultSnapshotIsOneOfThisEngine(): void
    {
        $default = require Runtime::dir() . 'default-snapshot.php';
        $this->assertTrue(Gate::isCurrentSnapshot($default));
        $this->assertSame(Gate::default()->toCompiled(), $default['bytes']);
        $this->assertSame($default, Gate::default()->snapshot(), 'one snapshot writer: the build and snapshot() agree');
    }
}
