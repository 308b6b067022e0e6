<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

// Both spellings of a data provider: the annotation for PHPUnit 9 (PHP 7.4 reads `#[...]` as a comment), the
// attribute for PHPUnit 10 and later.
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;

/** A Gate that records the packed request of each call (the test seam Gate::run). */
final class RecordingGate extends Gate
{
    /** @var string */
    public $packed = '';

    protected function run(string $packed, bool $explain): array
    {
        $this->packed = $packed;
        return parent::run($packed, $explain);
    }

    /** The packed request, unpacked: [remote_addr, method, uri, [[name, value], ...]] (null if not a request). */
    public function unpacked(): ?array
    {
        $b = $this->packed;
        $at = 0;
        $take = static function () use ($b, &$at): ?string {
            if ($at + 4 > strlen($b)) {
                return null;
            }
            $n = unpack('V', $b, $at)[1];
            $s = substr($b, $at + 4, $n);
            $at += 4 + $n;
            return $s;
        };
        $addr = $take();
        $method = $take();
        $uri = $take();
        if ($uri === null || $at + 4 > strlen($b)) {
            return null;
        }
        $count = unpack('V', $b, $at)[1];
        $at += 4;
        $headers = [];
        for ($i = 0; $i < $count; $i++) {
            $headers[] = [$take(), $take()];
        }
        return [$addr, $method, $uri, $headers];
    }
}

/** decide($_SERVER): how PHP's view of a request becomes the engine's request. */
final class ServerMappingTest extends TestCase
{
    const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';

    private static function policy(string $stem): Gate
    {
        return Gate::fromPolicyJson((string) file_get_contents(Corpus::policyFile($stem)));
    }

