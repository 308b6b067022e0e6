<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\CompileCore;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\PolicyException;

/**
 * The engine instances behind every Gate of this PHP process (one request under PHP-FPM):
 *
 * - the decision module (DecideCore: load compiled policies, decide), the only engine a request loads. Its first
 *   instance starts from the snapshot the build took right after loading the default policy
 *   (generated/default-snapshot.php), so Gate::default() costs no policy load at run time;
 * - the full module (CompileCore: also compile from JSON, explain, compiled bytes), a file twice the size, loaded
 *   only by Gate::fromPolicyJson() and explain(), which a plugin uses when a policy is saved or in its admin pages.
 *
 * Any failure inside an instance (a trap, an \Error) drops it: the next call starts a fresh one and loads the
 * policies it needs again, so one bad call cannot leave a half-updated instance behind.
 *
 * @internal Not part of the API; Gate is.
 */
final class Runtime
{
    /** A call that leaves an instance's memory larger than this (a huge request) drops the instance after it. */
    const MAX_MEMORY = 8 << 20;
    /** Distinct policies alive in one instance before it is started afresh (the module allows 1024). */
    const MAX_POLICIES = 256;

    /** @var Instance|null the decision module's instance */
    private static $decision;
    /** @var Instance|null the full module's instance */
    private static $tools;
    /** @var string|null */
    private static $defaultBytes;
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
        return (self::$decision ?? self::boot())->core;
    }

    private static function check64(): void
    {
        if (\PHP_INT_SIZE !== 8) {
            throw new EngineException(
                'sendcloud-gate needs a 64-bit PHP build (PHP_INT_SIZE is ' . \PHP_INT_SIZE . ')'
            );
        }
    }

    /** Loads a generated class's file unless it is loaded already. */
    private static function requireGenerated(string $class, string $file): void
    {
        if (!\class_exists($class, false)) {
            $path = self::dir() . $file;
            if (!\is_file($path)) {
                throw new EngineException('sendcloud-gate: ' . $path . ' is missing: build it with `make php`');
            }
            require_once $path;
        }
    }

    private static function boot(): Instance
    {
        self::check64();
        self::requireGenerated(DecideCore::class, 'DecideCore.php');
        $dir = self::dir();
        try {
            $core = new DecideCore();
            $snapshot = \is_file($dir . 'default-snapshot.php') ? require $dir . 'default-snapshot.php' : null;
            if (!\is_array($snapshot)) {
                return self::$decision = new Instance($core);
            }
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
            self::$defaultBytes = $snapshot['bytes'];
            return self::$decision = new Instance(
                $core,
                [$snapshot['bytes'] => $snapshot['handle']],
                $snapshot['buf'],
                $snapshot['cap']
            );
        } catch (EngineException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw new EngineException('sendcloud-gate: the engine failed to start: ' . $e->getMessage(), 0, $e);
        }
    }

    /** The full module's instance, created on first use. */
    private static function tools(): Instance
    {
        if (self::$tools === null) {
            self::check64();
            try {
                self::requireGenerated(CompileCore::class, 'CompileCore.php');
                self::$tools = new Instance(new CompileCore());
            } catch (EngineException $e) {
                throw $e;
            } catch (\Throwable $e) {
                throw new EngineException('sendcloud-gate: the policy compiler failed to start: ' . $e->getMessage(), 0, $e);
            }
        }
        return self::$tools;
    }

    /** Drops the instances; the next call starts afresh. */
    public static function reset(): void
    {
        self::$decision = null;
        self::$tools = null;
    }

    /** Drops one instance (after a failure, or when it grew too large). */
    private static function drop(Instance $i): void
    {
        if ($i === self::$decision) {
            self::$decision = null;
        } elseif ($i === self::$tools) {
            self::$tools = null;
        }
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
     * Loads a compiled policy into the decision instance (checking it) unless it is there already.
     *
     * @throws PolicyException when the bytes are not a compiled policy
     */
    public static function handle(string $bytes): int
    {
        return self::load(self::$decision ?? self::boot(), $bytes);
    }

    /** The handle of $bytes in instance $i, loading them if needed; drops $i on an engine failure. */
    private static function load(Instance $i, string $bytes): int
    {
        $h = $i->handles[$bytes] ?? 0;
        if ($h !== 0) {
            return $h;
        }
        if (\count($i->handles) >= self::MAX_POLICIES) {
            $tools = $i === self::$tools;
            self::drop($i);
            $i = $tools ? self::tools() : self::boot();
        }
        try {
            return $i->handle($bytes);
        } catch (PolicyException $e) {
            throw $e; // the bytes are bad, not the instance
        } catch (\Throwable $e) {
            self::drop($i);
            throw $e;
        }
    }

    /**
     * One decision (decision module) or explanation (full module) of a packed request under a compiled policy: the
     * engine's JSON, decoded. Throws on any engine failure; Gate turns that into `engine_error`.
     */
    public static function call(string $bytes, string $packed, bool $explain): array
    {
        $i = $explain ? self::tools() : (self::$decision ?? self::boot());
        $h = $i->handles[$bytes] ?? self::load($i, $bytes);
        try {
            $p = $i->input($packed);
            $core = $i->core;
            $r = $explain ? $core->scg_explain($h, $p, \strlen($packed)) : $core->scg_decide($h, $p, \strlen($packed));
            $json = $i->result($r);
            if (\strlen($core->mem) > self::MAX_MEMORY) {
                self::drop($i);
            }
        } catch (\Throwable $e) {
            self::drop($i);
            throw $e;
        }
        $d = \json_decode($json, true, 32, \JSON_INVALID_UTF8_SUBSTITUTE);
        if (!\is_array($d) || !isset($d['action'], $d['reason'])) {
            throw new EngineException('the engine returned something that is not a decision: ' . \substr($json, 0, 200));
        }
        return $d;
    }

    /**
     * Compiles a policy from JSON with the full module. The compiled policy stays loaded there, for explain().
     *
     * @throws PolicyException naming the JSON path of the first error
     * @throws EngineException when the compiler itself fails
     */
    public static function compile(string $json): string
    {
        if (isset(self::$compiled[$json])) {
            return self::$compiled[$json];
        }
        $i = self::tools();
        try {
            $c = $i->core;
            $h = $c->scg_policy_compile($i->input($json), \strlen($json));
            if ($h === 0) {
                $e = $i->lastError();
                throw new PolicyException($e['message'], $e['path'], $e['line'], $e['column']);
            }
            $bytes = $i->result($c->scg_policy_to_bytes($h));
            if (isset($i->handles[$bytes]) || \count($i->handles) >= self::MAX_POLICIES) {
                $c->scg_policy_free($h);
            } else {
                $i->handles[$bytes] = $h;
            }
            if (\strlen($c->mem) > self::MAX_MEMORY) {
                self::drop($i);
            }
        } catch (PolicyException $e) {
            throw $e;
        } catch (EngineException $e) {
            self::drop($i);
            throw $e;
        } catch (\Throwable $e) {
            self::drop($i);
            throw new EngineException('sendcloud-gate: the policy compiler failed: ' . $e->getMessage(), 0, $e);
        }
        if (\count(self::$compiled) >= 16) {
            self::$compiled = [];
        }
        return self::$compiled[$json] = $bytes;
    }
}
