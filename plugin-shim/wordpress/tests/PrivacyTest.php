<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Log\Privacy;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/LogTestCase.php';

final class PrivacyTest extends LogTestCase
{
    public function testTheExporterAndEraserAreRegisteredUnderOneKey(): void
    {
        $exporters = Privacy::registerExporter(['other' => []]);
        $erasers = Privacy::registerEraser([]);
        self::assertSame([Privacy::class, 'export'], $exporters[Privacy::EXPORTER]['callback']);
        self::assertSame('Sendcloud Gate decision log', $exporters[Privacy::EXPORTER]['exporter_friendly_name']);
        self::assertArrayHasKey('other', $exporters);
        self::assertSame([Privacy::class, 'erase'], $erasers[Privacy::EXPORTER]['callback']);
    }

    public function testAddressesComeFromTheCommentsAndOrdersOfTheEmailAddress(): void
    {
        // comments, order meta, SHOW TABLES (wc_orders exists), wc_orders
        $this->db->answers = [['203.0.113.7', ''], ['198.51.100.4', '203.0.113.7'], ['wp_wc_orders'], ['2001:db8::5']];
        add_filter('sendcloud_gate_personal_ip_addresses', static function (array $ips, string $email): array {
            $ips[] = ' 192.0.2.1 ';
            return $ips;
        });
        self::assertSame(['203.0.113.7', '198.51.100.4', '2001:db8::5', '192.0.2.1'], Privacy::addressesFor('person@example.com'));
        self::assertSame("SELECT DISTINCT comment_author_IP FROM wp_comments WHERE comment_author_email = 'person@example.com'", $this->db->queries[0]);
        self::assertStringContainsString("ip.meta_key = '_customer_ip_address' AND em.meta_key = '_billing_email' AND em.meta_value = 'person@example.com'", $this->db->queries[1]);
        self::assertSame("SELECT DISTINCT ip_address FROM `wp_wc_orders` WHERE billing_email = 'person@example.com'", $this->db->queries[3]);
    }

    public function testExportListsTheRowsOfThoseAddresses(): void
    {
        $this->db->answers = [['203.0.113.7'], [], [], [
            ['id' => '5', 'created_at' => '2026-12-01 08:00:00', 'client_ip' => '203.0.113.7', 'method' => 'PATCH', 'path' => '/wp-json/wc/v3/orders/1',
             'user_agent' => 'SendCloud/1.0', 'action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud'],
        ]];
        $r = Privacy::export('person@example.com', 1);
        self::assertTrue($r['done']);
        self::assertCount(1, $r['data']);
        self::assertSame('sendcloud-gate-log-5', $r['data'][0]['item_id']);
        self::assertContains(['name' => 'IP address', 'value' => '203.0.113.7'], $r['data'][0]['data']);
        self::assertStringContainsString("WHERE client_ip IN ('203.0.113.7') ORDER BY id ASC LIMIT 200 OFFSET 0", end($this->db->queries));
    }

    public function testNoAddressMeansNoRowsAndNoQueryOfTheLog(): void
    {
        $this->db->answers = [[], [], []];
        self::assertSame(['data' => [], 'done' => true], Privacy::export('nobody@example.com', 1));
        self::assertSame(['items_removed' => 0, 'items_retained' => false, 'messages' => [], 'done' => true], Privacy::erase('nobody@example.com', 1));
        foreach ($this->db->queries as $q) {
            self::assertStringNotContainsString('sendcloud_gate_log', $q);
        }
    }

    public function testEraseDeletesTheRowsOfThoseAddresses(): void
    {
        $this->db->answers = [['203.0.113.7', '203.0.113.8'], [], []];
        $this->db->queryResult = 4;
        self::assertSame(4, Privacy::erase('person@example.com', 1)['items_removed']);
        self::assertSame("DELETE FROM `wp_sendcloud_gate_log` WHERE client_ip IN ('203.0.113.7','203.0.113.8')", end($this->db->queries));
    }

    public function testThePolicyTextSaysWhatIsKeptAndForHowLong(): void
    {
        $text = Privacy::policyText();
        self::assertStringContainsString('IP address', $text);
        self::assertStringContainsString('30 by default', $text);
        self::assertStringStartsWith('<p>', $text);
    }

    public function testLogBoundsAreValidatedSettings(): void
    {
        self::assertSame([10000, 30], [Settings::defaults()['log_max_rows'], Settings::defaults()['log_days']]);
        $cases = [
            [['log_max_rows' => '2500', 'log_days' => ' 7 '], [2500, 7]],
            [['log_max_rows' => 5, 'log_days' => 0], [100, 1]],
            [['log_max_rows' => 10 ** 9, 'log_days' => 9999], [1000000, 365]],
            [['log_max_rows' => '-5', 'log_days' => '3.5'], [10000, 30]],
            [['log_max_rows' => ['x'], 'log_days' => null], [10000, 30]],
        ];
        foreach ($cases as [$in, $want]) {
            $s = Settings::normalise($in);
            self::assertSame($want, [$s['log_max_rows'], $s['log_days']], json_encode($in) ?: '');
        }
        self::assertTrue(Settings::save(['mode' => 'on', 'log_max_rows' => '500', 'log_days' => '14'])['ok']);
        self::assertSame([500, 14], [Settings::load()['log_max_rows'], Settings::load()['log_days']]);
    }
}
