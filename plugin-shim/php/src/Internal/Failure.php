<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Gate;
use SendcloudGate\PolicyException;

/**
 * What Gate does with a failure: the `engine_error` decision, the log line, the factories' EngineException. A class
 * of its own so that a request that fails nowhere does not compile it.
 *
 * @internal Not part of the API; Gate is.
 */
final class Failure
{
    /** The decision (or explanation) of a call that failed: `pass` / `engine_error`, noted and logged. */
    public static function decision(\Throwable $e, bool $explain): array
    {
        $message = self::note($e);
        $d = ['action' => 'pass', 'reason' => Gate::ENGINE_ERROR, 'rule' => null, 'client_ip' => null, 'method' => null];
        if ($explain) {
            $d['trace'] = ['engine error: ' . $message];
            $d['provenance'] = null;
        }
        return $d;
    }

    /**
     * Keeps a failure as Gate::lastEngineError() and logs the first one of the PHP request with error_log(); returns
     * its text, "Class: message".
     */
    public static function note(\Throwable $e): string
    {
        $message = \get_class($e) . ': ' . $e->getMessage();
        Runtime::$lastError = $message;
        if (!Runtime::$logged) {
            Runtime::$logged = true;
            \error_log('sendcloud-gate: engine error, the decision is pass (no opinion): ' . $message);
        }
        return $message;
    }

    /**
     * A factory's failure as what the factory may throw: PolicyException and EngineException as they are, anything
     * else (a ParseError or \Error from a damaged generated file, a TypeError) wrapped in an EngineException that
     * says where it happened.
     *
     * @return PolicyException|EngineException
     */
    public static function exception(string $what, \Throwable $e): \RuntimeException
    {
        if ($e instanceof EngineException || $e instanceof PolicyException) {
            return $e;
        }
        return new EngineException('sendcloud-gate: ' . $what . ': ' . \get_class($e) . ': ' . $e->getMessage()
            . ' (' . $e->getFile() . ':' . $e->getLine() . ')', 0, $e);
    }
}
