<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\WordPress\Admin\Page;
use SendcloudGate\WordPress\Admin\Status;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/AdminTestCase.php';

/** The settings page against the WordPress stand-in: refusals, the form's round trip, errors at the field, escaping. */
final class AdminPageTest extends AdminTestCase
{
    private const ADMIN_SERVER = ['REMOTE_ADDR' => '192.0.2.55', 'REQUEST_METHOD' => 'POST', 'REQUEST_URI' => '/wp-admin/options-general.php?page=sendcloud-gate', 'HTTP_USER_AGENT' => 'Mozilla/5.0'];

    /** @param array<string,mixed> $fields the sendcloud_gate[...] fields */
    private static function save(array $fields): array
    {
        $form = self::submit(['sendcloud_gate_action' => 'save', 'sendcloud_gate' => $fields], Page::SAVE_NONCE);
        return (new Page(self::ADMIN_SERVER, $form))->handle();
    }

    public function testSaveWithoutTheCapabilityIsRefusedAndNothingChanges(): void
    {
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        $before = get_option(Settings::OPTION);
        WpAdminTestStandIn::$caps = ['edit_posts' => true];
        $form = self::submit(['sendcloud_gate_action' => 'save', 'sendcloud_gate' => ['mode' => 'off']], Page::SAVE_NONCE);
        try {
            (new Page(self::ADMIN_SERVER, $form))->handle();
            self::fail('no capability, but handled');
        } catch (WpDie $e) {
            self::assertStringContainsString('not allowed', $e->getMessage());
        }
        self::assertSame($before, get_option(Settings::OPTION));
    }

    public function testSaveAndTestWithoutAValidNonceAreRefused(): void
    {
        self::asAdmin();
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        $before = get_option(Settings::COMPILED_OPTION);
        foreach ([
            ['save', ['sendcloud_gate' => ['mode' => 'on']], 'forged'],
            ['save', ['sendcloud_gate' => ['mode' => 'on']], WpAdminTestStandIn::nonce(Page::TEST_NONCE)],   // another form's nonce
            ['test', ['sendcloud_gate_test' => ['remote_addr' => '203.0.113.7', 'method' => 'GET']], 'forged'],
        ] as [$action, $fields, $nonce]) {
            $form = self::submit(['sendcloud_gate_action' => $action] + $fields, 'unused', $nonce);
            try {
                (new Page(self::ADMIN_SERVER, $form))->handle();
                self::fail($action . ' with a bad nonce was handled');
            } catch (WpDie $e) {
                self::assertStringContainsString('expired', $e->getMessage());
            }
        }
        self::assertSame('monitor', Settings::load()['mode']);
        self::assertSame($before, get_option(Settings::COMPILED_OPTION));
    }

    public function testRenderWithoutTheCapabilityDies(): void
    {
        $this->expectException(WpDie::class);
        Page::render();
    }

    public function testSettingsFormRoundTrip(): void
    {
        self::asAdmin();
        $state = self::save([
            'mode' => 'on', 'extra_ips' => "198.51.100.0/24\n198.51.100.200", 'extra_methods' => ['PUT', 'HEAD'],
            'proxy' => 'custom', 'proxy_ranges' => "10.0.0.0/8\n", 'proxy_header' => 'x-real-ip', 'impersonation' => 'block',
            'advanced_policy' => '{"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]}',
        ]);
        self::assertTrue($state['result']['ok'], json_encode($state['result']) ?: '');
        $s = Settings::load();
        self::assertSame('on', $s['mode']);
        self::assertSame(['198.51.100.0/24', '198.51.100.200'], $s['extra_ips']);
        self::assertSame(['PUT', 'HEAD'], $s['extra_methods']);
        self::assertSame(['custom', ['10.0.0.0/8'], 'x-real-ip', 'block'], [$s['proxy'], $s['proxy_ranges'], $s['proxy_header'], $s['impersonation']]);

        // The saved policy decides: an extra address with an extra method is Sendcloud.
        $d = Status::savedGate()->decideRequest(['remote_addr' => '198.51.100.200', 'method' => 'PUT', 'headers' => ['User-Agent' => self::SENDCLOUD_UA]]);
        self::assertSame(['allow', 'partner_match'], [$d['action'], $d['reason']]);

        // The page after the redirect shows what was saved.
        $html = (new Page(self::ADMIN_SERVER))->html(['updated' => true]);
        self::assertStringContainsString('id="sendcloud-gate-saved"', $html);
        self::assertStringContainsString('<input type="radio" name="sendcloud_gate[mode]" value="on" checked=\'checked\'', $html);
        self::assertStringContainsString("198.51.100.0/24\n198.51.100.200</textarea>", $html);
        self::assertStringContainsString('value="PUT" checked=\'checked\'', $html);
        self::assertStringContainsString('value="HEAD" checked=\'checked\'', $html);
        self::assertStringContainsString('value="custom" checked=\'checked\'', $html);
        self::assertStringContainsString('<option value="x-real-ip" selected=\'selected\'>', $html);
        self::assertStringContainsString('value="block" checked=\'checked\'', $html);
        self::assertStringContainsString(esc_textarea('{"rules": [{"id": "office"'), $html);
        self::assertStringNotContainsString('notice-error', $html);
    }

