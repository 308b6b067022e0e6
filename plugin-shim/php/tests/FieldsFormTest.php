<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\EngineException;
use SendcloudGate\Internal\Instance;
use SendcloudGate\Internal\Runtime;

/**
 * A stand-in for the translated decision module that answers scg_decide_fields with a table the test wrote: what the
 * library does with any table the engine could return, right or wrong, without depending on where the real module
 * keeps its names.
 */
final class TableCore
{
    /** @var string */
    public $mem;
    /** @var int */
    public $result = 0;

    public function __construct(string $mem)
    {
        $this->mem = $mem;
    }

    public function scg_abi_version(): int
    {
        return 2;
    }

    public function scg_alloc(int $len): int
    {
        return 4;
    }

    public function scg_free(int $ptr, int $len): void
    {
    }

    public function writeMemory(int $ptr, string $bytes): void
    {
    }

    public function readMemory(int $ptr, int $len): string
    {
        return substr($this->mem, $ptr, $len);
    }

    public function scg_decide_fields(int $handle, int $ptr, int $len): int
    {
        return $this->result;
    }

    public function scg_last_error(): int
    {
        return strpos($this->mem, '{') << 32 | strlen('{"message":"not a live policy handle"}');
    }
}

/** The fields form (docs/core-abi.md): five (pointer, length) pairs, read straight out of the module's memory. */
final class FieldsFormTest extends TestCase
{
    const NULL = 0xFFFFFFFF;
    const TABLE = 256;

    protected function tearDown(): void
    {
        Runtime::reset();
    }

    /** Memory with the values at known places and a table at TABLE; returns [memory, offsets of the values]. */
    private static function memory(): array
    {
        $mem = str_repeat("\0", 16) . '{"message":"not a live policy handle"}';
        $at = [];
        foreach (['allow', 'partner_match', 'sendcloud', '94.232.247.10', 'PATCH'] as $value) {
            $at[$value] = strlen($mem);
            $mem .= $value;
        }
        return [str_pad($mem, 512, "\0"), $at];
    }

    /** Runs Runtime::decide against a TableCore holding $table at TABLE; $result overrides the returned location. */
    private static function decide(array $table, ?int $result = null): array
    {
        [$mem, ] = self::memory();
        $core = new TableCore(substr_replace($mem, pack('V*', ...$table), self::TABLE, 4 * count($table)));
        $core->result = $result ?? (self::TABLE << 32 | 4 * count($table));
        $p = new \ReflectionProperty(Runtime::class, 'decision');
        $p->setAccessible(true);
        $p->setValue(null, new Instance($core, ['policy' => 1]));
        return Runtime::decide('policy', 'packed request');
    }

    private static function decisionInstance(): ?Instance
    {
        $p = new \ReflectionProperty(Runtime::class, 'decision');
        $p->setAccessible(true);
        return $p->getValue();
    }

    public function testValuesAreReadWhereTheTableSays(): void
    {
        [, $at] = self::memory();
        $table = [$at['allow'], 5, $at['partner_match'], 13, $at['sendcloud'], 9, $at['94.232.247.10'], 13,
            $at['PATCH'], 5];
        $this->assertSame(['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'PATCH'], self::decide($table));
        // null rule, client_ip and method; an empty value is not null.
        $table = [$at['allow'], 5, $at['sendcloud'], 0, 0, self::NULL, 0, self::NULL, 0, self::NULL];
        $this->assertSame(['action' => 'allow', 'reason' => '', 'rule' => null, 'client_ip' => null,
            'method' => null], self::decide($table));
        $this->assertNotNull(self::decisionInstance(), 'a good answer keeps the instance');
    }

    public static function badAnswers(): iterable
    {
        [, $at] = self::memory();
        $good = [$at['allow'], 5, $at['partner_match'], 13, $at['sendcloud'], 9, $at['94.232.247.10'], 13,
            $at['PATCH'], 5];
        $with = function (int $i, int $v) use ($good): array {
            $good[$i] = $v;
            return $good;
        };
        yield 'action null' => [$with(1, self::NULL), null, 'not a decision'];
        yield 'reason null' => [$with(3, self::NULL), null, 'not a decision'];
        yield 'rule runs one byte past the end' => [$with(5, 512 - $at['sendcloud'] + 1), null, 'not a decision'];
        yield 'method starts past the end' => [$with(8, 4096), null, 'not a decision'];
        yield 'length wraps' => [$with(6, 0xFFFFFFF0), null, 'not a decision'];
        yield 'table too short' => [array_slice($good, 0, 8), null, 'not a decision'];
        yield 'table past the end' => [$good, 500 << 32 | 40, 'not a decision'];
        yield 'no result' => [$good, 0, 'not a live policy handle'];
    }

    /** @dataProvider badAnswers */
    #[DataProvider('badAnswers')]
    public function testAnAnswerThatIsNotADecisionThrowsAndDropsTheInstance(array $table, ?int $result, string $message): void
    {
        try {
            self::decide($table, $result);
            $this->fail('accepted');
        } catch (EngineException $e) {
            $this->assertStringContainsString($message, $e->getMessage());
        }
        $this->assertNull(self::decisionInstance(), 'the instance that answered is dropped');
    }
}
