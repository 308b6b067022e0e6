<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Log\DecisionLog;
use SendcloudGate\WordPress\Log\Hooks;
use SendcloudGate\WordPress\Log\Spool;
use SendcloudGate\WordPress\Plugin;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/LogTestCase.php';

final class DecisionLogTest extends LogTestCase
{
    private const ALLOW = ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10', 'method' => 'PATCH'];

    /** @return iterable<string,array{0: array<string,mixed>, 1: bool}> */
    public static function decisions(): iterable
    {
        yield 'allow' => [self::ALLOW, true];
        yield 'deny by a site rule' => [['action' => 'deny', 'reason' => 'rule_match', 'rule' => 'r', 'client_ip' => '1.2.3.4', 'method' => 'GET'], true];
        yield 'impersonation logged' => [['action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'GET'], true];
        yield 'partner method not allowed' => [['action' => 'pass', 'reason' => 'method_not_allowed', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10', 'method' => 'PUT'], true];
        yield "partner's address, other User-Agent" => [['action' => 'pass', 'reason' => 'ua_mismatch', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10', 'method' => 'GET'], true];
        yield 'page view' => [['action' => 'pass', 'reason' => 'no_match', 'rule' => null, 'client_ip' => '198.51.100.1', 'method' => 'GET'], false];
        yield 'malformed' => [['action' => 'pass', 'reason' => 'malformed_input', 'rule' => null, 'client_ip' => null, 'method' => null], false];
        yield 'engine error' => [['action' => 'pass', 'reason' => 'engine_error', 'rule' => null, 'client_ip' => null, 'method' => null], false];
    }

    /**
     * @dataProvider decisions
     * @param array<string,mixed> $decision
     */
    public function testOneInsertForRelevantDecisionsOnly(array $decision, bool $logged): void
    {
        self::assertSame($logged, DecisionLog::isRelevant($decision));
        DecisionLog::record($decision, self::server('94.232.247.10', 'PATCH', self::SENDCLOUD_UA));
        self::assertCount($logged ? 1 : 0, $this->db->queries, implode("\n", $this->db->queries));
        if ($logged) {
            self::assertStringStartsWith('INSERT INTO `wp_sendcloud_gate_log`', $this->db->queries[0]);
        }
        self::assertSame([], $this->logLines());
    }

    public function testRowKeepsThePathWithoutQueryTheEffectiveMethodAndUtcTime(): void
    {
        $row = DecisionLog::row(
            ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10', 'method' => 'DELETE'],
            ['REMOTE_ADDR' => '127.0.0.1', 'REQUEST_METHOD' => 'POST', 'REQUEST_URI' => '/wp-json/wc/v3/orders/12?_method=DELETE&consumer_secret=cs_x', 'HTTP_USER_AGENT' => self::SENDCLOUD_UA],
            86400 * 365
        );
        self::assertSame([
            'created_at' => '1971-01-01 00:00:00',
            'client_ip' => '94.232.247.10',
            'method' => 'DELETE',
            'path' => '/wp-json/wc/v3/orders/12',
            'user_agent' => self::SENDCLOUD_UA,
            'action' => 'allow',
            'reason' => 'partner_match',
            'rule' => 'sendcloud',
        ], $row);
    }

    public function testRowFallsBackToThePeerAndRequestMethodAndCutsLongValuesOnCharacterBoundaries(): void
    {
        $ua = str_repeat('é', 200);   // 400 bytes
        $row = DecisionLog::row(
            ['action' => 'deny', 'reason' => 'rule_match', 'rule' => null, 'client_ip' => null, 'method' => null],
            ['REMOTE_ADDR' => '2001:db8::1', 'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/' . str_repeat('a', 400), 'HTTP_USER_AGENT' => $ua],
            0
        );
        self::assertSame(['2001:db8::1', 'GET', ''], [$row['client_ip'], $row['method'], $row['rule']]);
        self::assertSame(255, strlen($row['path']));
        self::assertLessThanOrEqual(255, strlen($row['user_agent']));
        self::assertTrue(mb_check_encoding($row['user_agent'], 'UTF-8'));
    }

    public function testTheInsertIsPreparedWithEveryValue(): void
    {
        DecisionLog::record(self::ALLOW, self::server('94.232.247.10', 'PATCH', "it's \"quoted\"", '/x?a=1'));
        $sql = $this->db->queries[0];
        self::assertStringContainsString("'94.232.247.10', 'PATCH', '/x', 'it\\'s \\\"quoted\\\"', 'allow', 'partner_match', 'sendcloud')", $sql);
        self::assertFalse($this->db->suppressed, 'error suppression is restored');
    }

    public function testADatabaseFailureIsOneLogLineAndNeverThrows(): void
    {
        $this->db->queryResult = false;
        $this->db->failure = "Table 'wp.wp_sendcloud_gate_log' doesn't exist";
        DecisionLog::record(self::ALLOW, self::server('94.232.247.10', 'PATCH', self::SENDCLOUD_UA));
        DecisionLog::record(self::ALLOW, self::server('94.232.247.10', 'DELETE', self::SENDCLOUD_UA));
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString("sendcloud-gate: the decision could not be logged: Table 'wp.wp_sendcloud_gate_log' doesn't exist", $lines[0]);
    }

    public function testWithoutWpdbTheRowIsSpooledAndInsertedOncePluginsHaveLoaded(): void
    {
        unset($GLOBALS['wpdb']);
        $deny = ['action' => 'deny', 'reason' => 'impersonation', 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'PATCH'];
        DecisionLog::record($deny, self::server('127.0.0.1', 'PATCH', self::SENDCLOUD_UA, '/wp-json/wc/v3/orders/12?consumer_secret=cs_x'));
        self::assertSame([], $this->db->queries);
        $spool = (string) file_get_contents(Hooks::spoolPath());
        self::assertStringContainsString('"client_ip":"203.0.113.7"', $spool);
        self::assertStringNotContainsString('cs_x', $spool);

        // The request goes on (or the next one comes): plugins_loaded imports the spool.
        $GLOBALS['wpdb'] = $this->db;
        Hooks::register();
        foreach (WpTestStandIn::$actions['plugins_loaded'] as $callback) {
            $callback();
        }
        $inserts = $this->queries('INSERT');
        self::assertCount(1, $inserts);
        self::assertStringContainsString("'203.0.113.7', 'PATCH', '/wp-json/wc/v3/orders/12', '" . self::SENDCLOUD_UA . "', 'deny', 'impersonation', 'sendcloud')", $inserts[0]);
        self::assertSame(Spool::HEADER, file_get_contents(Hooks::spoolPath()), 'truncated to its header');
        self::assertSame([], $this->logLines());
    }

    public function testQueryFiltersArePlaceholdersAndPagesAreOffsets(): void
    {
        $this->db->answers = ['42', [['id' => '9', 'action' => 'deny']]];
        $r = DecisionLog::query(['action' => 'deny', 'reason' => "impersonation' OR 1=1 --", 'sendcloud_not_allowed' => true], 3, 20);
        self::assertSame(['rows' => [['id' => '9', 'action' => 'deny']], 'total' => 42], $r);
        self::assertSame(
            "SELECT COUNT(*) FROM `wp_sendcloud_gate_log` WHERE 1=1 AND action = 'deny' AND reason = 'impersonation\\' OR 1=1 --' AND rule = 'sendcloud' AND action <> 'allow'",
            $this->db->queries[0]
        );
        self::assertStringEndsWith("ORDER BY id DESC LIMIT 20 OFFSET 40", $this->db->queries[1]);
    }

    public function testQueryWithoutFiltersAndAnUnknownActionIsEveryRow(): void
    {
        $this->db->answers = ['0', []];
        self::assertSame(['rows' => [], 'total' => 0], DecisionLog::query(['action' => 'drop table'], 0, 0));
        self::assertSame('SELECT COUNT(*) FROM `wp_sendcloud_gate_log` WHERE 1=1', $this->db->queries[0]);
        self::assertStringEndsWith('WHERE 1=1 ORDER BY id DESC LIMIT 1 OFFSET 0', $this->db->queries[1]);
    }

    public function testCountsByActionAndTheLastPartnerRequest(): void
    {
        $this->db->answers = [[['action' => 'allow', 'n' => '5'], ['action' => 'pass', 'n' => '2']], ['id' => '7', 'method' => 'PATCH']];
        self::assertSame(['allow' => 5, 'deny' => 0, 'pass' => 2], DecisionLog::countsByAction(7));
        self::assertSame(['id' => '7', 'method' => 'PATCH'], DecisionLog::lastPartnerRequest());
        self::assertStringContainsString("WHERE rule = 'sendcloud' ORDER BY id DESC LIMIT 1", $this->db->queries[1]);
        self::assertNull(DecisionLog::lastPartnerRequest(), 'an empty log');
    }

    public function testCsvHasAHeaderAndDefusesFormulas(): void
    {
        $this->db->answers = [[
            ['id' => '2', 'created_at' => '2026-12-02 10:00:00', 'client_ip' => '203.0.113.7', 'method' => 'GET', 'path' => '/x',
             'user_agent' => '=HYPERLINK("http://e.example")', 'action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud'],
        ]];
        $csv = DecisionLog::csv(['action' => 'pass']);
        self::assertSame(
            "id,created_at,client_ip,method,path,user_agent,action,reason,rule\n"
            . "2,\"2026-12-02 10:00:00\",203.0.113.7,GET,/x,\"'=HYPERLINK(\"\"http://e.example\"\")\",pass,impersonation,sendcloud\n",
            $csv
        );
        self::assertStringEndsWith("WHERE 1=1 AND action = 'pass' ORDER BY id DESC LIMIT 10000", $this->db->queries[0]);
    }

    public function testPruneDeletesByDaysThenKeepsTheNewestRows(): void
    {
        Settings::save(['mode' => 'monitor', 'log_max_rows' => 500, 'log_days' => 7]);
        $this->db->queryResult = 3;
        $this->db->answers = ['1234'];
        self::assertSame(6, DecisionLog::prune());
        self::assertMatchesRegularExpression("/^DELETE FROM `wp_sendcloud_gate_log` WHERE created_at < '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d'$/", $this->db->queries[0]);
        $cutoff = substr($this->db->queries[0], -20, 19);
        self::assertEqualsWithDelta(time() - 7 * 86400, strtotime($cutoff . ' UTC'), 5);
        self::assertSame('SELECT id FROM `wp_sendcloud_gate_log` ORDER BY id DESC LIMIT 1 OFFSET 500', $this->db->queries[1]);
        self::assertSame('DELETE FROM `wp_sendcloud_gate_log` WHERE id <= 1234', $this->db->queries[2]);
    }

    public function testPruneWithFewerRowsThanTheBoundDeletesOnlyOldOnes(): void
    {
        $this->db->queryResult = 0;
        $this->db->answers = [null];
        self::assertSame(0, DecisionLog::prune());
        self::assertCount(2, $this->db->queries);
    }

    public function testInstallRunsDbDeltaRecordsTheVersionAndSchedulesPruning(): void
    {
        DecisionLog::install();
        self::assertCount(1, WpCronTestStandIn::$dbDelta);
        $schema = WpCronTestStandIn::$dbDelta[0];
        self::assertStringStartsWith("CREATE TABLE wp_sendcloud_gate_log (\n", $schema);
        foreach (['created_at datetime', 'client_ip varchar(45)', 'method varchar(16)', 'path varchar(255)', 'user_agent varchar(255)',
                  'action varchar(8)', 'reason varchar(40)', 'rule varchar(64)', 'PRIMARY KEY  (id)', 'KEY created_at (created_at)'] as $part) {
            self::assertStringContainsString($part, $schema);
        }
        self::assertSame(DecisionLog::DB_VERSION, get_option(DecisionLog::DB_VERSION_OPTION));
        self::assertSame('daily', WpCronTestStandIn::$events[DecisionLog::CRON_HOOK][1] ?? null);
    }

    public function testMaybeUpgradeInstallsOnlyWhenTheVersionDiffers(): void
    {
        update_option(DecisionLog::DB_VERSION_OPTION, DecisionLog::DB_VERSION);
        DecisionLog::maybeUpgrade();
        self::assertSame([], WpCronTestStandIn::$dbDelta);
        update_option(DecisionLog::DB_VERSION_OPTION, 0);
        DecisionLog::maybeUpgrade();
        self::assertCount(1, WpCronTestStandIn::$dbDelta);
    }

    public function testActivationInstallsAndDeactivationUnschedules(): void
    {
        Plugin::activate();
        self::assertCount(1, WpCronTestStandIn::$dbDelta);
        self::assertArrayHasKey(DecisionLog::CRON_HOOK, WpCronTestStandIn::$events);
        Plugin::deactivate();
        self::assertArrayNotHasKey(DecisionLog::CRON_HOOK, WpCronTestStandIn::$events);
        self::assertSame([], $this->queries('DROP'), 'deactivation keeps the log');
    }

    public function testUninstallDropsTheTableOnEverySite(): void
    {
        WpTestStandIn::$multisite = true;
        foreach ([1, 2, 3] as $site) {
            switch_to_blog($site);
            Plugin::activate();
            restore_current_blog();
        }
        Plugin::uninstall();
        self::assertSame([
            'DROP TABLE IF EXISTS `wp_sendcloud_gate_log`',
            'DROP TABLE IF EXISTS `wp_2_sendcloud_gate_log`',
            'DROP TABLE IF EXISTS `wp_3_sendcloud_gate_log`',
        ], $this->queries('DROP'));
        foreach ([1, 2, 3] as $site) {
            self::assertSame([], WpTestStandIn::$options[$site], "site $site keeps no option");
        }
        self::assertArrayNotHasKey(DecisionLog::CRON_HOOK, WpCronTestStandIn::$events);
    }

    public function testTheHooksAreRegisteredOnce(): void
    {
        \SendcloudGate\WordPress\Log\Hooks::register();
        \SendcloudGate\WordPress\Log\Hooks::register();
        self::assertCount(1, WpTestStandIn::$actions[DecisionLog::CRON_HOOK]);
        self::assertCount(2, WpTestStandIn::$actions['plugins_loaded'], 'the schema check and the spool import');
        self::assertCount(1, WpTestStandIn::$actions['admin_init']);
        self::assertCount(1, WpTestStandIn::$filters['wp_privacy_personal_data_exporters']);
        self::assertCount(1, WpTestStandIn::$filters['wp_privacy_personal_data_erasers']);
    }
}
