<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\CompileCore;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\PolicyException;

/**
 * The engine instances behind every Gate of this PHP process (one request under PHP-FPM): one instance of the
 * decision module, created on first use and reused by every decide() call; the policy compiler (the full module)
 * only when a Gate is built from JSON. Policies live in the decision instance as handles keyed by their compiled
 * bytes, so Gates built from the same bytes share one handle and the policy is loaded once.
 *
 * The first instance starts from the snapshot the build took right after loading the default policy
 * (generated/default-snapshot.php), so Gate::default() costs no policy load at run time.
 *
 * Any failure inside an instance (a trap, an \Error) drops it: the next call starts a fresh one and loads the
 * policies it needs again, so one bad call cannot leave a half-updated instance behind.
 *
 * @internal Not part of the API; Gate is.
 */
final class Runtime
{
    /** A call that leaves the instance's memory larger than this (a huge request) drops the instance after it. */
    const MAX_MEMORY = 8 << 20;
    /** Distinct policies alive in one instance before it is started afresh (the module allows 1024). */
    const MAX_POLICIES = 256;

    /** @var DecideCore|null */
    public static $core;
    /** @var array<string,int> compiled policy bytes => handle in $core */
    private static $handles = [];
    /** @var int the request buffer in $core's memory, and its capacity */
    private static $buf = 0;
    /** @var int */
    private static $cap = 0;
    /** @var string|null */
    private static $defaultBytes;
    /** @var CompileCore|null */
    private static $compiler;
    /** @var array<string,string> policy JSON => compiled bytes, for the last few compiled in this process */
    private static $compiled = [];

    /** @var string|null the last engine error of this process, "Class: message" */
    public static $lastError;
    /** @var bool whether an engine error was already logged in this PHP request */
    public static $logged = false;

    private static function dir(): string
    {
        return \dirname(__DIR__, 2) . '/generated/';
    }

    /** The decision module's instance, created on first use. */
    public static function core(): DecideCore
    {
        return self::$core ?? self::boot();
    }

    private static function boot(): DecideCore
    {
        if (\PHP_INT_SIZE !== 8) {
            throw new EngineException(
                'sendcloud-gate needs a 64-bit PHP build (PHP_INT_SIZE is ' . \PHP_INT_SIZE . ')'
            );
        }
        $dir = self::dir();
        if (!\class_exists(DecideCore::class, false)) {
            if (!\is_file($dir . 'DecideCore.php')) {
                throw new EngineException(
                    'sendcloud-gate: ' . $dir . 'DecideCore.php is missing: build it with `make php`'
                );
            }
            require_once $dir . 'DecideCore.php';
        }
        try {
            $core = new DecideCore();
            if ($core->scg_abi_version() !== 1) {
                throw new EngineException('sendcloud-gate: the engine has core ABI ' . $core->scg_abi_version()
                    . ', this library speaks 1');
            }
            $handles = [];
            $snapshot = \is_file($dir . 'default-snapshot.php') ? require $dir . 'default-snapshot.php' : null;
            if (\is_array($snapshot)) {
                $mem = $core->mem;
                if (\strlen($mem) < $snapshot['size']) {
                    $mem .= \str_repeat("\0", $snapshot['size'] - \strlen($mem));
                }
                $pieces = [];
                $at = 0;
                foreach ($snapshot['patches'] as $p) {
                    $pieces[] = \substr($mem, $at, $p[0] - $at);
                    $pieces[] = $p[1];
                    $at = $p[0] + \strlen($p[1]);
                }
                $pieces[] = \substr($mem, $at);
                $core->mem = \implode('', $pieces);
                foreach ($snapshot['globals'] as $name => $value) {
                    $core->$name = $value;
                }
                $handles[$snapshot['bytes']] = $snapshot['handle'];
                self::$buf = $snapshot['buf'];
                self::$cap = $snapshot['cap'];
                self::$defaultBytes = $snapshot['bytes'];
            } else {
                self::$cap = 4096;
                self::$buf = $core->scg_alloc(self::$cap);
                if (self::$buf === 0) {
                    throw new EngineException('sendcloud-gate: the engine could not allocate its request buffer');
                }
            }
        } catch (EngineException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw new EngineException('sendcloud-gate: the engine failed to start: ' . $e->getMessage(), 0, $e);
        }
        self::$handles = $handles;
        return self::$core = $core;
    }

    /** Drops the instances; the next call starts afresh. */
    public static function reset(): void
    {
        self::$core = null;
        self::$handles = [];
        self::$buf = 0;
        self::$cap = 0;
    }

    /** The default policy's compiled bytes (the Sendcloud preset, nothing else). */
    public static function defaultBytes(): string
    {
        if (self::$defaultBytes === null) {
            self::core();
        }
        if (self::$defaultBytes === null) {
            $file = self::dir() . 'default-policy.bin';
            $bytes = \is_file($file) ? \file_get_contents($file) : false;
            if ($bytes === false) {
                throw new EngineException('sendcloud-gate: ' . $file . ' is missing: build it with `make php`');
            }
            self::$defaultBytes = $bytes;
        }
        return self::$defaultBytes;
    }