    public function testABadAddressIsRefusedWithTheEnginesPathAtTheField(): void
    {
        self::asAdmin();
        self::assertTrue(Settings::save(['mode' => 'monitor', 'extra_ips' => '198.51.100.0/24'])['ok']);
        $before = [get_option(Settings::OPTION), get_option(Settings::COMPILED_OPTION)];

        $state = self::save(['mode' => 'on', 'extra_ips' => "198.51.100.0/24\n10.0.0.0/33"]);
        self::assertFalse($state['result']['ok']);
        self::assertSame('partners[0].add_ip[1]', $state['result']['error']['path']);
        self::assertSame($before, [get_option(Settings::OPTION), get_option(Settings::COMPILED_OPTION)], 'refused whole');

        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertStringContainsString('id="sendcloud-gate-error"', $html);
        // The submitted text stays in the field, marked invalid, with the engine's message and path right after it.
        $field = strpos($html, 'id="sendcloud-gate-extra-ips"');
        self::assertNotFalse($field);
        $after = substr($html, $field, 900);
        self::assertStringContainsString('aria-invalid="true"', $after);
        self::assertStringContainsString("198.51.100.0/24\n10.0.0.0/33</textarea>", $after);
        self::assertMatchesRegularExpression('#</textarea><p class="sendcloud-gate-field-error" role="alert">At <code>partners\[0\]\.add_ip\[1\]</code> \(entry 2 of this field\): partners\[0\]\.add_ip\[1\]: &quot;10\.0\.0\.0/33&quot; is not an IP range#', $after);
        // The form shows what was submitted, not what is saved.
        self::assertStringContainsString('value="on" checked=\'checked\'', $html);
        self::assertStringContainsString('the submitted one was not saved', $html);

        // Fixed and saved.
        $state = self::save(['mode' => 'on', 'extra_ips' => "198.51.100.0/24\n10.0.0.0/24"]);
        self::assertTrue($state['result']['ok']);
        self::assertSame(['198.51.100.0/24', '10.0.0.0/24'], Settings::load()['extra_ips']);
    }

    public function testAdvancedPolicyErrorsShowPathLineAndColumnOfTheFieldsOwnText(): void
    {
        self::asAdmin();
        $json = "{\n  \"rules\": [\n    {\"id\": \"office\", \"action\": \"allow\",\n     \"ip\": [\"10.0.0.0/33\"]}\n  ]\n}";
        $state = self::save(['mode' => 'on', 'advanced_policy' => $json]);
        self::assertFalse($state['result']['ok']);
        self::assertSame('rules[0].ip[0]', $state['result']['error']['path']);
        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertMatchesRegularExpression('#id="sendcloud-gate-advanced-error" role="alert">At <code>rules\[0\]\.ip\[0\]</code>, line 4, column \d+: rules\[0\]\.ip\[0\]: &quot;10\.0\.0\.0/33&quot; is not an IP range#', $html);
        self::assertStringContainsString(esc_textarea($json) . '</textarea>', $html);

        // Not JSON at all: the engine's syntax error, with its line.
        $state = self::save(['advanced_policy' => "{\"rules\": [\n  {\"id\": \"x\",, }\n]}"]);
        self::assertFalse($state['result']['ok']);
        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertMatchesRegularExpression('#id="sendcloud-gate-advanced-error" role="alert">(At <code>[^<]*</code>, )?line 2, column \d+: #', $html);

        // A key the form owns.
        $state = self::save(['advanced_policy' => '{"impersonation": "deny"}']);
        self::assertFalse($state['result']['ok']);
        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertStringContainsString('id="sendcloud-gate-advanced-error" role="alert">At <code>impersonation</code>: impersonation: set this in the form above', $html);
    }

