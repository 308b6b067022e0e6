<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/** The responder of real requests: 403, a plain-text body, exit before WordPress does any work. */
final class ExitResponder implements Responder
{
    public function block(int $status, string $body): void
    {
        if (!headers_sent()) {
            http_response_code($status);
            header('Content-Type: text/plain; charset=utf-8');
            header('Cache-Control: no-store');
        }
        echo $body;
        exit;
    }
}
