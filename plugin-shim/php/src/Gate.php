<?php

namespace SendcloudGate;

use SendcloudGate\Internal\Compiler;
use SendcloudGate\Internal\Runtime;

/**
 * Decides whether a request to a self-hosted shop is verified Sendcloud traffic, under a policy: `allow` (let it
 * through), `deny` (block it) or `pass` (no opinion: the host firewall applies its own rules), with the reason.
 * The rules are the decision contract's (docs/decision-contract.md); the engine that applies them is the project's
 * core wasm module, translated to PHP at build time.
 *
 * The factories throw (PolicyException for a bad policy, EngineException when the engine cannot start).
 * decide(), decideRequest() and explain() never throw: if the engine itself fails, they answer
 * `pass` with the reason `engine_error` and log the failure with error_log() (at most once per PHP request).
 *
 * Engine instances are shared by every Gate of the process and created on first use; building a Gate from the
 * same compiled bytes twice loads the policy once.
 */
class Gate
{
    /**
     * The reason of a decision when the engine failed. The one reason code outside the decision contract: it means
     * "the engine failed, so no opinion", and always comes with action `pass`.
     */
    const ENGINE_ERROR = 'engine_error';

    /**
     * The headers the decision contract (v1) reads, by their $_SERVER key: the User-Agent, the client-address
     * headers a trusted proxy may set, and the method overrides. decide() passes only these to the engine: every
     * other header cannot change a decision, and each one passed costs engine time (about 7 us per header here).
     * decideRequest() and explain() pass whatever they are given.
     */
    const SERVER_HEADERS = [
        'HTTP_USER_AGENT' => 'User-Agent',
        'HTTP_X_FORWARDED_FOR' => 'X-Forwarded-For',
        'HTTP_FORWARDED' => 'Forwarded',
        'HTTP_X_REAL_IP' => 'X-Real-IP',
        'HTTP_CF_CONNECTING_IP' => 'CF-Connecting-IP',
        'HTTP_TRUE_CLIENT_IP' => 'True-Client-IP',
        'HTTP_X_HTTP_METHOD_OVERRIDE' => 'X-HTTP-Method-Override',
        'HTTP_X_HTTP_METHOD' => 'X-HTTP-Method',
        'HTTP_X_METHOD_OVERRIDE' => 'X-Method-Override',
    ];

    /** @var string the compiled policy */
    private $bytes;

    final protected function __construct(string $bytes)
    {
        $this->bytes = $bytes;
    }

    /**
     * A Gate from a policy in JSON (the contract's policy format). Compiling loads the policy compiler (a larger
     * file than the decision engine) once per process: a plugin should compile when the policy is saved, store
     * toCompiled(), and use fromCompiled() on requests.
     *
     * @throws PolicyException naming the JSON path of the first error, e.g. `rules[1].ip[0]: "10.0.0.0/33" is not
     *                         an IP range` (getJsonPath(), getJsonLine(), getJsonColumn())
     * @throws EngineException when the engine cannot run here (32-bit PHP, generated files missing)
     * @return static
     */
    public static function fromPolicyJson(string $json): self
    {
        return static::fromCompiled(Compiler::compile($json));
    }

    /**
     * A Gate from a compiled policy (toCompiled(), `sendcloud-gate policy compile FILE -o OUT`, or the build's
     * generated/default-policy.bin). The policy is loaded and checked now.
     *
     * @throws PolicyException when the bytes are not a compiled policy of this engine
     * @throws EngineException when the engine cannot run here
     * @return static
     */
    public static function fromCompiled(string $bytes): self
    {
        try {
            Runtime::handle($bytes);
        } catch (PolicyException $e) {
            throw $e;
        } catch (EngineException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw new EngineException('sendcloud-gate: the engine failed to load the policy: ' . $e->getMessage(), 0, $e);
        }
        return new static($bytes);
    }

    /**
     * The default policy: the Sendcloud preset, nothing else (no trusted proxies, impersonation logged).
     *
     * @throws EngineException when the engine cannot run here
     * @return static
     */
    public static function default(): self
    {
        return static::fromCompiled(Runtime::defaultBytes());
    }

    /** The compiled policy, for fromCompiled() later (a plugin stores this instead of recompiling JSON). */
    public function toCompiled(): string
    {
        return $this->bytes;
    }

    /**
     * Decides the current request as PHP presents it: pass $_SERVER. Reads REMOTE_ADDR, REQUEST_METHOD,
     * REQUEST_URI and the HTTP_* keys of the headers the contract reads (SERVER_HEADERS: HTTP_X_FORWARDED_FOR is the
     * header X-Forwarded-For; the key's case does not matter). A value may be a string or a list of strings (one per
     * occurrence). A missing key is an empty value, which the engine judges (`malformed_input` for a missing
     * address or method; `/` for a missing URI). Never throws.
     *
     * @return array{action: string, reason: string, rule: ?string, client_ip: ?string, method: ?string}
     */
    public function decide(array $server): array
    {
        try {
            return $this->run(self::packServer($server), false);
        } catch (\Throwable $e) {
            return self::engineError($e, false);
        }
    }

