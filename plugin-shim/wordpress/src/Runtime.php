<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The request path: hands the library PHP's view of the request ($_SERVER, $_POST) with the compiled policy stored at
 * save time, and acts on the decision. No decision logic here: the decision is the library's.
 *
 * In the auto_prepend_file mode (Prepend) the request was decided before WordPress (Early) and that decision is
 * taken here when it was made with the mode and policy in force: the library decides once per request.
 *
 * Mode `off`: nothing is decided. `monitor`: decided and logged, nothing changed. `on`: a `deny` ends the request
 * with 403; an `allow` lets the request through the active security plugins (Adapters\Registry); `pass` changes
 * nothing.
 *
 * Never throws. A failure is `pass` with one error_log() line: the library logs its own (corrupt bytes, missing
 * generated files, as `engine_error`); this class logs what fails around it.
 */
final class Runtime
{
    public const BLOCK_BODY = "Forbidden: this request was blocked by Sendcloud Gate.\n";

    /** @var self|null */
    private static $current;

    /** @var array<string,mixed> */
    private $server;
    /** @var array<string,mixed> */
    private $post;
    /** @var Responder */
    private $responder;
    /** @var bool */
    private $decided = false;
    /** @var array<string,mixed>|null */
    private $decision;
    /** @var bool whether a decision made before WordPress (Early) for this very request may be taken */
    private $early;

    /**
     * @param array<string,mixed> $server
     * @param array<string,mixed> $post
     */
    public function __construct(array $server, array $post, ?Responder $responder = null, bool $early = false)
    {
        $this->server = $server;
        $this->post = $post;
        $this->responder = $responder ?? new ExitResponder();
        $this->early = $early;
    }

    /** The runtime of the current PHP request ($_SERVER, $_POST, the exiting responder). */
    public static function current(): self
    {
        if (self::$current === null) {
            self::$current = new self($_SERVER, $_POST, null, true);
        }
        return self::$current;
    }

    /** For tests: forget the current request's runtime. */
    public static function reset(): void
    {
        self::$current = null;
    }

    /** The mode in force: `off`, `monitor` or `on` (`off` when the settings cannot be read). */
    public function mode(): string
    {
        try {
            return Settings::load()['mode'];
        } catch (\Throwable $e) {
            self::log('settings could not be read, the gate is off for this request: ' . self::describe($e));
            return 'off';
        }
    }

    /**
     * This request's decision (memoised), or null in mode `off`.
     *
     * @return array<string,mixed>|null
     */
    public function decision(): ?array
    {
        if ($this->decided) {
            return $this->decision;
        }
        $this->decided = true;
        $mode = $this->mode();
        if ($mode === 'off') {
            return $this->decision = null;
        }
        try {
            $stored = get_option(Settings::COMPILED_OPTION, null);
            // Decided before WordPress (the auto_prepend_file mode) with these settings: not a second time.
            if ($this->early && class_exists(Early::class, false)) {
                [$found, $decision] = Early::decisionFor($mode, $stored);
                if ($found) {
                    return $this->decision = $decision;
                }
            }
            // Stored bytes that are not base64 (false) or not a string go to the library as they are: it answers
            // `pass` / `engine_error` and logs why. Null (nothing stored) is the default policy.
            $bytes = is_string($stored) ? base64_decode($stored, true) : $stored;
            $this->decision = Settings::gate($bytes, get_option(Settings::SNAPSHOT_OPTION, ''))->decide($this->server, $this->post);
        } catch (\Throwable $e) {
            self::log('no decision, pass: ' . self::describe($e));
            $this->decision = ['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null, 'method' => null];
        }
        return $this->decision;
    }

    /**
     * Acts on the decision, once per request: logs it when it belongs in the decision log (Log\DecisionLog: one
     * INSERT, in `monitor` too; in the auto_prepend_file mode instead of the row Early would spool); in mode `on`, an `allow` lets the request through each active security plugin
     * (Adapters\Registry) and a `deny` ends the request with 403. Returns only when it does not.
     */
    public function enforce(): void
    {
        // WordPress loaded: what this request path logs is the request's row, not the one kept before WordPress.
        if ($this->early && class_exists(Early::class, false)) {
            Early::claim();
        }
        $decision = $this->decision();
        if ($decision === null) {
            return;
        }
        $action = $decision['action'] ?? null;
        // An ordinary page view (pass / no_match) is never logged: skip even loading the log's class for it.
        if ($action !== 'pass' || ($decision['reason'] ?? null) !== 'no_match') {
            Log\DecisionLog::record($decision, $this->server);
        }
        if ($action === 'pass' || $this->mode() !== 'on') {
            return;   // monitor: decided and logged, nothing changed
        }
        if ($action === 'allow') {
            Adapters\Registry::applyAll($decision);
            return;
        }
        if ($action === 'deny') {
            $this->responder->block(403, self::BLOCK_BODY);
        }
    }

    private static function describe(\Throwable $e): string
    {
        return get_class($e) . ': ' . $e->getMessage();
    }

    private static function log(string $message): void
    {
        error_log('sendcloud-gate: ' . $message);
    }
}
