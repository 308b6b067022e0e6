<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Adapters\Adapter;
use SendcloudGate\WordPress\Adapters\AllInOneSecurity;
use SendcloudGate\WordPress\Adapters\BlockBadQueries;
use SendcloudGate\WordPress\Adapters\NinjaFirewall;
use SendcloudGate\WordPress\Adapters\Registry;
use SendcloudGate\WordPress\Adapters\Shield;
use SendcloudGate\WordPress\Adapters\SolidSecurity;
use SendcloudGate\WordPress\Adapters\Wordfence;
use SendcloudGate\WordPress\Adapters\WpCerber;
use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/LogTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

final class AdaptersTest extends LogTestCase
{
    private const ALLOW = ['action' => 'allow', 'reason' => 'partner_match', 'rule' => 'sendcloud', 'client_ip' => '94.232.247.10', 'method' => 'PATCH'];
    private const PASS = ['action' => 'pass', 'reason' => 'impersonation', 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'PATCH'];

    /** @var string */
    private $dir;

    protected function setUp(): void
    {
        parent::setUp();
        $this->dir = sys_get_temp_dir() . '/scg-wp-adapters-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/docroot', 0755, true);
    }

    protected function tearDown(): void
    {
        exec('rm -rf ' . escapeshellarg($this->dir));
        parent::tearDown();
    }

    private static function activate(string ...$basenames): void
    {
        update_option('active_plugins', $basenames);
    }

    public function testTheRegistryListsEveryAdapterWithAPlainExplanation(): void
    {
        $names = array_map(static function (Adapter $a): string {
            self::assertNotSame('', trim($a->whatItDoes()));
            return $a->name();
        }, Registry::all());
        self::assertSame([
            'Solid Security / Kadence Security', 'Shield Security', 'All-In-One Security (AIOS)',
            'BBQ Firewall (Block Bad Queries)', 'WP Cerber Security', 'NinjaFirewall', 'Wordfence Security',
        ], $names);
        self::assertSame([], Registry::active());
    }

    public function testEachAdapterCitesTheVersionItWasCheckedAgainst(): void
    {
        foreach (Registry::all() as $a) {
            $doc = (string) (new \ReflectionClass($a))->getDocComment();
            self::assertMatchesRegularExpression('/[Cc]hecked against|as recorded in/', $doc, get_class($a));
        }
    }

    public function testDetectionReadsTheActivePluginsAndNetworkActivePlugins(): void
    {
        self::activate('block-bad-queries/block-bad-queries.php', 'wordfence/wordfence.php');
        self::assertSame(['BBQ Firewall (Block Bad Queries)', 'Wordfence Security'], array_map(static function (Adapter $a): string {
            return $a->name();
        }, Registry::active()));
        WpTestStandIn::$multisite = true;
        update_option('site:active_sitewide_plugins', ['wp-simple-firewall/icwp-wpsf.php' => time()]);
        self::assertTrue((new Shield())->detect());
        self::assertFalse((new SolidSecurity())->detect());
    }

    public function testSolidSecurityAllowListsThisRequestsAddressThroughItsFilter(): void
    {
        (new SolidSecurity())->apply(self::ALLOW);
        self::assertSame(['10.0.0.1', '94.232.247.10'], apply_filters('itsec_white_ips', ['10.0.0.1']));
        (new SolidSecurity())->apply(self::PASS);
        self::assertCount(1, WpTestStandIn::$filters['itsec_white_ips'], 'nothing but allow is acted on');
    }

    public function testShieldIsToldTheRequestIsNotBlocked(): void
    {
        (new Shield())->apply(self::ALLOW);
        self::assertFalse(apply_filters('shield/is_request_blocked', true));
        self::assertFalse(apply_filters('shield/is_ip_blocked_auto', true));
    }

    public function testBbqsCheckIsRemovedBeforePluginsLoadedRunsIt(): void
    {
        if (!function_exists('bbq_core')) {
            eval('function bbq_core() {}');   // a stand-in for BBQ's function, registered as BBQ registers it
        }
        add_action('plugins_loaded', 'bbq_core');
        (new BlockBadQueries())->apply(self::ALLOW);
        $ours = WpTestStandIn::$actions['plugins_loaded'][1];
        $ours();
        self::assertSame([1 => [BlockBadQueries::class, 'removeCheck']], WpTestStandIn::$actions['plugins_loaded']);
    }

    public function testAiosRestCheckIsRemovedOnlyWhenItIsAiossOwn(): void
    {
        if (!class_exists('AIOWPSecurity_General_Init_Tasks_Test_Double', false)) {
            eval('class AIOWPSecurity_General_Init_Tasks_Test_Double { public function check_rest_api_requests() {} }');
        }
        $aios = new \AIOWPSecurity_General_Init_Tasks_Test_Double();
        $other = new class {
            public function check_rest_api_requests(): void
            {
            }
        };
        add_action('rest_api_init', [$aios, 'check_rest_api_requests']);
        add_action('rest_api_init', [$other, 'check_rest_api_requests']);
        $GLOBALS['wp_filter']['rest_api_init'] = (object) ['callbacks' => [10 => [
            'a' => ['function' => [$aios, 'check_rest_api_requests'], 'accepted_args' => 1],
            'b' => ['function' => [$other, 'check_rest_api_requests'], 'accepted_args' => 1],
        ]]];
        (new AllInOneSecurity())->apply(self::ALLOW);
        AllInOneSecurity::removeRestCheck();
        $left = array_values(WpTestStandIn::$actions['rest_api_init']);
        self::assertCount(2, $left);   // the other object's callback and the adapter's own
        self::assertSame($other, $left[0][0]);
        self::assertSame([AllInOneSecurity::class, 'removeRestCheck'], $left[1]);
    }

    public function testWordfenceAndWpCerberDoNothingPerRequest(): void
    {
        (new Wordfence())->apply(self::ALLOW);
        (new WpCerber())->apply(self::ALLOW);
        (new NinjaFirewall())->apply(self::ALLOW);
        self::assertSame([], WpTestStandIn::$filters);
        self::assertSame([], WpTestStandIn::$actions);
    }

    public function testTheExplicitAllowListActionsSayWhenThePluginIsNotLoaded(): void
    {
        self::assertFalse((new Wordfence())->allowListAddresses()['ok']);
        self::assertFalse((new WpCerber())->allowListAddresses()['ok']);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testWordfenceAllowListGetsThePartnersAddressesFromTheEngine(): void
    {
        eval('class wordfence { public static $ips = []; public static function whitelistIP($ip) { self::$ips[] = $ip; } }');
        self::assertTrue(Settings::save(['mode' => 'on', 'extra_ips' => '198.51.100.0/24'])['ok']);
        $r = (new Wordfence())->allowListAddresses();
        self::assertTrue($r['ok'], $r['message']);
        self::assertContains('94.232.247.0/24', $r['added']);
        self::assertContains('198.51.100.0/24', $r['added']);
        self::assertSame($r['added'], \wordfence::$ips);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testWpCerberAllowListUsesItsWhiteList(): void
    {
        eval('function cerber_acl_add($ip, $tag) { $GLOBALS["scg_acl"][] = [$ip, $tag]; return true; }');
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $r = (new WpCerber())->allowListAddresses();
        self::assertTrue($r['ok'], $r['message']);
        self::assertSame(array_map(static function (string $ip): array {
            return [$ip, 'W'];
        }, $r['added']), $GLOBALS['scg_acl']);
        self::assertContains('94.232.247.0/24', $r['added']);
    }

    public function testApplyAllActsOnlyOnAllowAndOnlyForActivePlugins(): void
    {
        self::activate('wp-simple-firewall/icwp-wpsf.php');
        Registry::applyAll(self::PASS);
        self::assertSame([], WpTestStandIn::$filters);
        Registry::applyAll(self::ALLOW);
        self::assertSame(['shield/is_request_blocked', 'shield/is_ip_blocked_auto'], array_keys(WpTestStandIn::$filters));
    }

    public function testTheRuntimeAppliesTheAdaptersInModeOnAndNotInMonitor(): void
    {
        self::activate('wp-simple-firewall/icwp-wpsf.php');
        $server = self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA);
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        (new Runtime($server, [], new RecordingResponder()))->enforce();
        self::assertArrayNotHasKey('shield/is_request_blocked', WpTestStandIn::$filters);
        self::assertCount(1, $this->queries('INSERT'), 'monitor logs');
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        (new Runtime($server, [], new RecordingResponder()))->enforce();
        self::assertArrayHasKey('shield/is_request_blocked', WpTestStandIn::$filters);
        self::assertCount(2, $this->queries('INSERT'));
    }

    public function testTheRuntimeLogsADenyBeforeBlocking(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $responder = new RecordingResponder();
        (new Runtime(self::server('203.0.113.7', 'DELETE', self::SENDCLOUD_UA), [], $responder))->enforce();
        self::assertCount(1, $responder->blocked);
        self::assertCount(1, $this->queries('INSERT'));
        self::assertStringContainsString("'deny', 'impersonation', 'sendcloud')", $this->queries('INSERT')[0]);
    }

    public function testAnAdapterThatThrowsIsOneLogLineAndTheOthersStillRun(): void
    {
        self::activate('wp-simple-firewall/icwp-wpsf.php');
        $broken = new class implements Adapter {
            public function detect(): bool
            {
                return true;
            }

            public function name(): string
            {
                return 'Broken';
            }

            public function whatItDoes(): string
            {
                return 'throws';
            }

            public function apply(array $decision): void
            {
                throw new \RuntimeException('no');
            }
        };
        Registry::reset([$broken, new Shield()]);
        Registry::applyAll(self::ALLOW);
        self::assertArrayHasKey('shield/is_request_blocked', WpTestStandIn::$filters);
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString('sendcloud-gate: Broken: RuntimeException: no', $lines[0]);
    }

    // --- NinjaFirewall's .htninja -------------------------------------------------------------------------------

    public function testNinjaFirewallBlockIsWrittenOnlyOnRequestAndKeepsTheMerchantsLines(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $path = NinjaFirewall::htninjaPath($this->dir . '/docroot');
        self::assertSame($this->dir . '/docroot/.htninja', $path);
        self::assertFalse(NinjaFirewall::isInstalled($path));
        file_put_contents($path, "<?php\n// mine\nreturn 'BLOCK';\n");

        $r = NinjaFirewall::install($path);
        self::assertTrue($r['ok'], $r['message']);
        $text = (string) file_get_contents($path);
        self::assertStringStartsWith("<?php\n" . NinjaFirewall::BEGIN, $text);
        self::assertStringEndsWith(NinjaFirewall::END . "\n// mine\nreturn 'BLOCK';\n", $text);
        self::assertSame($path, get_option(NinjaFirewall::PATH_OPTION));
        exec(escapeshellarg(PHP_BINARY) . ' -l ' . escapeshellarg($path) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, implode("\n", $out));

        // Written again (settings changed): still one block.
        self::assertTrue(NinjaFirewall::install($path)['ok']);
        self::assertSame(1, substr_count((string) file_get_contents($path), NinjaFirewall::BEGIN));

        self::assertTrue(NinjaFirewall::remove());
        self::assertSame("<?php\n// mine\nreturn 'BLOCK';\n", file_get_contents($path));
        self::assertFalse(get_option(NinjaFirewall::PATH_OPTION));
    }

    public function testNinjaFirewallFileCreatedByTheGateIsDeletedOnRemoval(): void
    {
        $path = $this->dir . '/docroot/.htninja';
        self::assertTrue(NinjaFirewall::install($path)['ok']);
        self::assertTrue(NinjaFirewall::remove($path));
        self::assertFileDoesNotExist($path);
        self::assertSame([], glob($this->dir . '/docroot/*.tmp') ?: []);
    }

    public function testNinjaFirewallRefusesAFileThatIsNotPhpAndFindsTheParentsFile(): void
    {
        file_put_contents($this->dir . '/.htninja', "plain text\n");
        $path = NinjaFirewall::htninjaPath($this->dir . '/docroot');
        self::assertSame($this->dir . '/.htninja', $path, 'NinjaFirewall reads the parent directory\'s file too');
        $r = NinjaFirewall::install($path);
        self::assertFalse($r['ok']);
        self::assertSame("plain text\n", file_get_contents($path));
    }

    public function testNinjaFirewallBlockFollowsTheSettingsWhereItWasWritten(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $path = $this->dir . '/docroot/.htninja';
        NinjaFirewall::install($path);
        self::assertStringContainsString("'mode' => 'on'", (string) file_get_contents($path));
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        NinjaFirewall::refresh();   // what the update_option hooks call
        self::assertStringContainsString("'mode' => 'monitor'", (string) file_get_contents($path));
        Registry::registerHooks();
        self::assertContains([NinjaFirewall::class, 'refresh'], WpTestStandIn::$actions['update_option_' . Settings::COMPILED_OPTION]);
    }

    /**
     * The block's answer, as NinjaFirewall's firewall would get it before WordPress loads: 'ALLOW' for an allowed
     * request in mode on, nothing otherwise.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheHtninjaAnswerIsAllowOnlyForAnAllowedRequestInModeOn(): void
    {
        $path = $this->dir . '/docroot/.htninja';
        $ask = static function (string $ip) use ($path) {
            $saved = $_SERVER;
            $_SERVER = self::server($ip, 'PATCH', self::SENDCLOUD_UA) + $_SERVER;
            try {
                return include $path;
            } finally {
                $_SERVER = $saved;
            }
        };
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        NinjaFirewall::install($path);
        self::assertSame('ALLOW', $ask(self::SENDCLOUD_IP));
        self::assertSame(1, $ask('203.0.113.7'), 'not allowed: the rest of the file runs (include returns 1)');
        self::assertFalse(isset($sendcloud_gate_answer) || isset($sendcloud_gate_htninja));
        self::assertTrue(Settings::save(['mode' => 'monitor'])['ok']);
        NinjaFirewall::install($path);
        self::assertSame(1, $ask(self::SENDCLOUD_IP));
    }
}
