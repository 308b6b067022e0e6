<?php

declare(strict_types=1);

namespace SendcloudGate\Tests;

use PHPUnit\Framework\TestCase;
use SendcloudGate\Gate;

/**
 * Property 3 of issue 11: the engine reads a query parameter's name as PHP does. For many names, generated and
 * written by hand, the query `NAME=PUT` goes through PHP's own parser (parse_str(), the code behind $_GET) and through
 * the engine (a Sendcloud request, default policy): PHP's parse has `_method` or `ps_method` (the string `PUT`, or an
 * array holding it) exactly when the engine reads the override (method PUT, `method_not_allowed`: PUT is not in the
 * Sendcloud preset); otherwise the engine allows the request as POST.
 */
final class NameFoldingTest extends TestCase
{
    /** Whole tokens a generated name is made of: the bytes that PHP's name folding treats specially, and letters. */
    const ALPHABET = ['_', 'm', 'e', 't', 'h', 'o', 'd', 'p', 's', 'r', 'u', '[', ']', '.', ' ', '+', '%00', '%5F',
        '%5f', '%5B', '%5D', '%20', '%2E', '%2e', '%', '%2', 'x'];
    /** Names a generated one starts from before its mutations. */
    const BASES = ['_method', 'ps_method', 'rest_route', '_method[]', 'ps[method', '_method[x]'];
    /** Other spellings of a byte that a mutation may put in its place (besides its percent-encodings). */
    const RESPELL = ['_' => ['.', ' ', '+', '[', '%2E', '%20'], 'm' => ['M'], 'p' => ['P'], ']' => ['[', ''],
        '[' => [']', '']];
    /** Hand-written names: the issue's attacks and the folding rules' edges. */
    const FIXED = [
        '_method', 'ps_method', '_method%00', '_method%00junk', 'ps[method', '_method[]', '_method[x]', '+_method',
        'ps+method', 'ps.method', 'ps method', '_method[', '_METHOD', '%5Fmethod', '%5fmethod', 'rest[route',
        '[method', '_method]', 'ps_method[][]', '_method[a][b]', '%20_method', '  _method', '++_method', '_method%20',
        'ps%5Bmethod', 'ps%2Emethod', 'ps%20method', '_method%5B%5D', '_method[%00]', '%00_method', '_method[]x',
        '_method[x', 'ps[method]', 'ps[method[', 'ps[method]]', 'ps_method%00[]', '_me%00thod', 'x[_method]',
        '_method.', '.method', '_method x', '_method[ ]', '_method%5b%5d', '%5f%6Dethod', 'ps[[method', 'ps]method',
        '_method[[]', '_method][', 'ps.method[]', 'ps.method[', 'ps%00method', '%_method', '_method%', '_method%2',
        'ps%5F%6Dethod', '_%6Dethod', 'ps_method%5B', '%2Emethod', '_method[]]', 'x_method', '_methodx',
    ];

    /** @var int the generator's state (a fixed seed: every run tests the same names) */
    private $state = 0x2545F491;

    private function next(int $n): int
    {
        // xorshift32: the same sequence on every PHP version (mt_rand's changed in 7.1 and 8.3).
        $x = $this->state;
        $x ^= ($x << 13) & 0xFFFFFFFF;
        $x ^= $x >> 17;
        $x ^= ($x << 5) & 0xFFFFFFFF;
        $this->state = $x;
        return $x % $n;
    }

    /** @return list<string> */
    private function generatedNames(int $count): array
    {
        $names = [];
        for ($i = 0; $i < $count; $i++) {
            if ($i % 2 === 0) {
                // Random tokens.
                $name = '';
                for ($k = 1 + $this->next(10); $k > 0; $k--) {
                    $name .= self::ALPHABET[$this->next(count(self::ALPHABET))];
                }
            } else {
                // A name the engine reads, respelled and mutated: each byte percent-encoded (either case) or written
                // another way now and then, then, half of the time, one token inserted, a byte dropped or replaced.
                $tokens = [];
                foreach (str_split(self::BASES[$this->next(count(self::BASES))]) as $c) {
                    if ($this->next(4) === 0) {
                        $hex = bin2hex($c);
                        $ways = array_merge(['%' . $hex, '%' . strtoupper($hex)], self::RESPELL[$c] ?? []);
                        $c = $ways[$this->next(count($ways))];
                    }
                    $tokens[] = $c;
                }
                if ($this->next(2) === 0) {
                    $at = $this->next(count($tokens) + 1);
                    $token = self::ALPHABET[$this->next(count(self::ALPHABET))];
                    switch ($this->next(3)) {
                        case 0:
                            array_splice($tokens, $at, 0, [$token]);
                            break;
                        case 1:
                            array_splice($tokens, $at, 1);
                            break;
                        default:
                            array_splice($tokens, $at, 1, [$token]);
                    }
                }
                $name = implode('', $tokens);
            }
            if ($name !== '') {
                $names[] = $name;
            }
        }
        return $names;
    }

    /** Whether PHP's parse of the query holds the override: `PUT`, or an array with `PUT` among its leaves. */
    private static function phpSeesOverride(string $query): bool
    {
        parse_str($query, $params);
        foreach (['_method', 'ps_method'] as $name) {
            $v = $params[$name] ?? null;
            if ($v === 'PUT') {
                return true;
            }
            if (is_array($v)) {
                $found = false;
                array_walk_recursive($v, static function ($leaf) use (&$found): void {
                    $found = $found || $leaf === 'PUT';
                });
                if ($found) {
                    return true;
                }
            }
        }
        return false;
    }

    public function testEngineFoldsParameterNamesAsPhpParsesThem(): void
    {
        $gate = Gate::default();
        $put = ['action' => 'pass', 'reason' => 'method_not_allowed', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'PUT'];
        $post = ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud',
            'client_ip' => '94.232.247.10', 'method' => 'POST'];
        $names = array_values(array_unique(array_merge(self::FIXED, $this->generatedNames(12000))));
        $mismatches = [];
        $overrides = 0;
        foreach ($names as $name) {
            $query = $name . '=PUT';
            $php = self::phpSeesOverride($query);
            $overrides += (int) $php;
            $expect = $php ? $put : $post;
            $request = ['remote_addr' => '94.232.247.10', 'method' => 'POST',
                'headers' => ['User-Agent' => 'Sendcloud/1.0.0']];
            // The query in the target (REQUEST_URI), and as the application's query (QUERY_STRING after a rewrite).
            foreach (['uri' => ['uri' => '/x?' . $query], 'query' => ['uri' => '/x', 'query' => $query]] as $where => $more) {
                $d = $gate->decideRequest($more + $request);
                if ($d !== $expect) {
                    parse_str($query, $params);
                    $mismatches[] = sprintf('%s in %s: PHP parses %s, the engine says %s/%s method %s', json_encode($query),
                        $where, json_encode($params), $d['action'], $d['reason'], json_encode($d['method']));
                }
            }
        }
        // The generator must reach both sides of the property.
        $this->assertGreaterThan(500, $overrides, 'names PHP reads as an override');
        $this->assertGreaterThan(500, count($names) - $overrides, 'names PHP does not read as an override');
        $this->assertSame([], array_slice($mismatches, 0, 40), count($mismatches) . ' of ' . (2 * count($names))
            . ' readings differ from PHP\'s');
    }
}
