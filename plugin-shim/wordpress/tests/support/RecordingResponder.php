<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Responder;

/** Test responder: records the block instead of sending it and exiting. */
final class RecordingResponder implements Responder
{
    /** @var list<array{0: int, 1: string}> */
    public $blocked = [];

    public function block(int $status, string $body): void
    {
        $this->blocked[] = [$status, $body];
    }
}
