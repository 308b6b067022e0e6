<?php

namespace SendcloudGate;

use SendcloudGate\Internal\Compiler;
use SendcloudGate\Internal\FailedGate;
use SendcloudGate\Internal\Failure;
use SendcloudGate\Internal\Runtime;
use SendcloudGate\Internal\SnapshotWriter;

/**
 * Decides whether a request to a self-hosted shop is verified Sendcloud traffic, under a policy: `allow` (let it
 * through), `deny` (block it) or `pass` (no opinion: the host firewall applies its own rules), with the reason.
 * The rules are the decision contract's (docs/decision-contract.md); the engine that applies them is the project's
 * core wasm module, translated to PHP at build time.
 *
 * The factories throw PolicyException for a bad policy and EngineException when the engine cannot start (a PHP
 * \Error from a damaged or missing generated file included: no other exception or error leaves them). The `OrPass`
 * factories (defaultOrPass(), fromCompiledOrPass()) never throw: when the engine cannot load, or the bytes are not
 * a compiled policy, they return a Gate that answers `pass` / `engine_error`, for a plugin's request path.
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
     * The headers the decision contract reads, by their $_SERVER key: the User-Agent, the client-address
     * headers a trusted proxy may set, and the method overrides. decide() passes only these to the engine: every
     * other header cannot change a decision, and each one passed costs engine time (about 7 us per header here).
     * decideRequest() and explain() pass whatever they are given. The list is the engine's own:
     * Generated\Constants::SERVER_HEADERS (generated/Constants.php, written by the build from the core module), not
     * a constant of this class, so that a Gate can still be made (answering `engine_error`) when generated/ is
     * missing: PHP resolves a class's constants when it first makes an instance.
     */

    /**
     * The body parameters decide() passes from its $post argument ($_POST), as the contract's `form`: the only ones
     * the engine reads. `_method` is a method override (WordPress honours it; Laravel, and Symfony with method
     * override enabled, read it from the body), `ps_method` too (PrestaShop reads it from $_REQUEST, the body
     * included), `rest_route` a WordPress REST route (WordPress reads its query variables from the body as well as
     * the query). PHP has already folded the names of $_POST's keys (`ps[method` is `ps_method`, `_method%00x` is
     * `_method`, `_method[]` the array `_method`), so these exact keys are all there is to take. The engine's own list:
     * Generated\Constants::FORM_PARAMS (generated/Constants.php).
     */

    /** @var string the compiled policy */
    private $bytes;
    /** @var list<array{path: string, message: string}>|null the policy's warnings, null until known */
    private $warnings;

    final protected function __construct(string $bytes, ?array $warnings = null)
    {
        $this->bytes = $bytes;
        $this->warnings = $warnings;
    }

    /**
     * A Gate from a policy in JSON (the contract's policy format). Compiling loads the policy compiler (a larger
     * file than the decision engine) once per process: a plugin should compile when the policy is saved, show
     * warnings() to whoever saved it, store toCompiled(), and use fromCompiled() on requests.
     *
     * @throws PolicyException naming the JSON path of the first error, e.g. `rules[1].ip[0]: "10.0.0.0/33" is not
     *                         an IP range` (getJsonPath(), getJsonLine(), getJsonColumn())
     * @throws EngineException when the engine cannot run here (32-bit PHP, generated files missing or damaged)
     * @return static
     */
    public static function fromPolicyJson(string $json): self
    {
        try {
            $compiled = Compiler::compile($json);
        } catch (PolicyException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw Failure::exception('the policy compiler failed', $e);
        }
        return self::load($compiled['bytes'], $compiled['warnings'], true);
    }

    /**
     * A Gate from a compiled policy (toCompiled(), `sendcloud-gate policy compile FILE -o OUT`, or the build's
     * generated/default-policy.bin). The policy is loaded and checked now.
     *
     * @throws PolicyException when the bytes are not a compiled policy of this engine
     * @throws EngineException when the engine cannot run here (32-bit PHP, generated files missing or damaged)
     * @return static
     */
    public static function fromCompiled(string $bytes): self
    {
        return self::load($bytes, null, false);
    }

    /**
     * The default policy: the Sendcloud preset, nothing else (no trusted proxies, impersonation logged).
     *
     * @throws EngineException when the engine cannot run here (32-bit PHP, generated files missing or damaged)
     * @return static
     */
    public static function default(): self
    {
        try {
            $bytes = Runtime::defaultBytes();
        } catch (\Throwable $e) {
            throw Failure::exception('the engine failed to start', $e);
        }
        return self::load($bytes, null, true);
    }

    /**
     * default() for a plugin's request path: never throws. When the engine cannot load here (generated files
     * missing or damaged, a 32-bit PHP), the Gate it returns answers every decide(), decideRequest() and explain()
     * with `pass` / `engine_error` (the host firewall applies its own rules), loadFailure() says why, and the failure
     * is logged once with error_log().
     */
    public static function defaultOrPass(): self
    {
        try {
            return static::default();
        } catch (\Throwable $e) {
            return FailedGate::of('', Failure::note($e));
        }
    }

    /**
     * fromCompiled() for a plugin's request path: never throws. `null` (nothing stored yet) is the default policy.
     * When the bytes are not a compiled policy of this engine (damaged, or from an incompatible version), or are not
     * a string, or the engine cannot load here, the Gate it returns answers every decide(), decideRequest() and
     * explain() with `pass` / `engine_error`, loadFailure() says why, and the failure is logged once with
     * error_log(). (The parameter has no declared type so that not even a wrong type can throw a TypeError.)
     *
     * @param string|null $bytes
     */
    public static function fromCompiledOrPass($bytes): self
    {
        try {
            if ($bytes === null) {
                return static::default();
            }
            if (!\is_string($bytes)) {
                throw new PolicyException('not a valid compiled policy: ' . \gettype($bytes) . ' given instead of a string');
            }
            return static::fromCompiled($bytes);
        } catch (\Throwable $e) {
            return FailedGate::of(\is_string($bytes) ? $bytes : '', Failure::note($e));
        }
    }

    /**
     * A Gate from a snapshot (snapshot(): this engine with the policy already loaded), for a plugin's request path:
     * the engine starts from it, some hundredths of a millisecond, instead of loading the compiled policy (about a
     * millisecond). A snapshot taken by another version of the engine (after an update), or damaged, is not
     * applied: its compiled policy (`bytes`) is loaded the ordinary way, as fromCompiled() does, and a new snapshot
     * is worth taking.
     *
     * @throws PolicyException when the snapshot is not usable and has no compiled policy that loads
     * @throws EngineException when the engine cannot run here
     * @return static
     */
    public static function fromSnapshot(array $snapshot): self
    {
        try {
            $started = Runtime::startFrom($snapshot);
        } catch (\Throwable $e) {
            throw Failure::exception('the engine failed to start', $e);
        }
        if ($started) {
            return new static($snapshot['bytes']);
        }
        $bytes = $snapshot['bytes'] ?? null;
        if (!\is_string($bytes)) {
            throw new PolicyException('not a valid snapshot: it has no compiled policy (bytes)');
        }
        return static::fromCompiled($bytes);
    }

    /**
     * fromSnapshot() for a plugin's request path: never throws. $bytes, when given, is the compiled policy in force
     * (what fromCompiledOrPass() would be given): a snapshot of other bytes (one left behind by an older save) is
     * ignored and $bytes loaded. With no snapshot (null, or not an array), this is fromCompiledOrPass($bytes), the
     * default policy when both are null. Whatever cannot be used falls back to loading the compiled policy, and
     * what cannot be loaded is a Gate answering `pass` / `engine_error`, logged once, as fromCompiledOrPass().
     *
     * @param array|null $snapshot
     * @param string|null $bytes
     */
    public static function fromSnapshotOrPass($snapshot, $bytes = null): self
    {
        if (!\is_array($snapshot) || ($bytes !== null && ($snapshot['bytes'] ?? null) !== $bytes)) {
            return static::fromCompiledOrPass($bytes);
        }
        try {
            return static::fromSnapshot($snapshot);
        } catch (\Throwable $e) {
            $b = $snapshot['bytes'] ?? '';
            return FailedGate::of(\is_string($b) ? $b : '', Failure::note($e));
        }
    }

    /**
     * This Gate's policy loaded into a fresh decision engine, as data a host can store and give fromSnapshot() on
     * later requests: an array of strings, ints and arrays of them (serialisable; the strings are bytes: base64 them
     * for a text column), some kilobytes. Its `engine` names the generated engine it belongs to, so a snapshot
     * stored before an update is recognised and not applied (fromSnapshot() then loads its `bytes`): take a new one
     * when isCurrentSnapshot() says so.
     *
     * @throws EngineException when the engine cannot run here, or for a Gate that answers `engine_error`
     * @return array<string,mixed>
     */
    public function snapshot(): array
    {
        if ($this->loadFailure() !== null) {
            throw new EngineException('sendcloud-gate: no policy to snapshot: ' . $this->loadFailure());
        }
        try {
            return SnapshotWriter::make($this->bytes);
        } catch (PolicyException $e) {
            throw new EngineException('sendcloud-gate: the engine refused a loaded policy: ' . $e->getMessage(), 0, $e);
        } catch (\Throwable $e) {
            throw Failure::exception('the engine failed to take a snapshot', $e);
        }
    }

    /**
     * Whether $snapshot is a well-formed snapshot of the engine in use (fromSnapshot() would start from it rather
     * than load its bytes). False for one from another version or damaged: take a new one. Never throws.
     *
     * @param mixed $snapshot
     */
    public static function isCurrentSnapshot($snapshot): bool
    {
        try {
            return Runtime::freshCoreFor($snapshot) !== null;
        } catch (\Throwable $e) {
            return false;
        }
    }

    /**
     * The policy's warnings: what does not make it invalid but probably does not mean what its author thinks, e.g.
     * an `allow` rule without an `ip` condition (`rules[0]`: anyone matching the rest of it gets through) or an
     * `allow` path prefix not ending in `/` (`rules[0].paths[0]`). A list of ['path' => JSON path, 'message' =>
     * text], in policy order; [] when there are none. Show them where the policy is saved.
     *
     * A Gate from fromPolicyJson() has them from the compilation. For a Gate from fromCompiled() or default(), the
     * first call loads the full module (like explain(): for admin pages, not for requests). A Gate that answers
     * `engine_error` has none.
     *
     * @throws EngineException when the full module cannot run here (only for a Gate not made by fromPolicyJson())
     * @return list<array{path: string, message: string}>
     */
    public function warnings(): array
    {
        if ($this->warnings === null) {
            try {
                $this->warnings = Compiler::warnings($this->bytes);
            } catch (PolicyException $e) {
                // The decision module loaded these bytes, so the full module refusing them is the engine's failure.
                throw new EngineException('sendcloud-gate: the policy compiler refused a loaded policy: '
                    . $e->getMessage(), 0, $e);
            } catch (\Throwable $e) {
                throw Failure::exception('the policy compiler failed to read the warnings', $e);
            }
        }
        return $this->warnings;
    }

    /**
     * The effective policy, as `sendcloud-gate policy show` prints it: presets expanded (their ranges, User-Agent
     * patterns and methods written out, `add_*` merged in) with their provenance beside them (`source`, `verified`,
     * `reviewed`, `note`), decoded to arrays: ['version' => 1, 'impersonation' => 'log', 'trusted_proxies' =>
     * ['header' =>, 'presets' =>, 'ranges' =>], 'partners' => [['id', 'preset', 'enabled', 'ip', 'user_agents',
     * 'claims', 'methods', 'provenance'], ...], 'rules' => [...]]. For a settings screen that shows what is allowed
     * and where it comes from. Loads the full module on the first call (like explain()).
     *
     * @throws EngineException when the full module cannot run here, or for a Gate that answers `engine_error`
     * @return array<string,mixed>
     */
    public function effectivePolicy(): array
    {
        if ($this->loadFailure() !== null) {
            throw new EngineException('sendcloud-gate: no policy to show: ' . $this->loadFailure());
        }
        try {
            return Compiler::show($this->bytes);
        } catch (PolicyException $e) {
            throw new EngineException('sendcloud-gate: the policy compiler refused a loaded policy: '
                . $e->getMessage(), 0, $e);
        } catch (\Throwable $e) {
            throw Failure::exception('the policy compiler failed to show the policy', $e);
        }
    }

    /**
     * Why this Gate answers every request with `pass` / `engine_error` (a Gate from defaultOrPass() or
     * fromCompiledOrPass() whose engine or policy could not load), or null for a working Gate.
     */
    public function loadFailure(): ?string
    {
        return null;
    }

    /** The compiled policy, for fromCompiled() later (a plugin stores this instead of recompiling JSON). */
    public function toCompiled(): string
    {
        return $this->bytes;
    }

    /**
     * Decides the current request as PHP presents it: pass $_SERVER and $_POST. Reads REMOTE_ADDR, REQUEST_METHOD,
     * REQUEST_URI, QUERY_STRING (passed as the contract's `query` when it differs from REQUEST_URI's query, as
     * after a rewrite rule) and the HTTP_* keys of the headers the contract reads (Generated\Constants::SERVER_HEADERS:
     * HTTP_X_FORWARDED_FOR is the header X-Forwarded-For; the key's case does not matter). A header value may be a
     * string or a list of strings (one per occurrence). A missing key is an empty value, which the engine judges
     * (`malformed_input` for a missing address or method; `/` for a missing URI). From $post, only the parameters
     * the engine reads (Generated\Constants::FORM_PARAMS: `_method`, `ps_method`, `rest_route`) are passed, as the contract's `form`: a
     * string value as it is, an array value (`_method[]=PUT`) as one value per string leaf, other leaves skipped.
     * Never throws.
     *
     * @param array $post the parsed body parameters: $_POST
     * @return array{action: string, reason: string, rule: ?string, client_ip: ?string, method: ?string}
     */
    public function decide(array $server, array $post = []): array
    {
        try {
            return $this->run(self::packServer($server, $post), false);
        } catch (\Throwable $e) {
            return Failure::decision($e, false);
        }
    }

    /**
     * Decides a request in the contract's shape: ['remote_addr' => '198.51.100.5', 'method' => 'GET',
     * 'uri' => '/path?query', 'headers' => ['User-Agent' => '...', 'X-Forwarded-For' => ['a', 'b']],
     * 'query' => 'the query as the application sees it', 'form' => ['_method' => 'PUT', 'x' => ['a', 'b']]].
     * `uri`, `headers`, `query` and `form` are optional (null is absent); a header or form value is a string or a
     * list of strings (one per occurrence). Every header and form parameter given is passed. A request of another
     * shape (a missing address, a header value that is not a string) is `malformed_input`. Never throws.
     *
     * @return array{action: string, reason: string, rule: ?string, client_ip: ?string, method: ?string}
     */
    public function decideRequest(array $request): array
    {
        try {
            return $this->run(self::packRequest($request), false);
        } catch (\Throwable $e) {
            return Failure::decision($e, false);
        }
    }

    /**
     * decideRequest() with the reasoning: the decision's keys plus `trace` (the ordered steps that led to it) and
     * `provenance` (the deciding preset's source and verification status, or null). Runs in the full engine module
     * (generated/CompileCore.php and the functions of generated/CompileCore/ it calls, loaded on the first call), so it is for
     * admin pages and logs, not for every request. Never throws.
     */
    public function explain(array $request): array
    {
        try {
            return $this->run(self::packRequest($request), true);
        } catch (\Throwable $e) {
            return Failure::decision($e, true);
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

    /**
     * Loads compiled bytes into the decision engine and returns the Gate. $ours: the bytes come from the library
     * (the default policy) or its compiler, so a refusal is the engine's failure, not a bad policy.
     *
     * @return static
     */
    private static function load(string $bytes, ?array $warnings, bool $ours): self
    {
        try {
            Runtime::handle($bytes);
        } catch (PolicyException $e) {
            if ($ours) {
                throw new EngineException('sendcloud-gate: the engine refused a policy compiled by the library: '
                    . $e->getMessage(), 0, $e);
            }
            throw $e;
        } catch (\Throwable $e) {
            throw Failure::exception('the engine failed to load the policy', $e);
        }
        return new static($bytes, $warnings);
    }

    /**
     * The packed request (src/request.rs) of a $_SERVER array and the body parameters; '' (not a request:
     * malformed_input) when a value the engine needs is not a string.
     */
    private static function packServer(array $server, array $post): string
    {
        $addr = $server['REMOTE_ADDR'] ?? '';
        $method = $server['REQUEST_METHOD'] ?? '';
        $uri = $server['REQUEST_URI'] ?? '';
        $query = $server['QUERY_STRING'] ?? '';
        if (!\is_string($addr) || !\is_string($method) || !\is_string($uri) || !\is_string($query)) {
            return '';
        }
        // QUERY_STRING is what the application parses; it is REQUEST_URI's query (all after its first `?`) unless a
        // rewrite changed it, and the engine reads the URI's query anyway: pass it only when it differs. (One strstr()
        // is the cheapest test measured: strpos() and substr_compare() cost 0.15 us more per decision.)
        if ($query !== '' && \strstr($uri, '?') === '?' . $query) {
            $query = '';
        }
        $form = [];
        if ($post !== []) {
            foreach (Generated\Constants::FORM_PARAMS as $name) {
                $v = $post[$name] ?? null;
                if (\is_string($v)) {
                    $form[] = [$name, $v];
                } elseif (\is_array($v)) {
                    \array_walk_recursive($v, static function ($leaf) use ($name, &$form): void {
                        if (\is_string($leaf)) {
                            $form[] = [$name, $leaf];
                        }
                    });
                }
            }
        }
        $headers = [];
        foreach ($server as $k => $v) {
            // PHP names a header HTTP_ + upper case with '_' for '-'; a hand-built array may use another case.
            if (\is_string($k) && \strncmp($k, 'HTTP_', 5) === 0) {
                $name = Generated\Constants::SERVER_HEADERS[$k] ?? Generated\Constants::SERVER_HEADERS[\strtoupper($k)] ?? null;
                if ($name !== null) {
                    $headers[] = [$name, $v];
                }
            }
        }
        return self::pack($addr, $method, $uri, $headers, $query, $form);
    }

    /** The packed request of a contract-shaped request; '' (malformed_input) when it has another shape. */
    private static function packRequest(array $r): string
    {
        $addr = $r['remote_addr'] ?? null;
        $method = $r['method'] ?? null;
        $uri = $r['uri'] ?? '';
        $headers = $r['headers'] ?? [];
        $query = $r['query'] ?? '';
        $form = $r['form'] ?? [];
        if (!\is_string($addr) || !\is_string($method) || !\is_string($uri) || !\is_array($headers)
            || !\is_string($query) || !\is_array($form)) {
            return '';
        }
        $pairs = [];
        foreach ($headers as $name => $v) {
            $pairs[] = [(string) $name, $v];
        }
        $params = [];
        foreach ($form as $name => $v) {
            $params[] = [(string) $name, $v];
        }
        return self::pack($addr, $method, $uri, $pairs, $query, $params);
    }

    /**
     * The packed form of a request whose headers and form parameters are [name, value] pairs, a value being a
     * string or a list of strings (one per occurrence); '' (malformed_input) when a value is anything else. The
     * optional tail (query, form) is written only when there is a query or a form parameter, so a request without
     * them packs to the same bytes as before contract v2.
     */
    private static function pack(string $addr, string $method, string $uri, array $headers, string $query,
        array $form): string
    {
        // The headers' loop is pairs() written out: decide() runs it on every request, a call costs.
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
        $packed = \pack('V', \strlen($addr)) . $addr . \pack('V', \strlen($method)) . $method
            . \pack('V', \strlen($uri)) . $uri . \pack('V', $n) . $h;
        if ($query !== '' || $form !== []) {
            $f = self::pairs($form);
            if ($f === null) {
                return '';
            }
            if ($query !== '' || $f !== "\0\0\0\0") {
                $packed .= \pack('V', \strlen($query)) . $query . $f;
            }
        }
        return $packed;
    }

    /** The count and the (name, value) pairs of the packed form; null when a value is not a string or a list of them. */
    private static function pairs(array $pairs): ?string
    {
        $out = '';
        $n = 0;
        foreach ($pairs as [$name, $v]) {
            foreach (\is_array($v) ? $v : [$v] as $item) {
                if (!\is_string($item)) {
                    return null;
                }
                $out .= \pack('V', \strlen($name)) . $name . \pack('V', \strlen($item)) . $item;
                $n++;
            }
        }
        return \pack('V', $n) . $out;
    }
}