    public function testWarningsAreShownAtTheAdvancedField(): void
    {
        self::asAdmin();
        $state = self::save(['advanced_policy' => '{"rules": [{"id": "reads", "action": "allow", "methods": ["GET"]}]}']);
        self::assertTrue($state['result']['ok']);
        self::assertSame('rules[0]', $state['result']['warnings'][0]['path']);
        $html = (new Page(self::ADMIN_SERVER))->html(['updated' => true]);
        self::assertStringContainsString('<p class="sendcloud-gate-field-warning">Warning: <code>rules[0]</code>: allow rule &quot;reads&quot; has no ip condition', $html);
    }

    public function testEveryValueIsEscaped(): void
    {
        self::asAdmin();
        $evil = '</textarea><script>alert(1)</script>';
        $state = self::save(['advanced_policy' => $evil, 'extra_ips' => '"><img src=x onerror=alert(2)>']);
        self::assertFalse($state['result']['ok']);
        $server = self::ADMIN_SERVER + ['HTTP_X_FORWARDED_FOR' => '<b onmouseover=alert(3)>1.2.3.4'];
        $html = (new Page($server))->html($state);
        $test = self::submit(['sendcloud_gate_action' => 'test', 'sendcloud_gate_test' => [
            'remote_addr' => '<i>203.0.113.7', 'method' => 'GET<svg>', 'uri' => '/"><script>alert(4)</script>',
            'user_agent' => 'Sendcloud<script>alert(5)</script>', 'headers' => "X-Forwarded-For: <u>x\n",
        ]], Page::TEST_NONCE);
        $html .= (new Page($server))->html((new Page($server, $test))->handle());
        foreach (['<script>', '<img', '<b ', '<i>', '<svg>', '<u>'] as $raw) {
            self::assertStringNotContainsString($raw, $html, $raw . ' printed unescaped');
        }
        self::assertStringContainsString('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>', $html);
        self::assertStringContainsString('X-Forwarded-For: &lt;b onmouseover=alert(3)&gt;1.2.3.4', $html);
    }

    public function testThePresetIsShownFromTheLibraryWithItsProvenance(): void
    {
        self::asAdmin();
        $preset = Gate::default()->effectivePolicy()['partners'][0];
        $html = (new Page(self::ADMIN_SERVER))->html();
        foreach (array_merge($preset['ip'], $preset['user_agents'], $preset['methods']) as $v) {
            self::assertStringContainsString(esc_html($v), $html);
        }
        self::assertStringContainsString('<a href="' . esc_url($preset['provenance']['source']) . '"', $html);
        self::assertStringContainsString('<strong class="sendcloud-gate-verified">not verified</strong>', $html);
        self::assertStringContainsString('reviewed ' . $preset['provenance']['reviewed'], $html);
        self::assertStringContainsString(esc_html($preset['provenance']['note']), $html);
        // Methods the preset lacks are offered (the library says which): PUT and HEAD with this preset.
        self::assertStringContainsString('name="sendcloud_gate[extra_methods][]" value="PUT"', $html);
        self::assertStringContainsString('name="sendcloud_gate[extra_methods][]" value="HEAD"', $html);
        self::assertStringNotContainsString('name="sendcloud_gate[extra_methods][]" value="PATCH"', $html);
        // Cloud shops and Amazon need none of this.
        self::assertStringContainsString('Cloud shops', $html);
        self::assertStringContainsString('Amazon', $html);
    }

