<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Admin\LogPage;
use SendcloudGate\WordPress\Admin\Page;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/AdminTestCase.php';

/** The decision log's admin list: filters, paging, escaping, the CSV export's refusals, the log settings. */
final class AdminLogPageTest extends AdminTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        if (!LogPage::available()) {
            self::markTestSkipped('no decision log in this build');
        }
    }

    /** @return array<string,string> */
    private static function row(array $over = []): array
    {
        return $over + ['id' => '1', 'created_at' => '2026-12-01 10:00:00', 'client_ip' => '203.0.113.7', 'method' => 'PATCH',
            'path' => '/wp-json/wc/v3/orders/1', 'user_agent' => 'Sendcloud/1.0.0', 'action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud'];
    }

    public function testFiltersAreReadStrictly(): void
    {
        self::assertSame([], LogPage::filters([]));
        self::assertSame(['action' => 'deny', 'reason' => 'impersonation', 'sendcloud_not_allowed' => true],
            LogPage::filters(['log_action' => 'deny', 'log_reason' => 'impersonation', 'not_allowed' => '1']));
        self::assertSame([], LogPage::filters(['log_action' => 'DROP', 'log_reason' => "x' OR 1=1", 'not_allowed' => 'yes']));
    }

    public function testTheListShowsRowsInPlainWordsEscapedWithFiltersAndPages(): void
    {
        $rows = [self::row(), self::row(['id' => '2', 'action' => 'allow', 'reason' => 'partner_match', 'user_agent' => '<script>alert(1)</script>', 'path' => '/"><b>x'])];
        $html = LogPage::html(['action' => 'pass', 'sendcloud_not_allowed' => true], 2, ['rows' => $rows, 'total' => 120]);
        self::assertStringContainsString('<tr data-action="pass" data-reason="impersonation">', $html);
        self::assertStringContainsString('<td><strong>PASS</strong></td>', $html);
        self::assertStringContainsString('>Impersonation</td>', $html);
        self::assertStringContainsString('120 requests', $html);
        self::assertStringContainsString('Page 2 of 3', $html);
        self::assertStringContainsString('paged=1', $html);
        self::assertStringContainsString('paged=3', $html);
        self::assertStringContainsString('log_action=pass', $html);
        self::assertStringContainsString('<option value="pass" selected=\'selected\'>PASS</option>', $html);
        self::assertStringContainsString('name="not_allowed" value="1" checked=\'checked\'', $html);
        self::assertStringContainsString('value="' . WpAdminTestStandIn::nonce(LogPage::CSV_ACTION) . '"', $html);
        self::assertStringNotContainsString('<script>', $html);
        self::assertStringNotContainsString('<b>x', $html);
        self::assertStringContainsString('&lt;script&gt;alert(1)&lt;/script&gt;', $html);

        $html = LogPage::html([], 1, ['rows' => [], 'total' => 0]);
        self::assertStringContainsString('No requests logged.', $html);
        self::assertStringNotContainsString('Page 1 of', $html);
    }

    public function testTheCsvExportChecksTheCapabilityAndTheNonce(): void
    {
        self::submit(['action' => LogPage::CSV_ACTION], LogPage::CSV_ACTION);
        try {
            LogPage::csv();
            self::fail('exported without the capability');
        } catch (WpDie $e) {
            self::assertStringContainsString('not allowed', $e->getMessage());
        }
        self::asAdmin();
        self::submit(['action' => LogPage::CSV_ACTION], 'x', 'forged');
        try {
            LogPage::csv();
            self::fail('exported with a forged nonce');
        } catch (WpDie $e) {
            self::assertStringContainsString('expired', $e->getMessage());
        }
        self::submit(['action' => LogPage::CSV_ACTION, 'log_action' => 'deny'], LogPage::CSV_ACTION);
        $csv = LogPage::csv();
        // The header line only: the stand-in has no database, so no rows.
        self::assertSame(1, substr_count($csv, "\n"));
        self::assertStringContainsString('created_at,client_ip,method,path,user_agent,action,reason,rule', $csv);
    }

    public function testRenderWithoutTheCapabilityDies(): void
    {
        $this->expectException(WpDie::class);
        LogPage::render();
    }

    public function testTheLogBoundsAreSettingsOfTheFormAndOtherSettingsAreKept(): void
    {
        self::asAdmin();
        self::assertTrue(Settings::save(['mode' => 'monitor', 'log_max_rows' => 5000, 'log_days' => 14])['ok']);
        $html = (new Page(['REMOTE_ADDR' => '192.0.2.1']))->html();
        self::assertStringContainsString('id="sendcloud-gate-log-max-rows" name="sendcloud_gate[log_max_rows]" min="100" max="1000000" value="5000"', $html);
        self::assertStringContainsString('name="sendcloud_gate[log_days]" min="1" max="365" value="14"', $html);
        self::assertStringContainsString('page=sendcloud-gate-log', $html);

        $form = self::submit(['sendcloud_gate_action' => 'save', 'sendcloud_gate' => ['mode' => 'on', 'log_days' => '7']], Page::SAVE_NONCE);
        $state = (new Page(['REMOTE_ADDR' => '192.0.2.1'], $form))->handle();
        self::assertTrue($state['result']['ok']);
        self::assertSame([7, 5000, 'on'], [Settings::load()['log_days'], Settings::load()['log_max_rows'], Settings::load()['mode']]);
    }
    public function testSiteHealthsProbesAreNotTheLastSendcloudRequest(): void
    {
        require_once __DIR__ . '/support/wpdb-test-stand-in.php';
        $db = new WpdbTestStandIn();
        $GLOBALS['wpdb'] = $db;
        try {
            $probe = self::row(['id' => '9', 'path' => '/wp-json/sendcloud-gate/v1/probe', 'client_ip' => '127.0.0.1']);
            $real = self::row(['id' => '7', 'action' => 'allow', 'reason' => 'partner_match', 'client_ip' => '198.51.100.7']);
            $db->answers = [$probe, 3, [$probe, self::row(['id' => '8', 'rule' => 'office']), $real]];
            self::assertSame($real, \SendcloudGate\WordPress\Admin\Status::lastPartnerRequest());
            $db->answers = [$real];
            self::assertSame($real, \SendcloudGate\WordPress\Admin\Status::lastPartnerRequest());
            $db->answers = [$probe, 1, [$probe]];
            self::assertNull(\SendcloudGate\WordPress\Admin\Status::lastPartnerRequest());
            $html = LogPage::html([], 1, ['rows' => [$probe], 'total' => 1]);
            self::assertStringContainsString('/wp-json/sendcloud-gate/v1/probe</code> <span class="description">(Site Health’s test)</span>', $html);
        } finally {
            unset($GLOBALS['wpdb']);
        }
    }
    public function testEachRowLinksToTestARequestWithItsValues(): void
    {
        self::asAdmin();
        $row = self::row(['user_agent' => 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc) "<x>"']);
        $html = LogPage::html([], 1, ['rows' => [$row], 'total' => 1]);
        $link = Page::testLink($row);
        self::assertStringContainsString('<a href="' . esc_url($link) . '">Test</a>', $html);
        $query = [];
        parse_str((string) parse_url($link, PHP_URL_QUERY), $query);
        $page = (new Page(['REMOTE_ADDR' => '192.0.2.1']))->html(['prefill' => Page::prefill($query)]);
        self::assertStringContainsString('name="sendcloud_gate_test[remote_addr]" value="203.0.113.7"', $page);
        self::assertStringContainsString('name="sendcloud_gate_test[method]" value="PATCH"', $page);
        self::assertStringContainsString('name="sendcloud_gate_test[uri]" value="/wp-json/wc/v3/orders/1"', $page);
        self::assertStringContainsString('value="SendCloud/1.0 (woocommerce; https://www.sendcloud.sc) &quot;&lt;x&gt;&quot;"', $page);
    }
}
