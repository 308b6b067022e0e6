<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\PolicyException;

/**
 * One instance of a translated core module (DecideCore or CompileCore) as the library drives it: the policies
 * loaded into it (handles keyed by their compiled bytes, so a policy is loaded once per instance), and one input
 * buffer in its memory, reused by every call and grown when a larger input comes (docs/core-abi.md).
 *
 * Methods throw on any failure; Runtime drops an instance that failed and starts a fresh one on the next call.
 *
 * @internal Not part of the API; Gate is.
 */
final class Instance
{
    /** @var \SendcloudGate\Generated\DecideCore|\SendcloudGate\Generated\CompileCore */
    public $core;
    /** @var array<string,int> compiled policy bytes => handle */
    public $handles;
    /** @var int the input buffer in the instance's memory (0: none yet), and its capacity */
    private $buf;
    /** @var int */
    private $cap;

    /**
     * @param \SendcloudGate\Generated\DecideCore|\SendcloudGate\Generated\CompileCore $core
     * @param array<string,int> $handles policies already loaded (a snapshot's)
     */
    public function __construct($core, array $handles = [], int $buf = 0, int $cap = 0)
    {
        if ($core->scg_abi_version() !== \SendcloudGate\Generated\Constants::ABI_VERSION) {
            throw new EngineException('sendcloud-gate: the engine has core ABI ' . $core->scg_abi_version()
                . ', its generated constants say ' . \SendcloudGate\Generated\Constants::ABI_VERSION);
        }
        $this->core = $core;
        $this->handles = $handles;
        $this->buf = $buf;
        $this->cap = $cap;
    }

    /**
     * The handle of a compiled policy, loading it if needed.
     *
     * @throws PolicyException when the bytes are not a compiled policy
     */
    public function handle(string $bytes): int
    {
        $h = $this->handles[$bytes] ?? 0;
        if ($h !== 0) {
            return $h;
        }
        $len = \strlen($bytes);
        $h = $this->core->scg_policy_load($this->input($bytes), $len);
        if ($h === 0) {
            throw new PolicyException($this->lastError()['message']);
        }
        return $this->handles[$bytes] = $h;
    }

    /** Whether loading $bytes would pass Runtime::MAX_POLICIES: an instance that full is started afresh instead. */
    public function isFullFor(string $bytes): bool
    {
        return !isset($this->handles[$bytes]) && \count($this->handles) >= Runtime::MAX_POLICIES;
    }

    /** Whether a huge input has grown the memory past Runtime::MAX_MEMORY: the instance is dropped after the call. */
    public function isOversized(): bool
    {
        return \strlen($this->core->mem) > Runtime::MAX_MEMORY;
    }

    /** Copies $data into the input buffer (growing it if needed) and returns the buffer's address. */
    public function input(string $data): int
    {
        $len = \strlen($data);
        if ($len > $this->cap) {
            $core = $this->core;
            $core->scg_free($this->buf, $this->cap);
            $cap = \max($len, 2 * $this->cap, 4096);
            $this->buf = $core->scg_alloc($cap);
            $this->cap = $this->buf === 0 ? 0 : $cap;
            if ($this->buf === 0) {
                throw new EngineException('the engine could not allocate ' . $cap . ' bytes');
            }
        }
        $this->core->writeMemory($this->buf, $data);
        return $this->buf;
    }

    /** The bytes of a result (`ptr << 32 | len`); a result of 0 throws with the engine's last error. */
    public function result(int $r): string
    {
        if ($r === 0) {
            throw new EngineException('the engine gave no result: ' . $this->lastError()['message']);
        }
        return $this->core->readMemory(($r >> 32) & 0xFFFFFFFF, $r & 0xFFFFFFFF);
    }

    /** @return array{message: string, path: string, line: int, column: int} */
    public function lastError(): array
    {
        $r = $this->core->scg_last_error();
        $e = \json_decode($this->core->readMemory(($r >> 32) & 0xFFFFFFFF, $r & 0xFFFFFFFF), true, 4, \JSON_INVALID_UTF8_SUBSTITUTE);
        return [
            'message' => (string) ($e['message'] ?? 'unknown error'),
            'path' => (string) ($e['path'] ?? ''),
            'line' => (int) ($e['line'] ?? 0),
            'column' => (int) ($e['column'] ?? 0),
        ];
    }
}
