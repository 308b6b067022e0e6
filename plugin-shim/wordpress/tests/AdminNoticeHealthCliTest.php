<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\WordPress\Admin\Admin;
use SendcloudGate\WordPress\Admin\Cli;
use SendcloudGate\WordPress\Admin\Notice;
use SendcloudGate\WordPress\Admin\SiteHealth;
use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/AdminTestCase.php';

/** The loader notice, Site Health (direct, async, the probe route) and the WP-CLI commands, against the stand-in. */
final class AdminNoticeHealthCliTest extends AdminTestCase
{
    // --- the notice -------------------------------------------------------------------------------------------

    public function testTheNoticeIsShownOnlyToManagersAndOnlyWhenTheLoaderIsMissingOrOutdated(): void
    {
        self::assertSame('', Notice::html('missing'), 'no capability, no notice');
        self::asAdmin();
        $html = Notice::html();
        self::assertStringContainsString('id="sendcloud-gate-loader-notice"', $html);
        self::assertStringContainsString('must-use loader is missing', $html);
        self::assertStringContainsString('<input type="hidden" name="action" value="sendcloud_gate_reinstall_loader" />', $html);
        self::assertStringContainsString('name="_wpnonce" value="' . WpAdminTestStandIn::nonce(Notice::ACTION) . '"', $html);
        self::assertStringContainsString('action="http://shop.test/wp-admin/admin-post.php"', $html);

        self::assertTrue(Loader::install());
        self::assertSame('current', Loader::state());
        self::assertSame('', Notice::html());

        // Another plugin location (a moved plugin) or an older loader version is outdated.
        file_put_contents(Loader::path(), Loader::contents('/elsewhere/bootstrap.php'));
        self::assertSame('outdated', Loader::state());
        self::assertStringContainsString('loader is outdated', Notice::html());
    }

    public function testReinstallChecksTheCapabilityAndTheNonce(): void
    {
        self::submit(['action' => Notice::ACTION], Notice::ACTION);
        try {
            Notice::reinstall();
            self::fail('reinstalled without the capability');
        } catch (WpDie $e) {
            self::assertSame('missing', Loader::state());
        }
        self::asAdmin();
        self::submit(['action' => Notice::ACTION], 'x', 'forged');
        try {
            Notice::reinstall();
            self::fail('reinstalled with a forged nonce');
        } catch (WpDie $e) {
            self::assertSame('missing', Loader::state());
        }
        self::submit(['action' => Notice::ACTION, '_wp_http_referer' => 'http://shop.test/wp-admin/plugins.php'], Notice::ACTION);
        $url = Notice::reinstall();
        self::assertSame('current', Loader::state());
        self::assertSame('http://shop.test/wp-admin/plugins.php?sendcloud_gate_loader=installed', $url);
        self::assertSame([$url], WpAdminTestStandIn::$redirects);
        $_GET['sendcloud_gate_loader'] = 'installed';
        self::assertStringContainsString('the must-use loader is installed', Notice::html());
    }

    public function testOnANetworkOnlyANetworkAdministratorSeesTheNoticeAndMayReinstall(): void
    {
        WpTestStandIn::$multisite = true;
        self::asAdmin();   // a site's administrator: manage_options, not manage_network_options
        self::assertSame('', Notice::html('missing'));
        self::submit(['action' => Notice::ACTION], Notice::ACTION);
        try {
            Notice::reinstall();
            self::fail('a site administrator reinstalled the loader of the whole network');
        } catch (WpDie $e) {
            self::assertSame('missing', Loader::state());
        }
        WpAdminTestStandIn::$caps['manage_network_options'] = true;
        self::assertStringContainsString('id="sendcloud-gate-reinstall-loader"', Notice::html('missing'));
        Notice::reinstall();
        self::assertSame('current', Loader::state());
    }

    public function testOnANetworkASiteAdministratorCannotChangeSecurityPluginsForEverySite(): void
    {
        WpTestStandIn::$multisite = true;
        self::asAdmin();
        $form = self::submit(['sendcloud_gate_action' => 'adapter', 'op' => 'htninja_install', 'adapter' => 'NinjaFirewall'],
            \SendcloudGate\WordPress\Admin\Page::ADAPTER_NONCE . 'htninja_install');
        $this->expectException(WpDie::class);
        $this->expectExceptionMessage('network administrator');
        (new \SendcloudGate\WordPress\Admin\Page(['REMOTE_ADDR' => '192.0.2.1'], $form))->handle();
    }

    // --- Site Health -------------------------------------------------------------------------------------------

    public function testSiteHealthRegistersADirectAndAnAsyncTest(): void
    {
        $tests = SiteHealth::tests(['direct' => ['other' => []], 'async' => []]);
        self::assertArrayHasKey('other', $tests['direct']);
        self::assertSame([SiteHealth::class, 'directTest'], $tests['direct']['sendcloud_gate']['test']);
        $async = $tests['async']['sendcloud_gate_methods'];
        self::assertSame('http://shop.test/wp-json/sendcloud-gate/v1/site-health', $async['test']);
        self::assertTrue($async['has_rest']);
        self::assertSame([SiteHealth::class, 'methodsTest'], $async['async_direct_test']);
    }

