<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The decision made before WordPress, in the `auto_prepend_file` mode (Prepend): src/prepend-run.php calls run() with
 * the mode and compiled policy that the prepend file carries, and $_SERVER / $_POST. A `deny` in mode `on` ends the
 * request there with 403; otherwise the decision is kept here so that the request path (Runtime, from the must-use
 * loader) does not decide a second time: Runtime takes it when the mode and the policy it would use are the same.
 *
 * A decision that belongs in the decision log (Log\DecisionLog::isRelevant(): the engine had an opinion, or the request
 * concerns a partner) is written to the log's spool (Log\Spool, the file the prepend file names) when the request
 * ends — unless the request path took charge of logging first (claim(), from Runtime::enforce(), once WordPress
 * loaded): so a `deny` that ends the request here, or a request to a PHP script that never loads WordPress, still
 * reaches the log (imported on the next WordPress load), and a request that reaches WordPress is logged once. An
 * ordinary page view (`pass` / `no_match`) costs nothing more.
 *
 * Plain PHP: no WordPress function is available when run() is called. Never throws: a failure is `pass` with one
 * error_log() line (the library logs its own failures, as `engine_error`).
 */
final class Early
{
    /** @var bool */
    private static $decided = false;
    /** @var string|null */
    private static $mode;
    /** @var string|null the compiled policy, base64, as stored in the option Settings::COMPILED_OPTION */
    private static $policy;
    /** @var array<string,mixed>|null */
    private static $decision;
    /** @var array{row: array<string,string>, spool: string}|null the log row to spool when the request ends */
    private static $pending;
    /** @var bool */
    private static $flushRegistered = false;

    /**
     * Decides this request with the prepend file's settings; in mode `on` a `deny` ends the request (403).
     *
     * @param mixed $config ['mode' => 'off'|'monitor'|'on', 'policy' => base64 compiled bytes or '',
     *                      'snapshot' => the option Settings::SNAPSHOT_OPTION, 'spool' => the log's spool file
     *                      (both absent from older prepend files; without a spool nothing is spooled)]
     * @param array<string,mixed> $server
     * @param array<string,mixed> $post
     */
    public static function run($config, array $server, array $post, ?Responder $responder = null): void
    {
        if (self::$decided || !is_array($config)) {
            return;
        }
        $mode = is_string($config['mode'] ?? null) ? $config['mode'] : 'off';
        $policy = is_string($config['policy'] ?? null) ? $config['policy'] : '';
        self::$decided = true;
        self::$mode = $mode;
        self::$policy = $policy;
        if ($mode !== 'monitor' && $mode !== 'on') {
            self::$decision = null;
            return;
        }
        try {
            // Bytes that are not base64 go to the library as they are (false): it answers `pass` / `engine_error`
            // and logs why. '' is what a site without compiled bytes stores: the default policy.
            $bytes = $policy === '' ? null : base64_decode($policy, true);
            self::$decision = Settings::gate($bytes, $config['snapshot'] ?? null)->decide($server, $post);
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: before WordPress: no decision, pass: ' . get_class($e) . ': ' . $e->getMessage());
            self::$decision = ['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null, 'method' => null];
        }
        self::spoolLater(self::$decision, $server, is_string($config['spool'] ?? null) ? $config['spool'] : '');
        if ($mode === 'on' && (self::$decision['action'] ?? null) === 'deny') {
            ($responder ?? new ExitResponder())->block(403, Runtime::BLOCK_BODY);
        }
    }

    /**
     * The decision made before WordPress, when it was made with $mode and $policy (what the request path would use):
     * [true, decision or null] — else [false, null] (not prepended, or the prepend file's settings are not the ones
     * in force: the request path decides itself).
     *
     * @param mixed $policy the stored option's value
     * @return array{0: bool, 1: array<string,mixed>|null}
     */
    public static function decisionFor(string $mode, $policy): array
    {
        if (!self::$decided || self::$mode !== $mode || self::$policy !== (is_string($policy) ? $policy : '')) {
            return [false, null];
        }
        return [true, self::$decision];
    }

    /**
     * The request path takes charge of logging this request (Runtime::enforce(), WordPress loaded): the early decision
     * is not spooled.
     */
    public static function claim(): void
    {
        self::$pending = null;
    }

    /**
     * Writes the pending row to the spool (at the end of the request: register_shutdown_function(), which also runs
     * after the 403's exit). Does nothing when there is none or the request path claimed it. Never throws.
     */
    public static function flush(): void
    {
        $pending = self::$pending;
        self::$pending = null;
        if ($pending === null) {
            return;
        }
        try {
            Log\Spool::append($pending['row'], $pending['spool']);
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: before WordPress: the decision could not be spooled: ' . get_class($e) . ': ' . $e->getMessage());
        }
    }

    /** For tests: the row waiting to be spooled, or null. */
    public static function pendingRow(): ?array
    {
        return self::$pending['row'] ?? null;
    }

    /**
     * Keeps the log row of $decision for flush() when it belongs in the log and there is a spool to write it to.
     *
     * @param array<string,mixed>|null $decision
     * @param array<string,mixed> $server
     */
    private static function spoolLater(?array $decision, array $server, string $spool): void
    {
        // An ordinary page view is never logged: not even the log's class is loaded for it.
        if ($spool === '' || $decision === null
            || (($decision['action'] ?? null) === 'pass' && ($decision['reason'] ?? null) === 'no_match')) {
            return;
        }
        try {
            if (!Log\DecisionLog::isRelevant($decision)) {
                return;
            }
            self::$pending = ['row' => Log\DecisionLog::row($decision, $server, time()), 'spool' => $spool];
            if (!self::$flushRegistered) {
                self::$flushRegistered = true;
                register_shutdown_function([self::class, 'flush']);
            }
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: before WordPress: the decision could not be spooled: ' . get_class($e) . ': ' . $e->getMessage());
        }
    }

    /** True when this request was decided before WordPress. */
    public static function ran(): bool
    {
        return self::$decided;
    }

    /** For tests. */
    public static function reset(): void
    {
        self::$decided = false;
        self::$mode = null;
        self::$policy = null;
        self::$decision = null;
        self::$pending = null;
    }
}