    /**
     * Decides a request in the contract's shape: ['remote_addr' => '198.51.100.5', 'method' => 'GET',
     * 'uri' => '/path?query', 'headers' => ['User-Agent' => '...', 'X-Forwarded-For' => ['a', 'b']]].
     * `uri` and `headers` are optional; a header value is a string or a list of strings (one per occurrence).
     * A request of another shape (a missing address, a header value that is not a string) is `malformed_input`.
     * Never throws.
     *
     * @return array{action: string, reason: string, rule: ?string, client_ip: ?string, method: ?string}
     */
    public function decideRequest(array $request): array
    {
        try {
            return $this->run(self::packRequest($request), false);
        } catch (\Throwable $e) {
            return self::engineError($e, false);
        }
    }

    /**
     * decideRequest() with the reasoning: the decision's keys plus `trace` (the ordered steps that led to it) and
     * `provenance` (the deciding preset's source and verification status, or null). Runs in the full engine module
     * (generated/CompileCore.php, loaded on the first call: three times the decision module's size), so it is for
     * admin pages and logs, not for every request. Never throws.
     */
    public function explain(array $request): array
    {
        try {
            return $this->run(self::packRequest($request), true);
        } catch (\Throwable $e) {
            return self::engineError($e, true);
        }
    }

    /** The message of the last engine failure in this process ("Class: message"), or null. */
    public static function lastEngineError(): ?string
    {
        return Runtime::$lastError;
    }

    /**
     * One engine call. Protected only as a seam for tests that simulate an engine failure; not meant to be
     * overridden otherwise.
     */
    protected function run(string $packed, bool $explain): array
    {
        return $explain ? Compiler::explain($this->bytes, $packed) : Runtime::decide($this->bytes, $packed);
    }

    private static function engineError(\Throwable $e, bool $explain): array
    {
        $message = \get_class($e) . ': ' . $e->getMessage();
        Runtime::$lastError = $message;
        if (!Runtime::$logged) {
            Runtime::$logged = true;
            \error_log('sendcloud-gate: engine error, the decision is pass (no opinion): ' . $message);
        }
        $d = ['action' => 'pass', 'reason' => self::ENGINE_ERROR, 'rule' => null, 'client_ip' => null, 'method' => null];
        if ($explain) {
            $d['trace'] = ['engine error: ' . $message];
            $d['provenance'] = null;
        }
        return $d;
    }

    /**
     * The packed request (src/request.rs) of a $_SERVER array; '' (not a request: malformed_input) when a value
     * the engine needs is not a string.
     */
    private static function packServer(array $server): string
    {
        $addr = $server['REMOTE_ADDR'] ?? '';
        $method = $server['REQUEST_METHOD'] ?? '';
        $uri = $server['REQUEST_URI'] ?? '';
        if (!\is_string($addr) || !\is_string($method) || !\is_string($uri)) {
            return '';
        }
        $headers = [];
        foreach ($server as $k => $v) {
            // PHP names a header HTTP_ + upper case with '_' for '-'; a hand-built array may use another case.
            if (\is_string($k) && \strncmp($k, 'HTTP_', 5) === 0) {
                $name = self::SERVER_HEADERS[$k] ?? self::SERVER_HEADERS[\strtoupper($k)] ?? null;
                if ($name !== null) {
                    $headers[] = [$name, $v];
                }
            }
        }
        return self::pack($addr, $method, $uri, $headers);
    }

    /** The packed request of a contract-shaped request; '' (malformed_input) when it has another shape. */
    private static function packRequest(array $r): string
    {
        $addr = $r['remote_addr'] ?? null;
        $method = $r['method'] ?? null;
        $uri = $r['uri'] ?? '';
        $headers = $r['headers'] ?? [];
        if (!\is_string($addr) || !\is_string($method) || !\is_string($uri) || !\is_array($headers)) {
            return '';
        }
        $pairs = [];
        foreach ($headers as $name => $v) {
            $pairs[] = [(string) $name, $v];
        }
        return self::pack($addr, $method, $uri, $pairs);
    }

    /**
     * The packed form of a request whose headers are [name, value] pairs, a value being a string or a list of
     * strings (one per occurrence); '' (malformed_input) when a value is anything else.
     */
    private static function pack(string $addr, string $method, string $uri, array $headers): string
    {
        $h = '';
        $n = 0;
        foreach ($headers as [$name, $v]) {
            foreach (\is_array($v) ? $v : [$v] as $item) {
                if (!\is_string($item)) {
                    return '';
                }
                $h .= \pack('V', \strlen($name)) . $name . \pack('V', \strlen($item)) . $item;
                $n++;
            }
        }
        return \pack('V', \strlen($addr)) . $addr . \pack('V', \strlen($method)) . $method
            . \pack('V', \strlen($uri)) . $uri . \pack('V', $n) . $h;
    }
}