    public function testThePluginHoldsNoPartnerData(): void
    {
        $preset = Gate::default()->effectivePolicy()['partners'][0];
        $needles = array_merge($preset['ip'], $preset['user_agents'], [$preset['provenance']['source']]);
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(dirname(__DIR__) . '/src', \FilesystemIterator::SKIP_DOTS));
        $checked = 0;
        foreach ($files as $f) {
            $text = (string) file_get_contents((string) $f);
            foreach ($needles as $n) {
                self::assertStringNotContainsString($n, $text, $f . ' holds partner data');
            }
            foreach ($preset['ip'] as $range) {
                self::assertStringNotContainsString(explode('/', $range)[0], $text, $f . ' holds a partner address');
            }
            $checked++;
        }
        self::assertGreaterThan(8, $checked);
    }

    public function testTheLiveLineShowsThePeerAndTheEnginesClientUnderTheSavedSetting(): void
    {
        self::asAdmin();
        $server = ['REMOTE_ADDR' => '10.0.0.2', 'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/wp-admin/', 'HTTP_X_FORWARDED_FOR' => '198.51.100.9, 10.0.0.3'];
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        $html = (new Page($server))->html();
        self::assertStringContainsString('This request reached WordPress from <code>10.0.0.2</code>; the client is <code>10.0.0.2</code>.', $html);
        self::assertStringContainsString('Forwarding headers on it: <code>X-Forwarded-For: 198.51.100.9, 10.0.0.3</code>', $html);

        $state = (new Page($server, self::submit(['sendcloud_gate_action' => 'save', 'sendcloud_gate' => [
            'mode' => 'monitor', 'proxy' => 'custom', 'proxy_ranges' => '10.0.0.0/8', 'proxy_header' => 'x-forwarded-for',
        ]], Page::SAVE_NONCE)))->handle();
        self::assertTrue($state['result']['ok']);
        $html = (new Page($server))->html(['updated' => true]);
        self::assertStringContainsString('This request reached WordPress from <code>10.0.0.2</code>; the client is <code>198.51.100.9</code>.', $html);
    }

    public function testTestARequestShowsTheDecisionWithItsTraceInPlainWords(): void
    {
        self::asAdmin();
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $form = self::submit(['sendcloud_gate_action' => 'test', 'sendcloud_gate_test' => [
            'remote_addr' => self::SENDCLOUD_IP, 'method' => 'PATCH', 'uri' => '/wp-json/wc/v3/orders/12',
            'user_agent' => self::SENDCLOUD_UA, 'headers' => '',
        ]], Page::TEST_NONCE);
        $state = (new Page(self::ADMIN_SERVER, $form))->handle();
        self::assertSame('allow', $state['test']['decision']['action']);
        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertStringContainsString('data-action="allow" data-reason="partner_match"', $html);
        self::assertStringContainsString('<strong class="sendcloud-gate-action">ALLOW</strong> — Verified traffic', $html);
        self::assertStringContainsString('<strong>Partner match</strong> (<code>partner_match</code>): Verified sendcloud traffic: the client address ' . self::SENDCLOUD_IP, $html);
        self::assertMatchesRegularExpression('#<ol class="sendcloud-gate-trace">(<li>[^<]+</li>){3,}</ol>#', $html);
        self::assertStringContainsString('not verified', $html);
        // The submitted values stay in the form.
        self::assertStringContainsString('value="' . esc_attr(self::SENDCLOUD_UA) . '"', $html);

        // Headers: a trusted proxy is not configured, so X-Forwarded-For is ignored and the peer impersonates.
        $form = self::submit(['sendcloud_gate_action' => 'test', 'sendcloud_gate_test' => [
            'remote_addr' => '203.0.113.7', 'method' => 'POST', 'uri' => '/wp-json/wc/v3/orders/12?_method=DELETE',
            'user_agent' => self::SENDCLOUD_UA, 'headers' => "X-Forwarded-For: " . self::SENDCLOUD_IP . "\nAccept: */*",
        ]], Page::TEST_NONCE);
        $d = (new Page(self::ADMIN_SERVER, $form))->handle()['test']['decision'];
        self::assertSame(['pass', 'impersonation', '203.0.113.7', 'DELETE'], [$d['action'], $d['reason'], $d['client_ip'], $d['method']]);
    }

    public function testTheMenuIsUnderSettingsWithoutWooCommerce(): void
    {
        self::asAdmin();
        Page::menu();
        self::assertSame('options-general.php', WpAdminTestStandIn::$menus['sendcloud-gate']['parent']);
        self::assertSame('manage_options', WpAdminTestStandIn::$menus['sendcloud-gate']['capability']);
        self::assertArrayHasKey('load-hook_sendcloud-gate', WpTestStandIn::$actions);
        self::assertSame('http://shop.test/wp-admin/options-general.php?page=sendcloud-gate', Page::url());
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheMenuIsUnderWooCommerceWhenItIsActive(): void
    {
        eval('final class WooCommerce {}');
        Page::menu();
        self::assertSame('woocommerce', WpAdminTestStandIn::$menus['sendcloud-gate']['parent']);
        self::assertSame('http://shop.test/wp-admin/admin.php?page=sendcloud-gate', Page::url());
    }

    public function testStatusSaysWhatToChangeWhenSendcloudWasNotAllowed(): void
    {
        $row = ['created_at' => '2026-12-01 10:00:00', 'client_ip' => '203.0.113.7', 'method' => 'PATCH', 'path' => '/wp-json/wc/v3/orders/1',
            'action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud'];
        $advice = Status::advice($row, 'on');
        self::assertStringContainsString('203.0.113.7', $advice[0]);
        self::assertStringContainsString('Proxy / CDN', $advice[0]);
        self::assertStringContainsString('press “Update” in the Sendcloud integration settings', end($advice));

        $advice = Status::advice(['action' => 'pass', 'reason' => 'method_not_allowed', 'method' => 'PUT'] + $row, 'on');
        self::assertStringContainsString('PUT', $advice[0]);
        self::assertStringContainsString('Extra methods', $advice[0]);

        self::assertSame([], Status::advice(['action' => 'allow', 'reason' => 'partner_match'] + $row, 'on'));
        self::assertStringContainsString('switch to On', Status::advice(['action' => 'allow', 'reason' => 'partner_match'] + $row, 'monitor')[0]);
        self::assertSame([], Status::advice(null, 'on'));
    }

    public function testStatusSaysWhereTheGateRuns(): void
    {
        self::asAdmin();
        $html = (new Page(self::ADMIN_SERVER))->html();
        self::assertStringContainsString('the must-use loader is missing', $html);
        self::assertStringContainsString('id="sendcloud-gate-reinstall-loader"', $html);
        self::assertTrue(\SendcloudGate\WordPress\Loader::install());
        $html = (new Page(self::ADMIN_SERVER))->html();
        self::assertStringContainsString('Early, from the must-use loader', $html);
        self::assertStringNotContainsString('id="sendcloud-gate-reinstall-loader"', $html);
    }
    public function testNinjaFirewallsLinesAreWrittenAndRemovedOnlyWhenAskedWithNonceAndCapability(): void
    {
        if (!class_exists('\\SendcloudGate\\WordPress\\Adapters\\NinjaFirewall')) {
            self::markTestSkipped('no adapters in this build');
        }
        $root = sys_get_temp_dir() . '/scg-htninja-' . getmypid() . '/www';
        @mkdir($root, 0755, true);
        $oldRoot = $_SERVER['DOCUMENT_ROOT'] ?? null;
        $_SERVER['DOCUMENT_ROOT'] = $root;
        try {
            self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
            update_option('active_plugins', ['ninjafirewall/ninjafirewall.php']);
            self::asAdmin();
            $html = (new Page(self::ADMIN_SERVER))->html();
            self::assertStringContainsString('<strong>NinjaFirewall</strong>', $html);
            self::assertStringContainsString('id="sendcloud-gate-htninja-install"', $html);
            self::assertStringContainsString('BEGIN Sendcloud Gate', $html, 'the lines, for copying');
            self::assertFileDoesNotExist($root . '/.htninja', 'nothing written unasked');

            $post = ['sendcloud_gate_action' => 'adapter', 'op' => 'htninja_install', 'adapter' => 'NinjaFirewall'];
            foreach ([WpAdminTestStandIn::nonce(Page::ADAPTER_NONCE . 'htninja_remove'), 'forged'] as $bad) {
                try {
                    (new Page(self::ADMIN_SERVER, self::submit($post, 'x', $bad)))->handle();
                    self::fail('written with a bad nonce');
                } catch (WpDie $e) {
                    self::assertFileDoesNotExist($root . '/.htninja');
                }
            }
            $state = (new Page(self::ADMIN_SERVER, self::submit($post, Page::ADAPTER_NONCE . 'htninja_install')))->handle();
            self::assertTrue($state['adapter']['ok'], $state['adapter']['message']);
            self::assertFileExists($root . '/.htninja');
            $html = (new Page(self::ADMIN_SERVER))->html($state);
            self::assertStringContainsString('id="sendcloud-gate-adapter-result"><p>The lines were written to ' . $root . '/.htninja.', $html);
            self::assertStringContainsString('id="sendcloud-gate-htninja-remove"', $html);

            $post['op'] = 'htninja_remove';
            WpAdminTestStandIn::$caps = [];
            try {
                (new Page(self::ADMIN_SERVER, self::submit($post, Page::ADAPTER_NONCE . 'htninja_remove')))->handle();
                self::fail('removed without the capability');
            } catch (WpDie $e) {
                self::assertFileExists($root . '/.htninja');
            }
            self::asAdmin();
            $state = (new Page(self::ADMIN_SERVER, self::submit($post, Page::ADAPTER_NONCE . 'htninja_remove')))->handle();
            self::assertTrue($state['adapter']['ok']);
            self::assertFileDoesNotExist($root . '/.htninja');

            // A plugin that is not active is not asked.
            $state = (new Page(self::ADMIN_SERVER, self::submit(['op' => 'allow_list', 'adapter' => 'Wordfence Security'] + $post, Page::ADAPTER_NONCE . 'allow_list')))->handle();
            self::assertFalse($state['adapter']['ok']);
        } finally {
            $_SERVER['DOCUMENT_ROOT'] = $oldRoot;
            exec('rm -rf ' . escapeshellarg(dirname($root)));
        }
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testWpCerbersAllowListIsFilledOnlyOnRequestWithTheLibrarysAddresses(): void
    {
        if (!class_exists('\\SendcloudGate\\WordPress\\Adapters\\WpCerber')) {
            self::markTestSkipped('no adapters in this build');
        }
        $GLOBALS['scg_cerber_acl'] = [];
        eval('function cerber_acl_add($ip, $tag) { $GLOBALS["scg_cerber_acl"][] = [$ip, $tag]; return true; }');
        update_option('active_plugins', ['wp-cerber/wp-cerber.php']);
        self::assertTrue(Settings::save(['mode' => 'on', 'extra_ips' => '198.51.100.0/24'])['ok']);
        self::asAdmin();
        $html = (new Page(self::ADMIN_SERVER))->html();
        self::assertStringContainsString('Add Sendcloud’s addresses to WP Cerber Security’s allow list (permanent)', $html);
        self::assertSame([], $GLOBALS['scg_cerber_acl']);
        $form = self::submit(['sendcloud_gate_action' => 'adapter', 'op' => 'allow_list', 'adapter' => 'WP Cerber Security'], Page::ADAPTER_NONCE . 'allow_list');
        $state = (new Page(self::ADMIN_SERVER, $form))->handle();
        self::assertTrue($state['adapter']['ok']);
        $ips = Status::savedGate()->effectivePolicy()['partners'][0]['ip'];
        self::assertSame(array_map(static function ($ip) {
            return [$ip, 'W'];
        }, $ips), $GLOBALS['scg_cerber_acl']);
        self::assertContains('198.51.100.0/24', $ips);
    }
    public function testCheckNowRunsSiteHealthsMethodTestOnThePage(): void
    {
        self::asAdmin();
        WpAdminTestStandIn::$http = static function (string $url, array $args) {
            if (in_array($args['method'], ['PATCH', 'DELETE'], true)) {
                return ['response' => ['code' => 403], 'body' => '<html>ModSecurity</html>'];
            }
            return ['response' => ['code' => 200], 'body' => json_encode(['method' => $args['method'], 'namespace' => 'sendcloud-gate/v1'])];
        };
        $html = (new Page(self::ADMIN_SERVER))->html();
        self::assertStringContainsString('id="sendcloud-gate-check-methods"', $html);
        self::assertSame([], WpAdminTestStandIn::$httpCalls, 'nothing is sent before the merchant asks');

        try {
            (new Page(self::ADMIN_SERVER, self::submit(['sendcloud_gate_action' => 'methods'], 'x', 'forged')))->handle();
            self::fail('checked with a forged nonce');
        } catch (WpDie $e) {
            self::assertSame([], WpAdminTestStandIn::$httpCalls);
        }
        $state = (new Page(self::ADMIN_SERVER, self::submit(['sendcloud_gate_action' => 'methods'], Page::METHODS_NONCE)))->handle();
        self::assertSame('critical', $state['methods']['status']);
        $html = (new Page(self::ADMIN_SERVER))->html($state);
        self::assertStringContainsString('<p class="sendcloud-gate-methods-critical"><strong>The server refuses PATCH, DELETE requests that Sendcloud sends</strong></p>', $html);
        self::assertStringContainsString('<li>PATCH: refused: HTTP 403</li>', $html);
        self::assertStringContainsString('Ask your host', $html);
    }
}