    public function testTheProbeRouteAcceptsSendcloudsMethodsAndSaysWhichArrived(): void
    {
        SiteHealth::routes();
        $probe = WpAdminTestStandIn::$routes['sendcloud-gate/v1/probe'];
        foreach (['GET', 'POST', 'OPTIONS', 'PATCH', 'DELETE'] as $m) {
            self::assertContains($m, array_map('trim', explode(',', $probe['methods'])));
        }
        self::assertSame('__return_true', $probe['permission_callback']);
        $request = new class {
            public function get_method(): string
            {
                return 'PATCH';
            }
        };
        self::assertSame('PATCH', SiteHealth::probe($request)['method']);
        $health = WpAdminTestStandIn::$routes['sendcloud-gate/v1/site-health'];
        self::assertFalse(($health['permission_callback'])());
        self::asAdmin();
        self::assertTrue(($health['permission_callback'])());
    }

    /** @param array<string,mixed> $r */
    private static function assertResultShape(array $r, string $test): void
    {
        foreach (['label', 'status', 'badge', 'description', 'actions', 'test'] as $k) {
            self::assertArrayHasKey($k, $r);
        }
        self::assertContains($r['status'], ['good', 'recommended', 'critical']);
        self::assertSame(['label', 'color'], array_keys($r['badge']));
        self::assertSame($test, $r['test']);
        self::assertIsString($r['description']);
    }

    public function testTheDirectTest(): void
    {
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        $r = SiteHealth::directTest();
        self::assertResultShape($r, 'sendcloud_gate');
        self::assertSame('recommended', $r['status']);
        self::assertStringContainsString('Monitor', $r['description']);
        self::assertStringContainsString('must-use loader is missing', $r['description']);
        $reviewed = Gate::default()->effectivePolicy()['partners'][0]['provenance']['reviewed'];
        self::assertStringContainsString('last reviewed on ' . $reviewed, $r['description']);

        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        self::assertTrue(Loader::install());
        $r = SiteHealth::directTest();
        $old = (int) ((time() - (int) strtotime($reviewed . ' UTC')) / 86400) > 180;
        self::assertSame($old ? 'recommended' : 'good', $r['status'], $r['description']);
        self::assertStringContainsString('runs early', $r['description']);

        update_option(Settings::COMPILED_OPTION, base64_encode('corrupt'));
        $r = SiteHealth::directTest();
        self::assertSame('critical', $r['status']);
        self::assertStringContainsString('engine could not load', $r['description']);
    }

    /** A server answering the probe: each method in $refuse gets $code; others arrive. */
    private static function probeServer(array $refuse = [], int $code = 403, string $body = 'Forbidden'): void
    {
        WpAdminTestStandIn::$http = static function (string $url, array $args) use ($refuse, $code, $body) {
            if (in_array($args['method'], $refuse, true)) {
                return ['response' => ['code' => $code], 'body' => $body];
            }
            if ($args['method'] === 'OPTIONS') {
                return ['response' => ['code' => 200], 'body' => json_encode(['namespace' => 'sendcloud-gate/v1', 'methods' => ['GET']])];
            }
            return ['response' => ['code' => 200], 'body' => json_encode(['method' => $args['method'], 'route' => 'sendcloud-gate/v1/probe'])];
        };
    }

    public function testTheAsyncTestIsGoodWhenEveryMethodArrives(): void
    {
        self::probeServer();
        $r = SiteHealth::methodsTest();
        self::assertResultShape($r, 'sendcloud_gate_methods');
        self::assertSame('good', $r['status']);
        self::assertSame(['GET', 'POST', 'OPTIONS', 'PATCH', 'DELETE'], array_keys($r['methods']));
        $ua = Gate::default()->effectivePolicy()['partners'][0]['user_agents'];
        foreach (WpAdminTestStandIn::$httpCalls as [$url, $args]) {
            self::assertSame('http://shop.test/wp-json/sendcloud-gate/v1/probe', $url);
            self::assertContains($args['user-agent'], $ua, "Sendcloud's User-Agent, from the library");
        }
        self::assertStringContainsString('PATCH: reached WordPress as PATCH (HTTP 200)', $r['description']);
    }

    public function testARefusedMethodIsCriticalWithWhatToDo(): void
    {
        self::probeServer(['PATCH', 'DELETE']);
        $r = SiteHealth::methodsTest();
        self::assertSame('critical', $r['status']);
        self::assertSame('The server refuses PATCH, DELETE requests that Sendcloud sends', $r['label']);
        self::assertSame(['ok', 'ok', 'ok', 'refused', 'refused'], array_column($r['methods'], 'result'));
        self::assertStringContainsString('PATCH: refused: HTTP 403', $r['description']);
        self::assertStringContainsString('Ask your host', $r['actions']);
        self::assertStringContainsString('ModSecurity', $r['actions']);

        // Extra methods the merchant added are tested too.
        self::assertTrue(Settings::save(['extra_methods' => ['PUT']])['ok']);
        self::probeServer(['PUT'], 405);
        $r = SiteHealth::methodsTest();
        self::assertSame('critical', $r['status']);
        self::assertSame('refused', $r['methods']['PUT']['result']);
    }

