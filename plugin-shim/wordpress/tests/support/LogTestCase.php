<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Adapters\Registry;
use SendcloudGate\WordPress\Log\DecisionLog;
use SendcloudGate\WordPress\Log\Hooks;

require_once __DIR__ . '/PluginTestCase.php';
require_once __DIR__ . '/wpdb-test-stand-in.php';

/** PluginTestCase with the $wpdb / WP-Cron test stand-in installed as the global $wpdb. */
abstract class LogTestCase extends PluginTestCase
{
    /** @var WpdbTestStandIn */
    protected $db;

    protected function setUp(): void
    {
        parent::setUp();
        WpCronTestStandIn::reset();
        DecisionLog::resetForTests();
        Hooks::reset();
        Registry::reset();
        $this->db = new WpdbTestStandIn();
        $GLOBALS['wpdb'] = $this->db;
    }

    protected function tearDown(): void
    {
        unset($GLOBALS['wpdb'], $GLOBALS['wp_filter']);
        // Plugin::activate() writes the must-use loader under this process's ABSPATH (tests/bootstrap.php).
        exec('rm -rf ' . escapeshellarg(ABSPATH));
        parent::tearDown();
    }

    /** @return list<string> the queries sent that start with $verb (INSERT, SELECT, DELETE, DROP) */
    protected function queries(string $verb): array
    {
        return array_values(array_filter($this->db->queries, static function (string $q) use ($verb): bool {
            return stripos(ltrim($q), $verb) === 0;
        }));
    }
}
