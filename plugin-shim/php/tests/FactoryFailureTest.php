<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;
use SendcloudGate\Internal\Runtime;

/**
 * The factories when the generated files are damaged or missing: nothing but a Gate, a PolicyException or an
 * EngineException comes out of a throwing factory, and the OrPass factories always give a Gate, which answers
 * `pass` / `engine_error` when it could not load. Each case runs in a child process (tests/support/factory-child.php)
 * pointed at a damaged copy of generated/ with SENDCLOUD_GATE_GENERATED_DIR: a PHP class, once loaded, stays loaded,
 * and a fatal error must be seen, not survived.
 */
final class FactoryFailureTest extends TestCase
{
    const ALLOW = ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud',
        'client_ip' => '94.232.247.10', 'method' => 'GET'];
    const ENGINE_ERROR = ['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null,
        'method' => null];
    const FACTORIES = ['default', 'fromCompiled', 'fromPolicyJson', 'defaultOrPass', 'fromCompiledOrPass'];
    /** Each OrPass factory and the throwing factory it stands for. */
    const OR_PASS = ['defaultOrPass' => 'default', 'fromCompiledOrPass' => 'fromCompiled'];

    /** @var string */
    private static $policyFile = '';
    /** @var list<string> */
    private $cleanup = [];

    private static function generated(): string
    {
        return (string) realpath(__DIR__ . '/../generated');
    }

    /** A compiled custom policy for fromCompiled(), made by the intact library. */
    private static function policyFile(): string
    {
        if (self::$policyFile === '' || !is_file(self::$policyFile)) {
            self::$policyFile = (string) tempnam(sys_get_temp_dir(), 'scg-policy');
            file_put_contents(self::$policyFile, Gate::fromPolicyJson(
                '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]}'
            )->toCompiled());
        }
        return self::$policyFile;
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$policyFile !== '') {
            @unlink(self::$policyFile);
        }
    }

    /** @var string */
    private $log = '';
    /** @var string|false */
    private $oldLog = false;

    protected function setUp(): void
    {
        $this->cleanup = [];
        $this->log = (string) tempnam(sys_get_temp_dir(), 'scg-log');
        $this->oldLog = ini_set('error_log', $this->log);
        Runtime::$logged = false; // a new "PHP request"
    }

    protected function tearDown(): void
    {
        foreach ($this->cleanup as $dir) {
            exec('rm -rf ' . escapeshellarg($dir));
        }
        ini_set('error_log', (string) $this->oldLog);
        @unlink($this->log);
        Runtime::$logged = false;
    }

    /** @return list<string> this test's error_log lines */
    private function logLines(): array
    {
        return array_values(array_filter(explode("\n", (string) file_get_contents($this->log))));
    }

    public static function badBytes(): iterable
    {
        $bytes = (string) file_get_contents(__DIR__ . '/../generated/default-policy.bin');
        yield 'empty' => ['', 'not a valid compiled policy'];
        yield 'garbage' => ['not a policy at all', 'not a valid compiled policy'];
        yield 'JSON instead of bytes' => ['{"version": 1}', 'not a valid compiled policy'];
        yield 'truncated' => [substr($bytes, 0, intdiv(strlen($bytes), 2)), 'not a valid compiled policy'];
        yield 'one byte short' => [substr($bytes, 0, -1), 'not a valid compiled policy'];
        yield 'trailing byte' => [$bytes . "\0", 'not a valid compiled policy'];
        yield 'one bit flipped' => [substr_replace($bytes, chr(ord($bytes[400]) ^ 4), 400, 1), 'not a valid compiled policy'];
        yield 'false (get_option() of nothing)' => [false, 'boolean given instead of a string'];
        yield 'an integer' => [42, 'integer given instead of a string'];
        yield 'an array' => [[$bytes], 'array given instead of a string'];
        yield 'an object' => [new \stdClass(), 'object given instead of a string'];
    }

    /**
     * fromCompiledOrPass() with bytes that are not a compiled policy: a Gate answering engine_error, logged once.
     *
     * @dataProvider badBytes
     * @param mixed $bytes
     */
    #[DataProvider('badBytes')]
    public function testFromCompiledOrPassWithBadBytesAnswersEngineError($bytes, string $why): void
    {
        $gate = Gate::fromCompiledOrPass($bytes);
        $this->assertStringStartsWith('SendcloudGate\PolicyException: not a valid compiled policy', (string) $gate->loadFailure());
        $this->assertStringContainsString($why, (string) $gate->loadFailure());
        $server = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        $request = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0']];
        $this->assertSame(self::ENGINE_ERROR, $gate->decide($server, ['_method' => 'GET']));
        $this->assertSame(self::ENGINE_ERROR, $gate->decideRequest($request));
        $e = $gate->explain($request);
        $this->assertSame(self::ENGINE_ERROR, array_slice($e, 0, 5, true));
        $this->assertStringContainsString($why, $e['trace'][0]);
        $this->assertNull($e['provenance']);
        $this->assertSame([], $gate->warnings());
        $this->assertSame(is_string($bytes) ? $bytes : '', $gate->toCompiled());
        $this->assertStringContainsString($why, (string) Gate::lastEngineError());
        $lines = $this->logLines();
        $this->assertCount(1, $lines, 'logged once');
        $this->assertStringContainsString('sendcloud-gate: engine error, the decision is pass (no opinion): '
            . 'SendcloudGate\PolicyException: not a valid compiled policy', $lines[0]);
        // The engine itself is unharmed.
        $this->assertSame(self::ALLOW, Gate::default()->decide($server));
    }

    public function testOrPassFactoriesWithAWorkingEngine(): void
    {
        $server = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        // null: nothing stored yet, the default policy.
        foreach ([Gate::defaultOrPass(), Gate::fromCompiledOrPass(null)] as $gate) {
            $this->assertNull($gate->loadFailure());
            $this->assertSame(Gate::default()->toCompiled(), $gate->toCompiled());
            $this->assertSame(self::ALLOW, $gate->decide($server));
            $this->assertSame([], $gate->warnings());
        }
        $custom = Gate::fromPolicyJson('{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"], '
            . '"paths": ["/office"]}]}');
        $gate = Gate::fromCompiledOrPass($custom->toCompiled());
        $this->assertNull($gate->loadFailure());
        $this->assertSame(['action' => 'allow', 'reason' => 'rule_match', 'rule' => 'office', 'client_ip' => '192.0.2.10',
            'method' => 'GET'], $gate->decide(['REMOTE_ADDR' => '192.0.2.10', 'REQUEST_METHOD' => 'GET',
                'REQUEST_URI' => '/office/x']));
        $this->assertSame(['rules[0].paths[0]'], array_column($gate->warnings(), 'path'));
        // Subclasses get their own class back when the engine works.
        $this->assertInstanceOf(RecordingGate::class, RecordingGate::defaultOrPass());
        $this->assertInstanceOf(RecordingGate::class, RecordingGate::fromCompiledOrPass($custom->toCompiled()));
        $this->assertSame([], $this->logLines());
    }

    private static function cut(string $file, ?int $length = null): void
    {
        $data = (string) file_get_contents($file);
        file_put_contents($file, substr($data, 0, $length ?? intdiv(strlen($data), 2)));
    }

    /** @return list<string> the lazily loaded function files of a module (DecideCore, CompileCore) */
    private static function functionFiles(string $dir, string $class = 'DecideCore'): array
    {
        return glob($dir . '/' . $class . '/*.php') ?: [];
    }

    /**
     * The damages, each with the factories that must throw EngineException ("throws") and those that must give a
     * working Gate ("works": decide() and decideRequest() allow a Sendcloud request). The others may do either.
     *
     * @return array<string,array{0: callable(string): string, 1: list<string>, 2: list<string>}>
     */
    public static function damages(): array
    {
        $all = ['default', 'fromCompiled', 'fromPolicyJson'];
        return [
            'intact copy' => [static function (string $d): string {
                return $d;
            }, [], $all],
            'generated/ missing' => [static function (string $d): string {
                return $d . '/nowhere';
            }, $all, []],
            'DecideCore.php missing' => [static function (string $d): string {
                unlink("$d/DecideCore.php");
                return $d;
            }, $all, []],
            'DecideCore.php empty' => [static function (string $d): string {
                self::cut("$d/DecideCore.php", 0);
                return $d;
            }, $all, []],
            'DecideCore.php cut in half' => [static function (string $d): string {
                self::cut("$d/DecideCore.php");
                return $d;
            }, $all, []],
            'DecideCore.php without its last brace' => [static function (string $d): string {
                self::cut("$d/DecideCore.php", strlen(rtrim((string) file_get_contents("$d/DecideCore.php"))) - 1);
                return $d;
            }, $all, []],
            'DecideCore.php cut after its first line' => [static function (string $d): string {
                $text = (string) file_get_contents("$d/DecideCore.php");
                self::cut("$d/DecideCore.php", (int) strpos($text, "\n", 6) + 1);
                return $d;
            }, $all, []],
            'CompileCore.php missing' => [static function (string $d): string {
                unlink("$d/CompileCore.php");
                return $d;
            }, ['fromPolicyJson'], ['default', 'fromCompiled']],
            'CompileCore.php cut in half' => [static function (string $d): string {
                self::cut("$d/CompileCore.php");
                return $d;
            }, ['fromPolicyJson'], ['default', 'fromCompiled']],
            // The compiler's functions load on first call (lazy mode): a missing or broken one fails the compile
            // with an EngineException, never the process; deciding does not need them.
            'CompileCore/ missing' => [static function (string $d): string {
                exec('rm -rf ' . escapeshellarg("$d/CompileCore"));
                return $d;
            }, ['fromPolicyJson'], ['default', 'fromCompiled']],
            'CompileCore/ function files cut in half' => [static function (string $d): string {
                foreach (self::functionFiles($d, 'CompileCore') as $f) {
                    self::cut($f);
                }
                return $d;
            }, ['fromPolicyJson'], ['default', 'fromCompiled']],
            'CompileCore/ function files empty' => [static function (string $d): string {
                foreach (self::functionFiles($d, 'CompileCore') as $f) {
                    self::cut($f, 0);
                }
                return $d;
            }, ['fromPolicyJson'], ['default', 'fromCompiled']],
            'default-snapshot.php missing' => [static function (string $d): string {
                unlink("$d/default-snapshot.php");
                return $d;
            }, [], $all],
            'default-snapshot.php empty' => [static function (string $d): string {
                self::cut("$d/default-snapshot.php", 0);
                return $d;
            }, [], $all],
            'default-snapshot.php cut in half' => [static function (string $d): string {
                self::cut("$d/default-snapshot.php");
                return $d;
            }, $all, []],
            'default-policy.bin missing' => [static function (string $d): string {
                unlink("$d/default-policy.bin");
                return $d;
            }, [], $all],
            'default-policy.bin and default-snapshot.php missing' => [static function (string $d): string {
                unlink("$d/default-policy.bin");
                unlink("$d/default-snapshot.php");
                return $d;
            }, ['default'], ['fromCompiled', 'fromPolicyJson']],
            'default-policy.bin cut in half, default-snapshot.php missing' => [static function (string $d): string {
                self::cut("$d/default-policy.bin");
                unlink("$d/default-snapshot.php");
                return $d;
            }, ['default'], ['fromCompiled', 'fromPolicyJson']],
            'DecideCore/ missing' => [static function (string $d): string {
                exec('rm -rf ' . escapeshellarg("$d/DecideCore"));
                return $d;
            }, [], []],
            'DecideCore/ function files cut in half' => [static function (string $d): string {
                foreach (self::functionFiles($d) as $f) {
                    self::cut($f);
                }
                return $d;
            }, [], []],
            'DecideCore/ function files empty' => [static function (string $d): string {
                foreach (self::functionFiles($d) as $f) {
                    self::cut($f, 0);
                }
                return $d;
            }, [], []],
        ];
    }

    public static function damageCases(): iterable
    {
        foreach (array_keys(self::damages()) as $name) {
            yield $name => [$name];
        }
    }

    /**
     * Runs one factory in a child process against $dir.
     *
     * @return array{0: array<string,mixed>, 1: list<string>} the child's answer and its error_log lines
     */
    private function child(string $dir, string $factory): array
    {
        $log = (string) tempnam(sys_get_temp_dir(), 'scg-log');
        $cmd = [PHP_BINARY, '-d', 'error_reporting=-1', '-d', 'display_errors=stderr', '-d', 'log_errors=0',
            '-d', 'error_log=' . $log, '-d', 'memory_limit=512M', __DIR__ . '/support/factory-child.php', $dir, $factory];
        if ($factory === 'fromCompiled' || $factory === 'fromCompiledOrPass') {
            $cmd[] = self::policyFile();
        }
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $this->assertIsResource($p);
        $stdout = (string) stream_get_contents($pipes[1]);
        $stderr = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $rc = proc_close($p);
        $lines = array_values(array_filter(explode("\n", (string) file_get_contents($log))));
        unlink($log);
        $what = "$factory: exit $rc, stdout: $stdout, stderr: $stderr";
        $this->assertSame('', $stderr, "nothing on standard error (no PHP error, warning or notice): $what");
        $this->assertSame(0, $rc, $what);
        $out = json_decode($stdout, true);
        $this->assertIsArray($out, $what);
        return [$out, $lines];
    }

    /**
     * @dataProvider damageCases
     */
    #[DataProvider('damageCases')]
    public function testFactoriesWithDamagedGeneratedFiles(string $name): void
    {
        [$damage, $throws, $works] = self::damages()[$name];
        $copy = sys_get_temp_dir() . '/scg-generated-' . getmypid() . '-' . md5($name);
        $this->cleanup[] = $copy;
        exec('rm -rf ' . escapeshellarg($copy) . ' && cp -r ' . escapeshellarg(self::generated()) . ' ' . escapeshellarg($copy), $_, $rc);
        $this->assertSame(0, $rc);
        $dir = $damage($copy);

        $results = [];
        foreach (self::FACTORIES as $factory) {
            [$out, $log] = $this->child($dir, $factory);
            $results[$factory] = $out;
            $what = "$name, $factory: " . json_encode($out);
            if (isset(self::OR_PASS[$factory])) {
                $this->assertSame('gate', $out['outcome'], "an OrPass factory always gives a Gate: $what");
            } else {
                // A throwing factory: a Gate or an EngineException, never anything else (valid bytes and JSON:
                // never a PolicyException either).
                $this->assertContains($out['outcome'], ['gate', 'SendcloudGate\EngineException'], $what);
                $this->assertNull($out['load_failure'] ?? null, $what);
                if ($out['outcome'] !== 'gate') {
                    $this->assertStringStartsWith('sendcloud-gate: ', $out['message'], $what);
                }
            }
            if (in_array($factory, $throws, true)) {
                $this->assertSame('SendcloudGate\EngineException', $out['outcome'], $what);
            }
            if (in_array($factory, $works, true)) {
                $this->assertSame('gate', $out['outcome'], $what);
                $this->assertSame(self::ALLOW, $out['decisions']['decide'], $what);
                $this->assertSame(self::ALLOW, $out['decisions']['decideRequest'], $what);
            }
            if ($out['outcome'] === 'gate') {
                // Every answer is the decision or engine_error; warnings() a list or an EngineException.
                foreach ($out['decisions'] as $call => $d) {
                    $this->assertContains($d, [self::ALLOW, self::ENGINE_ERROR], "$what ($call)");
                }
                $this->assertContains($out['warnings'], ['list', 'SendcloudGate\EngineException'], $what);
                // A failure is logged, once.
                $failed = in_array(self::ENGINE_ERROR, $out['decisions'], true) || $out['load_failure'] !== null;
                $this->assertCount($failed ? 1 : 0, $log, $what . ' log: ' . implode("\n", $log));
                if ($failed) {
                    $this->assertStringContainsString('sendcloud-gate: engine error, the decision is pass', $log[0]);
                }
            } else {
                $this->assertSame([], $log, "a throwing factory logs nothing: $what");
            }
        }
        // An OrPass factory is its throwing factory, with an EngineException turned into a Gate that says why and
        // answers engine_error.
        foreach (self::OR_PASS as $orPass => $factory) {
            $what = "$name, $orPass: " . json_encode($results[$orPass]) . ' vs ' . json_encode($results[$factory]);
            if ($results[$factory]['outcome'] === 'gate') {
                $this->assertNull($results[$orPass]['load_failure'], $what);
                $this->assertSame($results[$factory]['decisions'], $results[$orPass]['decisions'], $what);
            } else {
                $this->assertSame('SendcloudGate\EngineException: ' . $results[$factory]['message'],
                    $results[$orPass]['load_failure'], $what);
                $this->assertSame(array_fill_keys(['decide', 'decideRequest', 'explain'], self::ENGINE_ERROR),
                    $results[$orPass]['decisions'], $what);
                $this->assertSame('list', $results[$orPass]['warnings'], $what);
            }
        }
    }
}
