<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;

/**
 * Invalid UTF-8 cannot be written in the JSON corpus; PHP hands the engine raw bytes, so it is tested here:
 * in any field the engine reads it is `pass` / `malformed_input`, never `allow`, and explain() still works.
 */
final class InvalidUtf8Test extends TestCase
{
    const SC = 'Sendcloud/1.0.0';

    public static function requests(): iterable
    {
        $sc = ['remote_addr' => '94.232.247.10', 'method' => 'GET', 'headers' => ['User-Agent' => self::SC]];
        yield 'User-Agent, partner address' => ['default', ['headers' => ['User-Agent' => self::SC . "\xff"]] + $sc];
        yield 'User-Agent, overlong encoding' => ['default', ['headers' => ['User-Agent' => "Sendcloud/1.0.0\xc0\xae"]] + $sc];
        yield 'User-Agent, truncated sequence' => ['default', ['headers' => ['User-Agent' => "SendCloud/1.0 (\xe2\x82; https://www.sendcloud.sc)"]] + $sc];
        yield 'User-Agent, surrogate' => ['default', ['headers' => ['User-Agent' => "Sendcloud/1.0.0\xed\xa0\x80"]] + $sc];
        yield 'User-Agent, other address' => ['default', ['remote_addr' => '192.0.2.1', 'headers' => ['User-Agent' => "Send\xffcloud"]] + $sc];
        yield 'remote_addr' => ['default', ['remote_addr' => "94.232.247.10\xff"] + $sc];
        yield 'method' => ['default', ['method' => "G\xffT"] + $sc];
        yield 'method override header' => ['default', ['headers' => ['User-Agent' => self::SC, 'X-HTTP-Method-Override' => "P\xffT"]] + $sc];
        yield 'method override query' => ['default', ['uri' => "/?_method=\xff"] + $sc];
        yield 'forwarded address' => ['trusted-xff', ['remote_addr' => '10.0.0.1', 'headers' => ['User-Agent' => self::SC, 'X-Forwarded-For' => "94.232.247.10\xff"]] + $sc];
        yield 'forwarded RFC 7239' => ['trusted-forwarded', ['remote_addr' => '10.0.0.1', 'headers' => ['User-Agent' => self::SC, 'Forwarded' => "for=94.232.247.10\xff"]] + $sc];
        yield 'single-address header' => ['trusted-real-ip', ['remote_addr' => '10.0.0.1', 'headers' => ['User-Agent' => self::SC, 'X-Real-IP' => "\xff94.232.247.10"]] + $sc];
    }

    /** @dataProvider requests */
    #[DataProvider('requests')]
    public function testInvalidUtf8IsMalformed(string $policy, array $request): void
    {
        $g = $policy === 'default'
            ? Gate::default()
            : Gate::fromPolicyJson((string) file_get_contents(Corpus::policyFile($policy)));
        $d = $g->decideRequest($request);
        $this->assertSame('pass', $d['action'], json_encode($d));
        $this->assertSame('malformed_input', $d['reason']);
        $e = $g->explain($request);
        $this->assertSame('malformed_input', $e['reason']);
        $this->assertNotEmpty($e['trace']);
    }

    public function testSameThroughServer(): void
    {
        $d = Gate::default()->decide(['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET',
            'HTTP_USER_AGENT' => "Sendcloud/1.0.0\x80"]);
        $this->assertSame(['pass', 'malformed_input'], [$d['action'], $d['reason']]);
    }

    public function testFieldsTheEngineDoesNotReadDoNotMatter(): void
    {
        // A header nobody reads, and an unevaluated path, may hold any bytes.
        $d = Gate::default()->decideRequest(['remote_addr' => '94.232.247.10', 'method' => 'GET', 'uri' => "/\xff",
            'headers' => ['User-Agent' => self::SC, 'Cookie' => "a=\xff"]]);
        $this->assertSame('allow', $d['action']);
    }
}
