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

    /**
     * The packed request, unpacked: [remote_addr, method, uri, [[name, value], ...]], and when the optional tail is
     * there, query and [[name, value], ...] of the form after them (null if not a request).
     */
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
        $pairs = static function () use ($b, &$at, $take): array {
            $count = unpack('V', $b, $at)[1];
            $at += 4;
            $out = [];
            for ($i = 0; $i < $count; $i++) {
                $out[] = [$take(), $take()];
            }
            return $out;
        };
        $headers = $pairs();
        if ($at === strlen($b)) {
            return [$addr, $method, $uri, $headers];
        }
        $query = $take();
        $form = $pairs();
        TestCase::assertSame(strlen($b), $at, 'nothing after the form');
        return [$addr, $method, $uri, $headers, $query, $form];
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
        foreach (\SendcloudGate\Generated\Constants::SERVER_HEADERS as $key => $name) {
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

    public function testQueryStringEqualToTheUrisQueryAddsNothing(): void
    {
        $g = RecordingGate::default();
        $server = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'POST',
            'REQUEST_URI' => '/wp-json/wc/v3/orders?consumer_key=ck_x&_method=DELETE',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        $d = $g->decide($server);
        $bare = $g->packed;
        // PHP's QUERY_STRING of such a request is the URI's query: the packed bytes stay exactly those of v1.
        $this->assertSame($d, $g->decide($server + ['QUERY_STRING' => 'consumer_key=ck_x&_method=DELETE']));
        $this->assertSame($bare, $g->packed);
        $this->assertCount(4, $g->unpacked());
        // No query anywhere, and an empty QUERY_STRING with a query in the URI (nothing to add either way).
        foreach (['/a' => '', '/a?' => '', '/a?x=1' => ''] as $uri => $qs) {
            $g->decide(['REQUEST_URI' => $uri, 'QUERY_STRING' => $qs] + $server);
            $this->assertSame(['94.232.247.10', 'POST', $uri, [['User-Agent', 'Sendcloud/1.0.0']]], $g->unpacked());
        }
        // A `?` inside the query: the URI's query is everything after the first one.
        $g->decide(['REQUEST_URI' => '/a?b?c', 'QUERY_STRING' => 'b?c'] + $server);
        $this->assertCount(4, $g->unpacked());
    }

    public function testRewrittenQueryStringIsPassedAsQuery(): void
    {
        // After a rewrite rule (`RewriteRule ^orders/(.*)$ index.php?_method=$1`), QUERY_STRING holds what the
        // application parses, and REQUEST_URI still shows what the client sent.
        $g = RecordingGate::default();
        $server = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'POST', 'REQUEST_URI' => '/orders/PUT',
            'QUERY_STRING' => '_method=PUT', 'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        $d = $g->decide($server);
        $this->assertSame(['94.232.247.10', 'POST', '/orders/PUT', [['User-Agent', 'Sendcloud/1.0.0']], '_method=PUT', []],
            $g->unpacked());
        $this->assertSame(['action' => 'pass', 'reason' => 'method_not_allowed', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'PUT'], $d);
        // The same through decideRequest(): the contract's `query`.
        $this->assertSame($d, Gate::default()->decideRequest(['remote_addr' => '94.232.247.10', 'method' => 'POST',
            'uri' => '/orders/PUT', 'query' => '_method=PUT', 'headers' => ['User-Agent' => 'Sendcloud/1.0.0']]));
        // A query that differs from the URI's, with the URI's own query.
        $g->decide(['REQUEST_URI' => '/index.php?a=1', 'QUERY_STRING' => 'a=1&ps_method=PUT'] + $server);
        $this->assertSame('a=1&ps_method=PUT', $g->unpacked()[4]);
        // Without REQUEST_URI (a CLI script): the query is passed.
        $g->decide(['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'GET', 'QUERY_STRING' => 'x=1']);
        $this->assertSame(['94.232.247.10', 'GET', '', [], 'x=1', []], $g->unpacked());
    }

    public function testOnlyTheBodyParametersTheEngineReadsArePassed(): void
    {
        $g = RecordingGate::default();
        $server = ['REMOTE_ADDR' => '192.0.2.1', 'REQUEST_METHOD' => 'POST', 'REQUEST_URI' => '/'];
        $g->decide($server, [
            'rest_route' => '/wp/v2/users',
            'order' => ['id' => '12', 'status' => 'completed'],
            'ps_method' => 'put',
            'x' => 'not read by the engine: not passed',
            '_METHOD' => 'names are case-sensitive: not passed',
            '_method' => ['PUT', 'a' => ['b' => 'DELETE', 'c' => 7, 'd' => null, 'e' => true], 'PATCH'],
        ]);
        $this->assertSame(['192.0.2.1', 'POST', '/', [], '', [
            ['_method', 'PUT'],
            ['_method', 'DELETE'],
            ['_method', 'PATCH'],
            ['ps_method', 'put'],
            ['rest_route', '/wp/v2/users'],
        ]], $g->unpacked());
        // Nothing the engine reads: no tail, the bytes of a request without a body.
        $g->decide($server);
        $bare = $g->packed;
        foreach ([[], ['x' => 'y'], ['_method' => []], ['_method' => [[]]], ['_method' => 7], ['_method' => null],
            ['ps_method' => [1, 2]]] as $post) {
            $g->decide($server, $post);
            $this->assertSame($bare, $g->packed, json_encode($post));
        }
        // An empty string is a value (the engine judges it).
        $g->decide($server, ['_method' => '']);
        $this->assertSame([['_method', '']], $g->unpacked()[5]);
        // QUERY_STRING and the body together.
        $g->decide($server + ['QUERY_STRING' => '_method=PUT'], ['_method' => 'PUT']);
        $this->assertSame(['192.0.2.1', 'POST', '/', [], '_method=PUT', [['_method', 'PUT']]], $g->unpacked());
    }

    public function testBodyOverrideDecidesTheMethod(): void
    {
        $server = ['REMOTE_ADDR' => '94.232.247.10', 'REQUEST_METHOD' => 'POST', 'REQUEST_URI' => '/index.php',
            'HTTP_USER_AGENT' => 'Sendcloud/1.0.0'];
        $g = Gate::default();
        $this->assertSame('allow', $g->decide($server, ['x' => 'PUT'])['action']);
        $put = ['action' => 'pass', 'reason' => 'method_not_allowed', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'PUT'];
        // PrestaShop reads ps_method from $_REQUEST; `_method` is honoured in the body by frameworks.
        $this->assertSame($put, $g->decide($server, ['ps_method' => 'PUT']));
        $this->assertSame($put, $g->decide($server, ['_method' => 'PUT']));
        $this->assertSame($put, $g->decide($server, ['_method' => ['PUT']]));
        $this->assertSame(['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'DELETE'], $g->decide($server, ['_method' => 'delete']));
        // Disagreeing overrides: the query says DELETE, the body PUT.
        $d = $g->decide(['REQUEST_URI' => '/index.php?_method=DELETE'] + $server, ['_method' => 'PUT']);
        $this->assertSame(['pass', 'ambiguous_method_override'], [$d['action'], $d['reason']]);
    }

    public function testDecideRequestPassesQueryAndForm(): void
    {
        $g = RecordingGate::default();
        $r = ['remote_addr' => '192.0.2.1', 'method' => 'POST'];
        $g->decideRequest($r + ['query' => 'a=1', 'form' => ['_method' => 'PUT', 'x' => ['a', 'b'], 7 => 'seven']]);
        $this->assertSame(['192.0.2.1', 'POST', '', [], 'a=1', [['_method', 'PUT'], ['x', 'a'], ['x', 'b'],
            ['7', 'seven']]], $g->unpacked());
        // Absent, null and empty are all no tail.
        $g->decideRequest($r);
        $bare = $g->packed;
        foreach ([['query' => null], ['form' => null], ['query' => '', 'form' => []], ['form' => ['x' => []]]] as $more) {
            $g->decideRequest($r + $more);
            $this->assertSame($bare, $g->packed, json_encode($more));
        }
        // explain() packs the same way.
        $e = $g->explain($r + ['form' => ['ps_method' => 'PUT']]);
        $this->assertSame([['ps_method', 'PUT']], $g->unpacked()[5]);
        $this->assertArrayHasKey('trace', $e);
        // Another shape is malformed_input: a query that is not a string, a form that is not an object, a form
        // value that is not a string or a list of strings.
        foreach ([['query' => 5], ['query' => ['a']], ['form' => 'x=1'], ['form' => ['x' => 5]],
            ['form' => ['x' => [['a']]]], ['form' => ['x' => null]]] as $more) {
            $d = $g->decideRequest($r + $more);
            $this->assertSame('', $g->packed, json_encode($more));
            $this->assertSame(['pass', 'malformed_input'], [$d['action'], $d['reason']], json_encode($more));
        }
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
        yield 'int QUERY_STRING' => [$full + ['QUERY_STRING' => 5]];
        yield 'array QUERY_STRING' => [$full + ['QUERY_STRING' => ['_method=PUT']]];
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
            $post = [];
            if (($case['request']['query'] ?? null) !== null) {
                $server['QUERY_STRING'] = $case['request']['query'];
                // decide() leaves out a QUERY_STRING equal to the URI's query; a case whose `query` is exactly
                // that would be the same request without it, so it still expresses the case.
            }
            foreach ($case['request']['form'] ?? [] as $name => $value) {
                // $_POST holds names PHP has folded already, and decide() passes only the ones the engine reads:
                // other names cannot be expressed (a name PHP would fold differently, e.g. `_method[]`).
                if (!in_array((string) $name, \SendcloudGate\Generated\Constants::FORM_PARAMS, true)) {
                    $ok = false;
                }
                $post[(string) $name] = $value;
            }
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
                yield $case['id'] => [$case, $server, $post];
            }
        }
    }

    /**
     * Every corpus case that $_SERVER can express, given as $_SERVER: the expected decision.
     *
     * @dataProvider corpusCases
     */
    #[DataProvider('corpusCases')]
    public function testCorpusCaseThroughServer(array $case, array $server, array $post): void
    {
        static $gates = [];
        $policy = $case['policy'];
        $g = $gates[$policy] ?? ($gates[$policy] = $policy === 'default' ? Gate::default() : self::policy($policy));
        $this->assertSame($case['expect'], $g->decide($server, $post), $case['id']);
    }
}
