<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\CompileCore;
use SendcloudGate\PolicyException;

/**
 * The full core module (CompileCore: the decision engine plus the JSON policy compiler and explain), for
 * Gate::fromPolicyJson() and Gate::explain(). Its translation is three times the decision module's size, so it
 * is a class of its own that an ordinary request never loads. One instance per process, created on first use and
 * dropped after any failure, like Runtime's.
 *
 * @internal Not part of the API; Gate is.
 */
final class Compiler
{
    /** @var Instance|null */
    private static $instance;
    /**
     * @var array<string,array{bytes: string, warnings: list<array{path: string, message: string}>}> policy JSON =>
     *      compiled bytes and warnings, for the last few compiled in this process
     */
    private static $compiled = [];

    private static function instance(): Instance
    {
        if (self::$instance === null) {
            Runtime::check64();
            try {
                Runtime::requireGenerated(CompileCore::class, 'CompileCore.php');
                self::$instance = new Instance(new CompileCore());
            } catch (EngineException $e) {
                throw $e;
            } catch (\Throwable $e) {
                throw new EngineException('sendcloud-gate: the policy compiler failed to start: ' . \get_class($e)
                    . ': ' . $e->getMessage() . ' (' . $e->getFile() . ':' . $e->getLine() . ')', 0, $e);
            }
        }
        return self::$instance;
    }

    /** Drops the instance; the next call starts afresh. */
    public static function reset(): void
    {
        self::$instance = null;
    }

    /**
     * Compiles a policy from JSON: its compiled bytes and its warnings. The compiled policy stays loaded in the
     * instance, for explain().
     *
     * @throws PolicyException naming the JSON path of the first error
     * @throws EngineException when the compiler itself fails
     * @return array{bytes: string, warnings: list<array{path: string, message: string}>}
     */
    public static function compile(string $json): array
    {
        if (isset(self::$compiled[$json])) {
            return self::$compiled[$json];
        }
        $i = self::instance();
        try {
            $c = $i->core;
            $h = $c->scg_policy_compile($i->input($json), \strlen($json));
            if ($h === 0) {
                $e = $i->lastError();
                throw new PolicyException($e['message'], $e['path'], $e['line'], $e['column']);
            }
            $bytes = $i->result($c->scg_policy_to_bytes($h));
            $warnings = self::decodeWarnings($i->result($c->scg_policy_warnings($h)));
            if (isset($i->handles[$bytes]) || $i->isFullFor($bytes)) {
                $c->scg_policy_free($h);
            } else {
                $i->handles[$bytes] = $h;
            }
        } catch (PolicyException $e) {
            throw $e;
        } catch (EngineException $e) {
            self::$instance = null;
            throw $e;
        } catch (\Throwable $e) {
            self::$instance = null;
            throw new EngineException('sendcloud-gate: the policy compiler failed: ' . $e->getMessage(), 0, $e);
        }
        self::shed($i);
        if (\count(self::$compiled) >= 16) {
            self::$compiled = [];
        }
        return self::$compiled[$json] = ['bytes' => $bytes, 'warnings' => $warnings];
    }

    /**
     * The warnings of a compiled policy (loading it into the full module if needed).
     *
     * @throws PolicyException when the bytes are not a compiled policy
     * @throws EngineException when the compiler itself fails
     * @return list<array{path: string, message: string}>
     */
    public static function warnings(string $bytes): array
    {
        $i = self::instance();
        try {
            if ($i->isFullFor($bytes)) {
                self::$instance = null;
                $i = self::instance();
            }
            $warnings = self::decodeWarnings($i->result($i->core->scg_policy_warnings($i->handle($bytes))));
        } catch (PolicyException $e) {
            throw $e;
        } catch (\Throwable $e) {
            self::$instance = null;
            throw $e;
        }
        self::shed($i);
        return $warnings;
    }

    /**
     * The effective policy of compiled bytes (scg_policy_show), decoded.
     *
     * @throws PolicyException when the bytes are not a compiled policy
     * @throws EngineException when the compiler itself fails
     * @return array<string,mixed>
     */
    public static function show(string $bytes): array
    {
        $i = self::instance();
        try {
            if ($i->isFullFor($bytes)) {
                self::$instance = null;
                $i = self::instance();
            }
            $json = $i->result($i->core->scg_policy_show($i->handle($bytes)));
        } catch (PolicyException $e) {
            throw $e;
        } catch (\Throwable $e) {
            self::$instance = null;
            throw $e;
        }
        self::shed($i);
        $policy = \json_decode($json, true, 64, \JSON_INVALID_UTF8_SUBSTITUTE);
        if (!\is_array($policy) || !isset($policy['partners']) || !\is_array($policy['partners'])) {
            throw new EngineException('the engine returned something that is not a policy: ' . \substr($json, 0, 200));
        }
        return $policy;
    }

    /**
     * The engine's warnings JSON (`[{"path", "message"}, ...]`) as a list of ['path' => ..., 'message' => ...].
     *
     * @return list<array{path: string, message: string}>
     */
    private static function decodeWarnings(string $json): array
    {
        $list = \json_decode($json, true, 4, \JSON_INVALID_UTF8_SUBSTITUTE);
        if (!\is_array($list)) {
            throw new EngineException('the engine returned something that is not a list of warnings: ' . \substr($json, 0, 200));
        }
        $out = [];
        foreach ($list as $w) {
            if (!\is_array($w) || !\is_string($w['path'] ?? null) || !\is_string($w['message'] ?? null)) {
                throw new EngineException('the engine returned a warning that is not {"path", "message"}: ' . \substr($json, 0, 200));
            }
            $out[] = ['path' => $w['path'], 'message' => $w['message']];
        }
        return $out;
    }

    /**
     * The explanation of a packed request under a compiled policy: the engine's JSON, decoded. Throws on any engine
     * failure; Gate turns that into `engine_error`.
     */
    public static function explain(string $bytes, string $packed): array
    {
        $i = self::instance();
        try {
            if ($i->isFullFor($bytes)) {
                self::$instance = null;
                $i = self::instance();
            }
            try {
                $h = $i->handle($bytes);
            } catch (PolicyException $e) {
                throw new EngineException($e->getMessage(), 0, $e);
            }
            $json = $i->result($i->core->scg_explain($h, $i->input($packed), \strlen($packed)));
        } catch (\Throwable $e) {
            self::$instance = null;
            throw $e;
        }
        self::shed($i);
        $d = \json_decode($json, true, 32, \JSON_INVALID_UTF8_SUBSTITUTE);
        if (!\is_array($d) || !isset($d['action'], $d['reason'])) {
            throw new EngineException('the engine returned something that is not an explanation: ' . \substr($json, 0, 200));
        }
        return $d;
    }

    /** Drops the instance if a huge input has grown it (Instance::isOversized()). */
    private static function shed(Instance $i): void
    {
        if ($i->isOversized() && $i === self::$instance) {
            self::$instance = null;
        }
    }
}
