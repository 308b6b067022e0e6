<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The decision made before WordPress, in the `auto_prepend_file` mode (Prepend): src/prepend-run.php calls run() with
 * the mode and compiled policy that the prepend file carries, and $_SERVER / $_POST. A `deny` in mode `on` ends the
 * request there with 403; otherwise the decision is kept here so that the request path (Runtime, from the must-use
 * loader) does not decide a second time: Runtime takes it when the mode and the policy it would use are the same.
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

    /**
     * Decides this request with the prepend file's settings; in mode `on` a `deny` ends the request (403).
     *
     * @param mixed $config ['mode' => 'off'|'monitor'|'on', 'policy' => base64 compiled bytes or '',
     *                      'snapshot' => the option Settings::SNAPSHOT_OPTION (absent from older prepend files)]
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
    }
}
