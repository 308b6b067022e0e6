<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use PHPUnit\Framework\TestCase;
use SendcloudGate\WordPress\Runtime;

/** Resets the WordPress test stand-in and the runtime, and sends error_log() to a file per test. */
abstract class PluginTestCase extends TestCase
{
    public const SENDCLOUD_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
    public const SENDCLOUD_IP = '94.232.247.10';

    /** @var string */
    private $log;
    /** @var string|false */
    private $oldLog;

    protected function setUp(): void
    {
        WpTestStandIn::reset();
        Runtime::reset();
        // A site has a wp-content directory (the decision log's spool goes there when there is no $wpdb).
        @mkdir(ABSPATH . 'wp-content', 0755, true);
        $this->log = (string) tempnam(sys_get_temp_dir(), 'scg-wp-log');
        $this->oldLog = ini_set('error_log', $this->log);
    }

    protected function tearDown(): void
    {
        ini_set('error_log', (string) $this->oldLog);
        @unlink($this->log);
        exec('rm -rf ' . escapeshellarg(ABSPATH));
    }

    /** @return list<string> this test's error_log() lines */
    protected function logLines(): array
    {
        return file($this->log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [];
    }

    /** @return array<string,string> $_SERVER of a request */
    protected static function server(string $ip, string $method, string $ua, string $uri = '/wp-json/wc/v3/orders/12'): array
    {
        return ['REMOTE_ADDR' => $ip, 'REQUEST_METHOD' => $method, 'REQUEST_URI' => $uri, 'HTTP_USER_AGENT' => $ua];
    }
}