    /**
     * The handle of a compiled policy in the decision instance, loading it if needed.
     *
     * @throws PolicyException when the bytes are not a compiled policy
     */
    public static function handle(string $bytes): int
    {
        $core = self::$core ?? self::boot();
        $h = self::$handles[$bytes] ?? 0;
        if ($h !== 0) {
            return $h;
        }
        if (\count(self::$handles) >= self::MAX_POLICIES) {
            self::reset();
            $core = self::boot();
        }
        try {
            $len = \strlen($bytes);
            $p = $core->scg_alloc($len);
            if ($p === 0) {
                throw new EngineException('sendcloud-gate: the engine could not allocate ' . $len . ' bytes');
            }
            $core->writeMemory($p, $bytes);
            $h = $core->scg_policy_load($p, $len);
            $core->scg_free($p, $len);
            if ($h === 0) {
                $e = self::lastError($core);
                throw new PolicyException('not a valid compiled policy: ' . $e['message']);
            }
        } catch (PolicyException $e) {
            throw $e;
        } catch (\Throwable $e) {
            self::reset();
            throw $e;
        }
        return self::$handles[$bytes] = $h;
    }

    /**
     * One decision (or explanation) of a packed request under a compiled policy: the engine's JSON, decoded.
     * Throws on any engine failure; Gate turns that into `engine_error`.
     */
    public static function call(string $bytes, string $packed, bool $explain): array
    {
        $core = self::$core ?? self::boot();
        $h = self::$handles[$bytes] ?? self::handle($bytes);
        try {
            $len = \strlen($packed);
            if ($len > self::$cap) {
                $core->scg_free(self::$buf, self::$cap);
                $cap = \max($len, 2 * self::$cap);
                self::$buf = $core->scg_alloc($cap);
                self::$cap = self::$buf === 0 ? 0 : $cap;
                if (self::$buf === 0) {
                    throw new EngineException('the engine could not allocate ' . $cap . ' bytes');
                }
            }
            $core->writeMemory(self::$buf, $packed);
            $r = $explain ? $core->scg_explain($h, self::$buf, $len) : $core->scg_decide($h, self::$buf, $len);
            if ($r === 0) {
                throw new EngineException('the engine gave no decision: ' . self::lastError($core)['message']);
            }
            $json = $core->readMemory(($r >> 32) & 0xFFFFFFFF, $r & 0xFFFFFFFF);
            if (\strlen($core->mem) > self::MAX_MEMORY) {
                self::reset();
            }
        } catch (\Throwable $e) {
            self::reset();
            throw $e;
        }
        $d = \json_decode($json, true, 32, \JSON_INVALID_UTF8_SUBSTITUTE);
        if (!\is_array($d) || !isset($d['action'], $d['reason'])) {
            throw new EngineException('the engine returned something that is not a decision: ' . \substr($json, 0, 200));
        }
        return $d;
    }

    /**
     * Compiles a policy from JSON with the full module (loaded on first use, then kept for this process).
     *
     * @throws PolicyException naming the JSON path of the first error
     * @throws EngineException when the compiler itself fails
     */
    public static function compile(string $json): string
    {
        if (isset(self::$compiled[$json])) {
            return self::$compiled[$json];
        }
        if (\PHP_INT_SIZE !== 8) {
            throw new EngineException(
                'sendcloud-gate needs a 64-bit PHP build (PHP_INT_SIZE is ' . \PHP_INT_SIZE . ')'
            );
        }
        try {
            $c = self::$compiler;
            if ($c === null) {
                if (!\class_exists(CompileCore::class, false)) {
                    $file = self::dir() . 'CompileCore.php';
                    if (!\is_file($file)) {
                        throw new EngineException('sendcloud-gate: ' . $file . ' is missing: build it with `make php`');
                    }
                    require_once $file;
                }
                $c = self::$compiler = new CompileCore();
            }
            $len = \strlen($json);
            $p = $c->scg_alloc($len);
            if ($p === 0) {
                throw new EngineException('the policy compiler could not allocate ' . $len . ' bytes');
            }
            $c->writeMemory($p, $json);
            $h = $c->scg_policy_compile($p, $len);
            $c->scg_free($p, $len);
            if ($h === 0) {
                $e = self::lastError($c);
                throw new PolicyException($e['message'], $e['path'], $e['line'], $e['column']);
            }
            $r = $c->scg_policy_to_bytes($h);
            $bytes = $r === 0 ? null : $c->readMemory(($r >> 32) & 0xFFFFFFFF, $r & 0xFFFFFFFF);
            $c->scg_policy_free($h);
            if ($bytes === null) {
                throw new EngineException('the policy compiler gave no bytes: ' . self::lastError($c)['message']);
            }
            if (\strlen($c->mem) > self::MAX_MEMORY) {
                self::$compiler = null;
            }
        } catch (PolicyException $e) {
            throw $e;
        } catch (EngineException $e) {
            self::$compiler = null;
            throw $e;
        } catch (\Throwable $e) {
            self::$compiler = null;
            throw new EngineException('sendcloud-gate: the policy compiler failed: ' . $e->getMessage(), 0, $e);
        }
        if (\count(self::$compiled) >= 16) {
            self::$compiled = [];
        }
        return self::$compiled[$json] = $bytes;
    }

    /** @return array{message: string, path: string, line: int, column: int} */
    private static function lastError($core): array
    {
        $r = $core->scg_last_error();
        $e = \json_decode($core->readMemory(($r >> 32) & 0xFFFFFFFF, $r & 0xFFFFFFFF), true, 4, \JSON_INVALID_UTF8_SUBSTITUTE);
        return [
            'message' => (string) ($e['message'] ?? 'unknown error'),
            'path' => (string) ($e['path'] ?? ''),
            'line' => (int) ($e['line'] ?? 0),
            'column' => (int) ($e['column'] ?? 0),
        ];
    }
}
