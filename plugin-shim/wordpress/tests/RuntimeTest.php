<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

final class RuntimeTest extends PluginTestCase
{
    private const IMPERSONATOR_IP = '203.0.113.7';

    /** @param array<string,mixed> $settings */
    private static function configure(array $settings): void
    {
        $r = Settings::save($settings);
        self::assertTrue($r['ok'], json_encode($r['error']) ?: '');
    }

    /**
     * @param array<string,string> $server
     * @param array<string,mixed> $post
     * @return array{0: ?array<string,mixed>, 1: RecordingResponder}
     */
    private static function request(array $server, array $post = []): array
    {
        $responder = new RecordingResponder();
        $runtime = new Runtime($server, $post, $responder);
        $runtime->enforce();
        return [$runtime->decision(), $responder];
    }

    /** @return iterable<string,array{0: string}> */
    public static function activeModes(): iterable
    {
        yield 'monitor' => ['monitor'];
        yield 'on' => ['on'];
    }

    /** @dataProvider activeModes */
    public function testSendcloudRequestIsAllowedAndNotBlocked(string $mode): void
    {
        self::configure(['mode' => $mode, 'impersonation' => 'block']);
        [$d, $resp] = self::request(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA));
        self::assertSame(['allow', 'partner_match', 'sendcloud'], [$d['action'], $d['reason'], $d['rule']]);
        self::assertSame([], $resp->blocked);
        self::assertSame([], $this->logLines());
    }

    public function testImpersonatorIsBlockedWith403InOnWithBlock(): void
    {
        self::configure(['mode' => 'on', 'impersonation' => 'block']);
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertSame(['deny', 'impersonation'], [$d['action'], $d['reason']]);
        self::assertSame([[403, Runtime::BLOCK_BODY]], $resp->blocked);
    }

    public function testImpersonatorIsNotBlockedInMonitor(): void
    {
        self::configure(['mode' => 'monitor', 'impersonation' => 'block']);
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertSame(['deny', 'impersonation'], [$d['action'], $d['reason']]);
        self::assertSame([], $resp->blocked);
    }

    public function testImpersonatorIsOnlyLoggedWithLog(): void
    {
        self::configure(['mode' => 'on', 'impersonation' => 'log']);
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertSame(['pass', 'impersonation'], [$d['action'], $d['reason']]);
        self::assertSame([], $resp->blocked);
    }

    public function testMethodOverrideInTheBodyIsJudged(): void
    {
        self::configure(['mode' => 'on', 'advanced_policy' => '{"rules": [{"id": "no-delete", "action": "deny", "methods": ["DELETE"]}]}']);
        [$d, $resp] = self::request(self::server('198.51.100.9', 'POST', 'curl/8'), ['_method' => 'DELETE']);
        self::assertSame(['deny', 'rule_match', 'no-delete'], [$d['action'], $d['reason'], $d['rule']]);
        self::assertCount(1, $resp->blocked);
    }

    public function testOffDecidesNothing(): void
    {
        self::configure(['mode' => 'off', 'impersonation' => 'block']);
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertNull($d);
        self::assertSame([], $resp->blocked);
    }

    public function testNothingStoredIsOff(): void
    {
        [$d, $resp] = self::request(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA));
        self::assertNull($d);
        self::assertSame([], $resp->blocked);
    }

    public function testModeWithoutCompiledBytesUsesTheDefaultPolicy(): void
    {
        update_option(Settings::OPTION, ['mode' => 'on']);
        [$d] = self::request(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA));
        self::assertSame('allow', $d['action']);
    }

    public function testDecisionIsMemoised(): void
    {
        self::configure(['mode' => 'monitor']);
        $runtime = new Runtime(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder());
        $first = $runtime->decision();
        update_option(Settings::OPTION, ['mode' => 'off']);
        self::assertSame($first, $runtime->decision());
    }

    public function testDatabaseFailureIsOffWithOneLogLine(): void
    {
        self::configure(['mode' => 'on', 'impersonation' => 'block']);
        WpTestStandIn::$optionFailure = new \RuntimeException('database down');
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertNull($d);
        self::assertSame([], $resp->blocked);
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString('sendcloud-gate: settings could not be read', $lines[0]);
        self::assertStringContainsString('database down', $lines[0]);
    }

    /**
     * The library logs an engine failure once per PHP process, so each corrupt-bytes case runs in its own process,
     * as a real request would.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     * @dataProvider corruptStored
     * @param mixed $stored
     */
    public function testCorruptStoredBytesArePassWithOneLogLine($stored): void
    {
        self::configure(['mode' => 'on', 'impersonation' => 'block']);
        update_option(Settings::COMPILED_OPTION, $stored);
        [$d, $resp] = self::request(self::server(self::IMPERSONATOR_IP, 'DELETE', self::SENDCLOUD_UA));
        self::assertSame(['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null, 'method' => null], $d);
        self::assertSame([], $resp->blocked);
        $lines = $this->logLines();
        self::assertCount(1, $lines, implode("\n", $lines));
        self::assertStringContainsString('not a valid compiled policy', $lines[0]);
    }

    /** @return iterable<string,array{0: mixed}> */
    public static function corruptStored(): iterable
    {
        yield 'damaged bytes' => [base64_encode('SCGP this is not a compiled policy')];
        yield 'not base64' => ['%%% not base64 %%%'];
        yield 'not a string' => [['an', 'array']];
    }

    /**
     * The early bootstrap, as the must-use loader runs it (own process: it defines a function and a constant).
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheFunctionAndFilterAnswerForTheCurrentRequest(): void
    {
        self::configure(['mode' => 'monitor']);
        $saved = $_SERVER;
        $_SERVER = self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA) + $_SERVER;
        try {
            require dirname(__DIR__) . '/bootstrap.php';
            self::assertTrue(function_exists('sendcloud_gate_decision'));
            $d = sendcloud_gate_decision();
            self::assertSame('allow', $d['action'] ?? null);
            self::assertSame($d, apply_filters('sendcloud_gate_decision', null));
        } finally {
            $_SERVER = $saved;
        }
    }
}
