<?php
// Shared by the security-plugin TEST STAND-INS (not the real plugins): which requests they stand in for blocking.

if (!function_exists('scg_stand_in_targets_wc')) {
    /** True for a request to the WooCommerce REST routes (pretty or ?rest_route= form). */
    function scg_stand_in_targets_wc(): bool
    {
        $uri = $_SERVER['REQUEST_URI'] ?? '';
        return strpos($uri, '/wc/v3/') !== false || strpos(rawurldecode($uri), 'rest_route=/wc/v3/') !== false;
    }

    /** The client address as a plugin behind the e2e stack's loopback proxy sees it (X-Forwarded-For's last entry). */
    function scg_stand_in_client_ip(): string
    {
        $xff = $_SERVER['HTTP_X_FORWARDED_FOR'] ?? '';
        if ($xff !== '') {
            $parts = array_map('trim', explode(',', $xff));
            return (string) end($parts);
        }
        return $_SERVER['REMOTE_ADDR'] ?? '';
    }

    function scg_stand_in_refuse(int $status, string $who): void
    {
        status_header($status);
        header('Content-Type: text/plain; charset=utf-8');
        echo "refused by the $who stand-in\n";
        exit;
    }
}
