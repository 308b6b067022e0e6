<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;

/**
 * Method overrides under real PHP request parsing: PHP's built-in server (`php -S`, started and stopped here) runs
 * tests/support/e2e-front.php, which answers Gate::fromCompiledOrPass(...)->decide($_SERVER, $_POST) and what PHP
 * parsed. The requests are written byte for byte on a socket. The built-in server's peer is 127.0.0.1, so the policy
 * trusts loopback and each request says it comes from a Sendcloud address in X-Forwarded-For.
 */
final class EndToEndTest extends TestCase
{
    const POLICY = '{"trusted_proxies": {"presets": ["loopback"]}}';
    const SENDCLOUD = ['User-Agent' => 'Sendcloud/1.0.0', 'X-Forwarded-For' => '94.232.247.10'];
    const FORM = 'application/x-www-form-urlencoded';

    /** @var resource|null */
    private static $server;
    /** @var int */
    private static $port = 0;
    /** @var string */
    private static $policyFile = '';
    /** @var string */
    private static $serverLog = '';

    public static function setUpBeforeClass(): void
    {
        self::$policyFile = (string) tempnam(sys_get_temp_dir(), 'scg-e2e-policy');
        file_put_contents(self::$policyFile, Gate::fromPolicyJson(self::POLICY)->toCompiled());
        self::$serverLog = (string) tempnam(sys_get_temp_dir(), 'scg-e2e-log');
        // A free port: the system's choice for a socket closed right away.
        $probe = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($probe === false) {
            throw new \RuntimeException("no free port: $error");
        }
        self::$port = (int) substr((string) strrchr((string) stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $env = getenv();
        $env['SCG_E2E_POLICY'] = self::$policyFile;
        $proc = proc_open(
            [PHP_BINARY, '-d', 'error_reporting=-1', '-d', 'display_errors=stderr', '-S', '127.0.0.1:' . self::$port,
                __DIR__ . '/support/e2e-front.php'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', self::$serverLog, 'a'], 2 => ['file', self::$serverLog, 'a']],
            $pipes,
            __DIR__,
            $env
        );
        if (!is_resource($proc)) {
            throw new \RuntimeException('php -S did not start');
        }
        self::$server = $proc;
        for ($i = 0; $i < 100; $i++) {
            $s = @stream_socket_client('tcp://127.0.0.1:' . self::$port, $errno, $error, 1);
            if ($s !== false) {
                fclose($s);
                return;
            }
            usleep(50000);
        }
        throw new \RuntimeException('php -S did not listen on port ' . self::$port . ': ' . file_get_contents(self::$serverLog));
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$server !== null) {
            proc_terminate(self::$server);
            proc_close(self::$server);
            self::$server = null;
        }
        @unlink(self::$policyFile);
        @unlink(self::$serverLog);
    }

    /**
     * One request, written as it is (the target and the body are not encoded here), and the front controller's answer.
     *
     * @param array<string,string> $headers
     * @return array<string,mixed>
     */
    private function request(string $method, string $target, array $headers, string $body = ''): array
    {
        $s = stream_socket_client('tcp://127.0.0.1:' . self::$port, $errno, $error, 5);
        $this->assertNotFalse($s, "connect: $error");
        $head = "$method $target HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n";
        foreach ($headers as $name => $value) {
            $head .= "$name: $value\r\n";
        }
        if ($body !== '' || $method === 'POST') {
            $head .= 'Content-Length: ' . strlen($body) . "\r\n";
        }
        fwrite($s, "$head\r\n$body");
        stream_set_timeout($s, 10);
        $response = (string) stream_get_contents($s);
        fclose($s);
        [$responseHead, $responseBody] = array_pad(explode("\r\n\r\n", $response, 2), 2, '');
        $what = "$method $target: $response\nserver log: " . file_get_contents(self::$serverLog);
        $this->assertStringStartsWith('HTTP/1.1 200', $responseHead, $what);
        $answer = json_decode($responseBody, true);
        $this->assertIsArray($answer, $what);
        $this->assertArrayNotHasKey('php_error', $answer, $what);
        $this->assertNull($answer['load_failure'], $what);
        return $answer;
    }

    private static function decision(string $action, string $reason, ?string $method, string $client = '94.232.247.10'): array
    {
        return ['action' => $action, 'reason' => $reason, 'rule' => 'sendcloud', 'client_ip' => $client,
            'method' => $method];
    }

    public static function overrides(): iterable
    {
        $put = self::decision('pass', 'method_not_allowed', 'PUT');
        $form = ['Content-Type' => self::FORM];
        // name => [target, extra headers, body, the decision, what PHP parsed: ['get' => ..., 'post' => ...]]
        yield 'no override' => ['/wp-json/wc/v3/orders', [], '', self::decision('allow', 'partner_match', 'POST'),
            ['get' => [], 'post' => []]];
        yield '?_method=DELETE' => ['/x?_method=DELETE', [], '', self::decision('allow', 'partner_match', 'DELETE'),
            ['get' => ['_method' => 'DELETE']]];
        yield 'body _method=PUT' => ['/x', $form, '_method=PUT', $put, ['post' => ['_method' => 'PUT']]];
        yield 'body ps_method=PUT' => ['/x', $form, 'ps_method=PUT', $put, ['post' => ['ps_method' => 'PUT']]];
        yield 'body _method=delete' => ['/x', $form, '_method=delete', self::decision('allow', 'partner_match', 'DELETE'),
            ['post' => ['_method' => 'delete']]];
        yield '?_method%00=PUT' => ['/x?_method%00=PUT', [], '', $put, ['get' => ['_method' => 'PUT']]];
        yield '?ps[method=PUT' => ['/x?ps[method=PUT', [], '', $put, ['get' => ['ps_method' => 'PUT']]];
        yield '?_method[]=PUT' => ['/x?_method[]=PUT', [], '', $put, ['get' => ['_method' => ['PUT']]]];
        yield '?ps.method=PUT' => ['/x?ps.method=PUT', [], '', $put, ['get' => ['ps_method' => 'PUT']]];
        yield 'body _method%00=PUT' => ['/x', $form, '_method%00=PUT', $put, ['post' => ['_method' => 'PUT']]];
        yield 'body ps[method=PUT' => ['/x', $form, 'ps[method=PUT', $put, ['post' => ['ps_method' => 'PUT']]];
        yield 'body _method[]=PUT twice' => ['/x', $form, '_method[]=PUT&_method[]=PUT', $put,
            ['post' => ['_method' => ['PUT', 'PUT']]]];
        yield 'body _method[a][b]=PUT' => ['/x', $form, '_method[a][b]=PUT', $put,
            ['post' => ['_method' => ['a' => ['b' => 'PUT']]]]];
        $boundary = 'scg-boundary';
        yield 'multipart body _method=PUT' => ['/x', ['Content-Type' => "multipart/form-data; boundary=$boundary"],
            "--$boundary\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nPUT\r\n--$boundary--\r\n", $put,
            ['post' => ['_method' => 'PUT']]];
        yield 'X-HTTP-Method-Override: PUT' => ['/x', ['X-HTTP-Method-Override' => 'PUT'], '', $put, ['get' => []]];
        yield 'body PUT, query the same' => ['/x?_method=PUT', $form, '_method=PUT', $put,
            ['get' => ['_method' => 'PUT'], 'post' => ['_method' => 'PUT']]];
        yield 'body rest_route, default policy' => ['/x', $form, 'rest_route=/wp/v2/users',
            self::decision('allow', 'partner_match', 'POST'), ['post' => ['rest_route' => '/wp/v2/users']]];
    }

    /**
     * A POST from a Sendcloud address with an override somewhere PHP reads one: the decision is the overriding
     * method's (PUT is not in the Sendcloud preset: `method_not_allowed`), as PHP itself parsed the request.
     *
     * @dataProvider overrides
     * @param array<string,string> $headers
     * @param array<string,mixed> $php
     */
    #[DataProvider('overrides')]
    public function testOverrideUnderRealPhpParsing(string $target, array $headers, string $body, array $expect,
        array $php): void
    {
        $answer = $this->request('POST', $target, $headers + self::SENDCLOUD, $body);
        foreach ($php as $key => $parsed) {
            $this->assertSame($parsed, $answer[$key], "what PHP parsed ($key)");
        }
        $this->assertSame('127.0.0.1', $answer['server']['REMOTE_ADDR']);
        $this->assertSame($expect, $answer['decision']);
    }

    public function testDisagreeingOverridesAreAmbiguous(): void
    {
        $answer = $this->request('POST', '/x?_method=DELETE', ['Content-Type' => self::FORM] + self::SENDCLOUD,
            '_method=PUT');
        $this->assertSame(['_method' => 'DELETE'], $answer['get']);
        $this->assertSame(['_method' => 'PUT'], $answer['post']);
        $this->assertSame(['pass', 'ambiguous_method_override'],
            [$answer['decision']['action'], $answer['decision']['reason']]);
    }

    public function testThePeerIsReadWithoutForwardingHeader(): void
    {
        // No X-Forwarded-For: the client is the built-in server's peer, outside Sendcloud's ranges.
        $answer = $this->request('GET', '/x', ['User-Agent' => 'Sendcloud/1.0.0']);
        $this->assertSame(self::decision('pass', 'impersonation', 'GET', '127.0.0.1'), $answer['decision']);
    }
}