    public function testSendcloudRequestIsAllowed(): void
    {
        $d = Gate::default()->decide([
            'REMOTE_ADDR' => '94.232.247.10',
            'REQUEST_METHOD' => 'PATCH',
            'REQUEST_URI' => '/wp-json/wc/v3/orders/12?x=1',
            'HTTP_USER_AGENT' => self::SC_UA,
            'HTTP_HOST' => 'shop.example',
            'SERVER_NAME' => 'shop.example',
            'REQUEST_TIME' => 1700000000,
            'argv' => [],
        ]);
        $this->assertSame(
            ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10',
                'method' => 'PATCH'],
            $d
        );
    }

    public function testHeaderNamesAndValues(): void
    {
        $g = RecordingGate::default();
        $g->decide([
            'REMOTE_ADDR' => '192.0.2.1',
            'REQUEST_METHOD' => 'get',
            'REQUEST_URI' => '/a?b',
            'HTTP_USER_AGENT' => 'UA',
            'HTTP_X_FORWARDED_FOR' => ['1.2.3.4', '5.6.7.8'],
            'HTTP_x_http_method' => 'put',
            'HTTP_Cf_Connecting_Ip' => '9.9.9.9',
            'HTTP_X_CUSTOM_THING' => 'not read by the contract: not passed',
            'HTTP_COOKIE' => 5,
            'HTTP_' => 'no name: ignored',
            'http_user_agent' => 'not a header key: ignored',
            'CONTENT_TYPE' => 'text/plain',
            'PHP_SELF' => '/index.php',
            7 => 'integer key: ignored',
        ]);
        $this->assertSame(['192.0.2.1', 'get', '/a?b', [
            ['User-Agent', 'UA'],
            ['X-Forwarded-For', '1.2.3.4'],
            ['X-Forwarded-For', '5.6.7.8'],
            ['X-HTTP-Method', 'put'],
            ['CF-Connecting-IP', '9.9.9.9'],
        ]], $g->unpacked());
    }

    public function testEveryHeaderTheContractReads(): void
    {
        $g = RecordingGate::default();
        $server = ['REMOTE_ADDR' => '192.0.2.1', 'REQUEST_METHOD' => 'GET'];
        foreach (Gate::SERVER_HEADERS as $key => $name) {
            $server[$key] = 'v';
            $this->assertSame('HTTP_' . strtoupper(strtr($name, '-', '_')), $key);
        }
        $g->decide($server);
        $this->assertCount(9, $g->unpacked()[3]);
        // A request with only the empty values: nothing else is passed.
        $g->decide(['REMOTE_ADDR' => '192.0.2.1']);
        $this->assertSame(['192.0.2.1', '', '', []], $g->unpacked());
    }

    public function testLowerCaseHttpKeyStillMatchesCaseInsensitively(): void
    {
        $d = Gate::default()->decide(['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET',
            'HTTP_user_agent' => 'Sendcloud/1.0.0']);
        $this->assertSame('allow', $d['action']);
    }

    public function testUnderscoreHeadersBecomeDashes(): void
    {
        // X-HTTP-Method-Override arrives as HTTP_X_HTTP_METHOD_OVERRIDE and must still count as an override.
        $d = Gate::default()->decide(['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'POST',
            'REQUEST_URI' => '/', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0', 'HTTP_X_HTTP_METHOD_OVERRIDE' => 'put']);
        $this->assertSame(['action' => 'pass', 'reason' => 'method_not_allowed', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'PUT'], $d);
    }

    public function testIpv6RemoteAddr(): void
    {
        $g = Gate::default();
        $server = ['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        $d = $g->decide(['REMOTE_ADDR' => '2001:DB8:0:0:0:0:0:5'] + $server);
        $this->assertSame(['action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud',
            'client_ip' => '2001:db8::5', 'method' => 'GET'], $d);
        // An IPv4-mapped address is the IPv4 address (the form dual-stack servers give).
        $d = $g->decide(['REMOTE_ADDR' => '::ffff:94.232.247.10'] + $server);
        $this->assertSame('allow', $d['action']);
        $this->assertSame('94.232.247.10', $d['client_ip']);
        $d = $g->decide(['REMOTE_ADDR' => 'fe80::1%eth0'] + $server);
        $this->assertSame('fe80::1', $d['client_ip']);
        // A partner range in IPv6 (corpus policy ipv6).
        $v6 = self::policy('ipv6');
        $native = $v6->decideRequest(['remote_addr' => '[2001:db8::5]', 'method' => 'GET',
            'headers' => ['User-Agent' => 'Sendcloud/1.0.0']]);
        $this->assertSame($native, $v6->decide(['REMOTE_ADDR' => '[2001:db8::5]'] + $server));
    }

    public function testTrustedProxyHeader(): void
    {
        $d = self::policy('trusted-xff')->decide(['REMOTE_ADDR' => '10.0.0.1', 'REQUEST_METHOD' => 'GET',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0', 'HTTP_X_FORWARDED_FOR' => '203.0.113.9, 94.232.247.10']);
        $this->assertSame(['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'GET'], $d);
        // Untrusted peer: the header is ignored.
        $d = Gate::default()->decide(['REMOTE_ADDR' => '203.0.113.9', 'REQUEST_METHOD' => 'GET',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0', 'HTTP_X_FORWARDED_FOR' => '94.232.247.10']);
        $this->assertSame('impersonation', $d['reason']);
        $this->assertSame('203.0.113.9', $d['client_ip']);
    }

    public static function missingKeys(): iterable
    {
        $full = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        yield 'empty' => [[]];
        yield 'no REMOTE_ADDR' => [array_diff_key($full, ['REMOTE_ADDR' => 1])];
        yield 'no REQUEST_METHOD' => [array_diff_key($full, ['REQUEST_METHOD' => 1])];
        yield 'null REMOTE_ADDR' => [['REMOTE_ADDR' => null] + $full];
        yield 'array REMOTE_ADDR' => [['REMOTE_ADDR' => ['94.232.247.10']] + $full];
        yield 'int header value' => [$full + ['HTTP_X_FORWARDED_FOR' => 5]];
        yield 'nested array header value' => [['HTTP_USER_AGENT' => [['Sendcloud/1.0.0']]] + $full];
        yield 'two User-Agents' => [['HTTP_USER_AGENT' => ['Sendcloud/1.0.0', 'Sendcloud/1.0.0']] + $full];
        yield 'empty REMOTE_ADDR' => [['REMOTE_ADDR' => ''] + $full];
    }

    /** @dataProvider missingKeys */
    #[DataProvider('missingKeys')]
    public function testMissingOrMistypedKeysAreMalformedNeverAWarning(array $server): void
    {
        $d = Gate::default()->decide($server);
        $this->assertSame('pass', $d['action']);
        $this->assertSame('malformed_input', $d['reason']);
    }

    public function testMissingUriIsSlash(): void
    {
        $d = Gate::default()->decide(['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0']);
        $this->assertSame('allow', $d['action']);
    }

    public function testArrayValuesAreOccurrencesInOrder(): void
    {
        $g = self::policy('trusted-xff');
        $server = ['REMOTE_ADDR' => '10.0.0.1', 'REQUEST_METHOD' => 'GET', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0',
            'HTTP_X_FORWARDED_FOR' => ['203.0.113.9', '94.232.247.10']];
        $this->assertSame('94.232.247.10', $g->decide($server)['client_ip']);
        $server['HTTP_X_FORWARDED_FOR'] = ['94.232.247.10', '203.0.113.9'];
        $this->assertSame('203.0.113.9', $g->decide($server)['client_ip']);
    }

    public static function corpusCases(): iterable
    {
        foreach (Corpus::lines('cases.jsonl') as $case) {
            $server = ['REMOTE_ADDR' => $case['request']['remote_addr'], 'REQUEST_METHOD' => $case['request']['method']];
            if (isset($case['request']['uri'])) {
                $server['REQUEST_URI'] = $case['request']['uri'];
            }
            $ok = true;
            foreach ($case['request']['headers'] ?? [] as $name => $value) {
                $name = (string) $name;
                $key = 'HTTP_' . strtoupper(strtr($name, '-', '_'));
                // PHP cannot tell apart names that differ only by case or by '_' / '-': leave those cases out.
                if (strpos($name, '_') !== false || isset($server[$key]) || $name === '') {
                    $ok = false;
                }
                $server[$key] = $value;
            }
            if ($ok) {
                yield $case['id'] => [$case, $server];
            }
        }
    }

    /**
     * Every corpus case that $_SERVER can express, given as $_SERVER: the expected decision.
     *
     * @dataProvider corpusCases
     */
    #[DataProvider('corpusCases')]
    public function testCorpusCaseThroughServer(array $case, array $server): void
    {
        static $gates = [];
        $policy = $case['policy'];
        $g = $gates[$policy] ?? ($gates[$policy] = $policy === 'default' ? Gate::default() : self::policy($policy));
        $this->assertSame($case['expect'], $g->decide($server), $case['id']);
    }
}
