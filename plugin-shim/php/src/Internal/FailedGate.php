<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Gate;

/**
 * What Gate::defaultOrPass() and Gate::fromCompiledOrPass() return when they cannot make a working Gate: every
 * decide(), decideRequest() and explain() answers `pass` / `engine_error` (through Gate's own failure path, which
 * keeps lastEngineError() and logs once per PHP request), warnings() is empty and loadFailure() says why.
 *
 * @internal Not part of the API: a Gate is all a caller sees.
 */
final class FailedGate extends Gate
{
    /** @var string */
    private $failure = '';

    public static function of(string $bytes, string $failure): self
    {
        $g = new self($bytes, []);
        $g->failure = $failure;
        return $g;
    }

    public function loadFailure(): ?string
    {
        return $this->failure;
    }

    protected function run(string $packed, bool $explain): array
    {
        throw new EngineException('the gate could not be made: ' . $this->failure);
    }
}
