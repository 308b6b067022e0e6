<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/** Ends a request that the gate blocks. The real one exits; tests give Runtime one that records instead. */
interface Responder
{
    /** Sends $status with a short plain-text $body and ends the request (the real responder does not return). */
    public function block(int $status, string $body): void;
}
