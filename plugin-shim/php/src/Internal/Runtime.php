<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\PolicyException;

/**
 * The engine instances behind every Gate of this PHP process (one request under PHP-FPM):
 *
 * - the decision module (DecideCore: load compiled policies, decide), the only engine a request loads. Its first
 *   instance starts from the snapshot the build took right after loading the default policy
 *   (generated/default-snapshot.php), so Gate::default() costs no policy load at run time;
 * - the full module (CompileCore: also compile from JSON, explain), a file three times the size, is Compiler's:
 *   loaded only by Gate::fromPolicyJson() and explain(), which a plugin uses when a policy is saved or in its
 *   admin pages, never on an ordinary request.
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
    /** @var string|null */
    private static $defaultBytes;

    /** @var string|null the last engine error of this process, "Class: message" */
    public static $lastError;
    /** @var bool whether an engine error was already logged in this PHP request */
    public static $logged = false;

    /**
     * The directory of the generated files: plugin-shim/php/generated/, or the constant SENDCLOUD_GATE_GENERATED_DIR
     * when it is defined before the engine's first use (a host that ships generated/ elsewhere; the tests, which
     * point a child process at a damaged copy).
     */
    public static function dir(): string
    {
        if (\defined('SENDCLOUD_GATE_GENERATED_DIR')) {
            return \rtrim((string) \constant('SENDCLOUD_GATE_GENERATED_DIR'), '/\\') . '/';
        }
        return \dirname(__DIR__, 2) . '/generated/';
    }

    /** The decision module's instance, created on first use. */
    public static function core(): DecideCore
    {
        return (self::$decision ?? self::boot())->core;
    }

    /**
     * Starts the decision instance from the build's default-policy snapshot (generated/default-snapshot.php,
     * trusted: no checks beyond its engine id), or empty without one; startFrom() starts it from another.
     */
    private static function boot(): Instance
    {
        self::check64();
        $dir = self::dir();
        try {
            // A damaged DecideCore.php is a ParseError here, a missing class an \Error below: both EngineExceptions.
            self::requireGenerated(DecideCore::class, 'DecideCore.php');
            $core = new DecideCore();
            $default = \is_file($dir . 'default-snapshot.php') ? require $dir . 'default-snapshot.php' : null;
            if (!Snapshot::isForThisEngine($default)) {
                return self::$decision = new Instance($core);
            }
            self::$defaultBytes = $default['bytes'];
            return self::$decision = Snapshot::apply($core, $default);
        } catch (EngineException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw new EngineException('sendcloud-gate: the engine failed to start: ' . \get_class($e) . ': '
                . $e->getMessage() . ' (' . $e->getFile() . ':' . $e->getLine() . ')', 0, $e);
        }
    }

    /**
     * Makes the decision instance one with the snapshot's policy loaded: nothing to do when the instance has it
     * already, else a fresh instance started from the snapshot (the policies of the one it replaces are loaded again
     * when next used). Returns false, changing nothing, when the snapshot is not one this engine can start from
     * (another engine's, damaged, not a snapshot): the caller then loads its bytes the ordinary way.
     *
     * @param mixed $snapshot
     * @throws EngineException when the engine cannot start here
     */
    public static function startFrom($snapshot): bool
    {
        if (!Snapshot::isForThisEngine($snapshot)) {
            return false;
        }
        $bytes = $snapshot['bytes'] ?? null;
        if (\is_string($bytes) && self::$decision !== null && isset(self::$decision->handles[$bytes])) {
            return true;
        }
        try {
            $core = self::freshCoreFor($snapshot);
            if ($core === null) {
                return false;
            }
            self::$decision = Snapshot::apply($core, $snapshot);
        } catch (EngineException $e) {
            throw $e;
        } catch (\Throwable $e) {
            throw new EngineException('sendcloud-gate: the engine failed to start: ' . \get_class($e) . ': '
                . $e->getMessage(), 0, $e);
        }
        return true;
    }

    /**
     * A fresh decision instance that $snapshot can be applied to, or null when it cannot (another engine's, damaged,
     * not a snapshot: Snapshot::problem()).
     *
     * @param mixed $snapshot
     * @throws EngineException when the engine cannot run here
     */
    public static function freshCoreFor($snapshot): ?DecideCore
    {
        if (!Snapshot::isForThisEngine($snapshot)) {
            return null;
        }
        self::check64();
        self::requireGenerated(DecideCore::class, 'DecideCore.php');
        $core = new DecideCore();
        return Snapshot::problem($snapshot, $core) === null ? $core : null;
    }

    /** Drops the instances (this one and the policy compiler's); the next call starts afresh. */
    public static function reset(): void
    {
        self::$decision = null;
        Compiler::reset();
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
        $i = self::$decision ?? self::boot();
        if ($i->isFullFor($bytes)) {
            $i = self::boot();
        }
        try {
            return $i->handle($bytes);
        } catch (PolicyException $e) {
            throw $e; // the bytes are bad, not the instance
        } catch (\Throwable $e) {
            self::$decision = null;
            throw $e;
        }
    }

    /**
     * One decision of a packed request under a compiled policy, as the contract's array: from the engine's fields
     * form (docs/core-abi.md: five (pointer, length) pairs locating each value in the engine's memory, length
     * 0xFFFFFFFF for null), read straight out of the memory string. Throws on any engine failure; Gate turns that
     * into `engine_error`.
     */
    public static function decide(string $bytes, string $packed): array
    {
        $i = self::$decision ?? self::boot();
        $h = $i->handles[$bytes] ?? self::handle($bytes);
        $i = self::$decision;
        try {
            $r = $i->core->scg_decide_fields($h, $i->input($packed), \strlen($packed));
        } catch (\Throwable $e) {
            self::$decision = null;
            throw $e;
        }
        // A local copy of the memory string is safe here: it is gone before the engine's next write (which would
        // otherwise copy all of it).
        $m = $i->core->mem;
        $size = \strlen($m);
        $at = ($r >> 32) & 0xFFFFFFFF;
        if ($r === 0 || ($r & 0xFFFFFFFF) !== 40 || $at > $size - 40) {
            self::$decision = null;
            throw new EngineException($r === 0
                ? 'the engine gave no result: ' . $i->lastError()['message']
                : 'the engine returned something that is not a decision (result ' . $r . ')');
        }
        [1 => $p0, 2 => $n0, 3 => $p1, 4 => $n1, 5 => $p2, 6 => $n2, 7 => $p3, 8 => $n3, 9 => $p4, 10 => $n4]
            = \unpack('V10', $m, $at);
        $null = 0xFFFFFFFF;
        // Every value inside memory; action and reason never null (a null's length would put them past the end).
        if (\max($p0 + $n0, $p1 + $n1, $n2 === $null ? 0 : $p2 + $n2, $n3 === $null ? 0 : $p3 + $n3,
                $n4 === $null ? 0 : $p4 + $n4) > $size) {
            self::$decision = null;
            throw new EngineException('the engine returned something that is not a decision: '
                . \bin2hex(\substr($m, $at, 40)));
        }
        $d = [
            'action' => \substr($m, $p0, $n0),
            'reason' => \substr($m, $p1, $n1),
            'rule' => $n2 === $null ? null : \substr($m, $p2, $n2),
            'client_ip' => $n3 === $null ? null : \substr($m, $p3, $n3),
            'method' => $n4 === $null ? null : \substr($m, $p4, $n4),
        ];
        unset($m);
        if ($i->isOversized()) {
            self::$decision = null;
        }
        return $d;
    }

    /** Fails unless PHP integers are 64 bits wide (the translated engine needs them). */
    public static function check64(): void
    {
        if (\PHP_INT_SIZE !== 8) {
            throw new EngineException(
                'sendcloud-gate needs a 64-bit PHP build (PHP_INT_SIZE is ' . \PHP_INT_SIZE . ')'
            );
        }
    }

    /** Loads a generated class's file (generated/$file) unless the class is loaded already. */
    public static function requireGenerated(string $class, string $file): void
    {
        if (!\class_exists($class, false)) {
            $path = self::dir() . $file;
            if (!\is_file($path)) {
                throw new EngineException('sendcloud-gate: ' . $path . ' is missing: build it with `make php`');
            }
            require_once $path;
        }
    }
}