    public function testWhenTheGateItselfBlocksTheProbeItIsAskedAgainWithoutSendcloudsUserAgent(): void
    {
        $calls = 0;
        WpAdminTestStandIn::$http = static function (string $url, array $args) use (&$calls) {
            $calls++;
            if (strpos((string) $args['user-agent'], 'sendcloud-gate site health') === false) {
                return ['response' => ['code' => 403], 'body' => Runtime::BLOCK_BODY];
            }
            return ['response' => ['code' => 200], 'body' => json_encode(['method' => $args['method']])];
        };
        $r = SiteHealth::methodsTest();
        self::assertSame('good', $r['status'], $r['description']);
        self::assertSame(10, $calls);
        self::assertStringContainsString('blocked by Sendcloud Gate itself', $r['methods']['PATCH']['detail']);
    }

    public function testNoLoopbackIsRecommendedNotCritical(): void
    {
        $r = SiteHealth::methodsTest();   // the stand-in's wp_remote_request() answers WP_Error
        self::assertSame('recommended', $r['status']);
        self::assertStringContainsString('Loopback requests', $r['description']);
    }

    public function testAProbeAnsweredBySomethingElseIsNotOk(): void
    {
        WpAdminTestStandIn::$http = static function (string $url, array $args) {
            return ['response' => ['code' => 200], 'body' => '<html>cached page</html>'];
        };
        $r = SiteHealth::methodsTest();
        self::assertSame('critical', $r['status']);
        self::assertSame('changed', $r['methods']['PATCH']['result']);
    }

    // --- registration and WP-CLI ------------------------------------------------------------------------------

    public function testRegisterHooksTheAdminSideAndNoCliOutsideWpCli(): void
    {
        Admin::register();
        foreach (['admin_menu', 'admin_notices', 'admin_post_sendcloud_gate_reinstall_loader', 'rest_api_init'] as $hook) {
            self::assertArrayHasKey($hook, WpTestStandIn::$actions, $hook);
        }
        self::assertArrayHasKey('site_status_tests', WpTestStandIn::$filters);
        self::assertFalse(defined('WP_CLI'));
        self::assertSame([], WpAdminTestStandIn::$cliCommands);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testUnderWpCliTheCommandIsRegistered(): void
    {
        define('WP_CLI', true);
        Admin::register();
        self::assertSame(Cli::class, WpAdminTestStandIn::$cliCommands['sendcloud-gate'] ?? null);
    }

    /** @return list<string> */
    private static function cliLines(): array
    {
        return array_map(static function ($l) {
            return $l[0] . ': ' . $l[1];
        }, WpAdminTestStandIn::$cli);
    }

    public function testCliStatus(): void
    {
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        (new Cli())->status();
        $out = implode("\n", self::cliLines());
        self::assertStringContainsString('line: Switch: monitor', $out);
        self::assertStringContainsString('line: Runs: when the plugin loads (must-use loader missing)', $out);
        self::assertMatchesRegularExpression('/line: Preset: sendcloud, not verified, reviewed \d{4}-\d{2}-\d{2}/', $out);
    }

    public function testCliTest(): void
    {
        (new Cli())->test([], ['ip' => self::SENDCLOUD_IP, 'method' => 'PATCH', 'path' => '/wp-json/wc/v3/orders/1', 'ua' => self::SENDCLOUD_UA]);
        $out = self::cliLines();
        self::assertSame('line: allow  partner_match  rule=sendcloud  client_ip=' . self::SENDCLOUD_IP . '  method=PATCH', $out[0]);
        self::assertStringContainsString('Verified traffic', $out[1]);
        self::assertStringStartsWith('line:  1. ', $out[2]);

        WpAdminTestStandIn::$cli = [];
        (new Cli())->test([], ['ip' => '203.0.113.7', 'ua' => self::SENDCLOUD_UA, 'json' => true]);
        $d = json_decode(substr(self::cliLines()[0], 6), true);
        self::assertSame('impersonation', $d['reason']);

        $this->expectException(WpDie::class);
        (new Cli())->test([], []);
    }

    public function testCliLogListsRowsOrSaysThereIsNoLog(): void
    {
        $log = '\\SendcloudGate\\WordPress\\Log\\DecisionLog';
        if (!class_exists($log) || !method_exists($log, 'query')) {
            $this->expectException(WpDie::class);
            (new Cli())->log();
            return;
        }
        // Without a database (the stand-in has no $wpdb) the log is empty.
        (new Cli())->log([], ['limit' => '5', 'not-allowed' => true]);
        self::assertSame(['line: 0 of 0 rows'], self::cliLines());
    }
}
