<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Admin\Page;
use SendcloudGate\WordPress\Early;
use SendcloudGate\WordPress\Log\Hooks;
use SendcloudGate\WordPress\Log\Spool;
use SendcloudGate\WordPress\Plugin;
use SendcloudGate\WordPress\Prepend;
use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/AdminTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

/**
 * The auto_prepend_file mode (Prepend, Early, src/prepend-run.php) against the WordPress test stand-in: the lines in
 * .htaccess / .user.ini and their byte-for-byte removal, the prepend file (run in a PHP subprocess, as PHP would
 * prepend it), chaining, the decision made once, failures, and the settings page's toggle.
 */
final class PrependTest extends AdminTestCase
{
    private const IMPERSONATOR = '203.0.113.7';
    private const WP_HTACCESS = "# BEGIN WordPress\nRewriteEngine On\nRewriteRule . /index.php [L]\n# END WordPress\n";

    /** @var string */
    private $dir;

    protected function setUp(): void
    {
        parent::setUp();
        Early::reset();
        $this->dir = sys_get_temp_dir() . '/scg-wp-prepend-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/docroot', 0755, true);
        @mkdir(ABSPATH . 'wp-content', 0755, true);
    }

    protected function tearDown(): void
    {
        Early::reset();
        @unlink(Prepend::prependFile());
        exec('rm -rf ' . escapeshellarg($this->dir) . ' ' . escapeshellarg(ABSPATH));
        parent::tearDown();
    }

    private function enable(string $sapi = 'apache2handler', string $current = ''): array
    {
        return Prepend::enable([], $sapi, $this->dir . '/docroot', $current);
    }

    /**
     * Runs a PHP script with the prepend file as auto_prepend_file, for a request from $ip with $ua.
     *
     * @return array{0: string, 1: string} stdout, the error log
     */
    private function runPrepended(string $ip, string $ua, string $method = 'GET'): array
    {
        $script = $this->dir . '/index.php';
        file_put_contents($script, "<?php echo \"WordPress loaded\\n\";\n");
        $log = $this->dir . '/php.log';
        @unlink($log);
        $env = ['REMOTE_ADDR' => $ip, 'HTTP_USER_AGENT' => $ua, 'REQUEST_METHOD' => $method, 'REQUEST_URI' => '/wp-json/wc/v3/orders/12', 'PATH' => (string) getenv('PATH')];
        $cmd = [PHP_BINARY, '-n', '-d', 'auto_prepend_file=' . Prepend::prependFile(), '-d', 'error_log=' . $log, '-d', 'log_errors=1', '-d', 'display_errors=0', '-d', 'error_reporting=-1', $script];
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        self::assertIsResource($p);
        $out = (string) stream_get_contents($pipes[1]);
        stream_get_contents($pipes[2]);
        proc_close($p);
        return [$out, is_file($log) ? (string) file_get_contents($log) : ''];
    }

    public function testTheKindFollowsTheServerApi(): void
    {
        self::assertSame('htaccess', Prepend::kindFor('apache2handler'));
        self::assertSame('htaccess', Prepend::kindFor('litespeed'));
        self::assertSame('user_ini', Prepend::kindFor('fpm-fcgi'));
        self::assertSame('user_ini', Prepend::kindFor('cgi-fcgi'));
        self::assertNull(Prepend::kindFor('cli'));
        self::assertNull(Prepend::kindFor('embed'));
    }

    public function testTheDirectoryIsWordPressHomeAsTheServerSeesIt(): void
    {
        update_option('home', 'http://shop.test');
        update_option('siteurl', 'http://shop.test');
        self::assertSame('/srv/www/docroot', Prepend::targetDir(['SCRIPT_FILENAME' => '/srv/www/docroot/wp-admin/options-general.php']));
        // WordPress in its own directory: the home directory is above it (as get_home_path() computes it).
        update_option('siteurl', 'https://shop.test/wp');
        self::assertSame('/srv/www/docroot', Prepend::targetDir(['SCRIPT_FILENAME' => '/srv/www/docroot/wp/wp-admin/options-general.php']));
        self::assertSame(rtrim(ABSPATH, '/'), Prepend::targetDir([]));
    }

    /** @return iterable<string,array{0: ?string}> */
    public static function originals(): iterable
    {
        yield 'WordPress rules' => [self::WP_HTACCESS];
        yield 'no final newline' => [rtrim(self::WP_HTACCESS)];
        yield 'empty file' => [''];
        yield 'no file' => [null];
        yield 'CRLF and another auto_prepend_file' => ["php_value auto_prepend_file /opt/other.php\r\n# BEGIN WordPress\r\n# END WordPress\r\n"];
    }

    /** @dataProvider originals */
    public function testHtaccessLinesAreAppendedAndRemovedByteForByte(?string $original): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $ht = $this->dir . '/docroot/.htaccess';
        if ($original !== null) {
            file_put_contents($ht, $original);
        }
        $r = $this->enable();
        self::assertTrue($r['ok'], $r['message']);
        self::assertSame($ht, $r['target']);
        $text = (string) file_get_contents($ht);
        self::assertSame((string) $original, substr($text, 0, strlen((string) $original)), 'the existing lines are kept, in front');
        self::assertStringEndsWith("# END Sendcloud Gate\n", $text, 'the lines go last, so that they override an earlier auto_prepend_file');
        self::assertStringContainsString("# BEGIN Sendcloud Gate\n", $text);
        self::assertStringContainsString("<IfModule mod_php.c>\nphp_value auto_prepend_file \"" . Prepend::prependFile() . "\"\n</IfModule>", $text);
        self::assertFileExists(Prepend::prependFile());
        exec(escapeshellarg(PHP_BINARY) . ' -l ' . escapeshellarg(Prepend::prependFile()) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, implode("\n", $out));

        // Again: one block, not two.
        self::assertTrue($this->enable()['ok']);
        self::assertSame($text, file_get_contents($ht));

        self::assertTrue(Prepend::disable());
        if ($original === null) {
            self::assertFileDoesNotExist($ht, 'created by the gate, so deleted');
        } else {
            self::assertSame($original, file_get_contents($ht), 'byte for byte');
        }
        self::assertFileDoesNotExist(Prepend::prependFile());
        self::assertNull(get_option(Prepend::OPTION, null));
        self::assertSame([], glob($this->dir . '/docroot/*.tmp') ?: []);
        self::assertSame([], $this->logLines());
    }

    public function testUserIniLinesUnderFastCgiAndAStubThatChainsAfterSwitchingOff(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $ini = $this->dir . '/docroot/.user.ini';
        file_put_contents($ini, "memory_limit = 256M\n");
        $chained = $this->dir . '/host-prepend.php';
        file_put_contents($chained, "<?php echo \"host prepend\\n\";\n");
        $r = $this->enable('fpm-fcgi', $chained);
        self::assertTrue($r['ok'], $r['message']);
        self::assertSame($ini, $r['target']);
        self::assertSame("memory_limit = 256M\n" . Prepend::block('user_ini', Prepend::prependFile()), file_get_contents($ini));
        self::assertIsArray(parse_ini_string((string) file_get_contents($ini)), 'valid INI (comments with ;)');
        self::assertSame(Prepend::prependFile(), parse_ini_string((string) file_get_contents($ini))['auto_prepend_file']);

        self::assertTrue(Prepend::disable());
        self::assertSame("memory_limit = 256M\n", file_get_contents($ini));
        // PHP caches .user.ini (user_ini.cache_ttl): the prepend file stays a while, doing nothing but chain.
        [$out] = $this->runPrepended(self::SENDCLOUD_IP, self::SENDCLOUD_UA);
        self::assertSame("host prepend\nWordPress loaded\n", $out);
        self::assertStringNotContainsString('prepend-run.php', (string) file_get_contents(Prepend::prependFile()));

        // The stub goes once PHP's INI cache cannot hold the lines any more: twice the cache_ttl of the PHP that
        // switched the mode on (here the CLI's, 300 s), plus 5 s; not before.
        $stub = get_option(Prepend::STUB_OPTION);
        $ttl = (int) ini_get('user_ini.cache_ttl');
        self::assertEqualsWithDelta(time() + 2 * $ttl + 5, $stub['until'], 2);
        Prepend::removeStaleStub($stub['until'] - 1);
        self::assertFileExists(Prepend::prependFile());
        Prepend::removeStaleStub('');   // what WordPress passes to an admin_init callback: now
        self::assertFileExists(Prepend::prependFile());
        Prepend::removeStaleStub($stub['until']);
        self::assertFileDoesNotExist(Prepend::prependFile());
        self::assertNull(get_option(Prepend::STUB_OPTION, null));
        self::assertSame("memory_limit = 256M\n", file_get_contents($ini));

        // Switched on again before the time: the live prepend file is not touched.
        self::assertTrue($this->enable('fpm-fcgi', $chained)['ok']);
        self::assertTrue(Prepend::disable());
        self::assertTrue($this->enable('fpm-fcgi', $chained)['ok']);
        self::assertNull(get_option(Prepend::STUB_OPTION, null));
        update_option(Prepend::STUB_OPTION, ['file' => Prepend::prependFile(), 'sha1' => sha1_file(Prepend::prependFile()), 'until' => 0]);
        Prepend::removeStaleStub();
        self::assertStringContainsString('prepend-run.php', (string) file_get_contents(Prepend::prependFile()));
        // A stub changed by hand since is left alone.
        self::assertTrue(Prepend::disable());
        file_put_contents(Prepend::prependFile(), "\n// the merchant's line\n", FILE_APPEND);
        Prepend::removeStaleStub(PHP_INT_MAX);
        self::assertFileExists(Prepend::prependFile());
        self::assertNull(get_option(Prepend::STUB_OPTION, null));
    }

    /**
     * The `.user.ini` lines read by PHP itself: php-cgi (the CGI SAPI, which reads `.user.ini` as PHP-FPM does) runs
     * WordPress's stand-in index.php in the document root the lines were written to, with nothing on its command line
     * naming the prepend file. Mode `on`, impersonators blocked: an impersonator gets 403 before the script runs, a
     * Sendcloud request reaches it.
     */
    public function testPhpCgiReadsTheUserIniLinesAndTheGateDecidesFirst(): void
    {
        $cgi = trim((string) shell_exec('command -v php-cgi'));
        self::assertNotSame('', $cgi, 'php-cgi is missing: .ci/setup.sh installs it (apt-get install php-cgi)');
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $r = $this->enable('cgi-fcgi');
        self::assertTrue($r['ok'], $r['message']);
        $docroot = $this->dir . '/docroot';
        file_put_contents($docroot . '/index.php', "<?php echo \"WordPress loaded\\n\";\n");

        $run = function (string $ip) use ($cgi, $docroot): string {
            $env = ['REDIRECT_STATUS' => '200', 'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_SOFTWARE' => 'test',
                'SCRIPT_FILENAME' => $docroot . '/index.php', 'SCRIPT_NAME' => '/index.php', 'DOCUMENT_ROOT' => $docroot,
                'REQUEST_METHOD' => 'PATCH', 'REQUEST_URI' => '/wp-json/wc/v3/orders/12', 'QUERY_STRING' => '',
                'REMOTE_ADDR' => $ip, 'HTTP_USER_AGENT' => self::SENDCLOUD_UA, 'PATH' => (string) getenv('PATH')];
            // -d: the test's own settings only; .user.ini is PHP's to find (user_ini.filename is .user.ini by default).
            $p = proc_open([$cgi, '-d', 'display_errors=0', '-d', 'log_errors=0'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $docroot, $env);
            self::assertIsResource($p);
            fclose($pipes[0]);
            $out = (string) stream_get_contents($pipes[1]);
            stream_get_contents($pipes[2]);
            proc_close($p);
            return $out;
        };
        $denied = $run(self::IMPERSONATOR);
        self::assertMatchesRegularExpression('/^Status: 403/m', $denied);
        self::assertStringNotContainsString('WordPress loaded', $denied);
        $allowed = $run(self::SENDCLOUD_IP);
        self::assertStringContainsString('WordPress loaded', $allowed);
        self::assertDoesNotMatchRegularExpression('/^Status: 403/m', $allowed);

        // Switched off: the lines are gone and the same request reaches the script.
        self::assertTrue(Prepend::disable());
        self::assertStringContainsString('WordPress loaded', $run(self::IMPERSONATOR));
    }

    public function testTheModeIsRefusedWhereTheServerDoesNotAllowIt(): void
    {
        file_put_contents($this->dir . '/docroot/.htaccess', self::WP_HTACCESS);
        $r = $this->enable('cli');
        self::assertFalse($r['ok']);
        self::assertStringContainsString('“cli”', $r['message']);
        WpTestStandIn::$multisite = true;
        $r = $this->enable();
        self::assertFalse($r['ok']);
        self::assertStringContainsString('multisite', $r['message']);
        self::assertSame(self::WP_HTACCESS, file_get_contents($this->dir . '/docroot/.htaccess'));
        self::assertFileDoesNotExist(Prepend::prependFile());
    }

    public function testAnUnwritableFileIsRefusedAndNothingIsLeft(): void
    {
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            // root writes anywhere: a directory in the way of the file stands in for an unwritable one
            mkdir($this->dir . '/docroot/.htaccess');
        } else {
            chmod($this->dir . '/docroot', 0555);
        }
        $r = $this->enable();
        @chmod($this->dir . '/docroot', 0755);
        self::assertFalse($r['ok']);
        self::assertFileDoesNotExist(Prepend::prependFile(), 'the prepend file goes when the lines cannot be written');
        self::assertNull(get_option(Prepend::OPTION, null));
    }

    public function testThePrependFileDecidesBeforeWordPressAndChainsTheEarlierOne(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $chained = $this->dir . '/host-prepend.php';
        file_put_contents($chained, "<?php echo \"host prepend\\n\";\n");
        self::assertTrue($this->enable('apache2handler', $chained)['ok']);
        self::assertSame($chained, Prepend::state()['chained']);

        [$out, $log] = $this->runPrepended(self::IMPERSONATOR, self::SENDCLOUD_UA);
        self::assertSame(Runtime::BLOCK_BODY, $out, 'deny with "block": 403 before WordPress and before the chained file');
        self::assertSame('', $log);
        [$out, $log] = $this->runPrepended(self::SENDCLOUD_IP, self::SENDCLOUD_UA, 'PATCH');
        self::assertSame("host prepend\nWordPress loaded\n", $out);
        [$out] = $this->runPrepended('198.51.100.1', 'Mozilla/5.0');
        self::assertSame("host prepend\nWordPress loaded\n", $out);
        // The decision log's rows of both (the script here is not WordPress, so the request path never claimed them)
        // are in the spool, as the process wrote them when it ended (after the 403's exit for the first); the page
        // view is not.
        [$rows, $skipped] = Spool::parse((string) file_get_contents(Hooks::spoolPath()));
        self::assertSame(0, $skipped);
        self::assertSame([['deny', 'impersonation', self::IMPERSONATOR, 'GET'], ['allow', 'partner_match', self::SENDCLOUD_IP, 'PATCH']],
            array_map(static function (array $r): array {
                return [$r['action'], $r['reason'], $r['client_ip'], $r['method']];
            }, $rows));

        // Switching on again while the gate's own file is in force keeps chaining the earlier one (never itself).
        self::assertTrue($this->enable('apache2handler', Prepend::prependFile())['ok']);
        self::assertSame($chained, Prepend::state()['chained']);

        // The settings change: the prepend file follows (bootstrap.php hooks refresh() to update_option).
        self::assertTrue(Settings::save(['mode' => 'monitor', 'impersonation' => 'block'])['ok']);
        Prepend::refresh();
        [$out] = $this->runPrepended(self::IMPERSONATOR, self::SENDCLOUD_UA);
        self::assertSame("host prepend\nWordPress loaded\n", $out, 'monitor changes nothing');
    }

    public function testAFailureBeforeWordPressIsPassWithOneLogLineAndTheSiteServes(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        self::assertTrue($this->enable()['ok']);
        update_option(Settings::COMPILED_OPTION, base64_encode('corrupt bytes'));
        Prepend::refresh();
        [$out, $log] = $this->runPrepended(self::IMPERSONATOR, self::SENDCLOUD_UA);
        self::assertSame("WordPress loaded\n", $out);
        self::assertCount(1, array_filter(explode("\n", $log)), $log);
        self::assertStringContainsString('sendcloud-gate', $log);

        // The plugin deleted without deactivation: the prepend file does nothing, the site serves.
        $file = (string) file_get_contents(Prepend::prependFile());
        file_put_contents(Prepend::prependFile(), str_replace(dirname(__DIR__) . '/src/prepend-run.php', $this->dir . '/gone/src/prepend-run.php', $file));
        [$out, $log] = $this->runPrepended(self::IMPERSONATOR, self::SENDCLOUD_UA);
        self::assertSame("WordPress loaded\n", $out);
        self::assertSame('', $log);
    }

    public function testTheRequestPathTakesTheEarlyDecisionInsteadOfDecidingAgain(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $config = ['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION)];
        $early = new RecordingResponder();
        Early::run($config, self::server(self::IMPERSONATOR, 'GET', self::SENDCLOUD_UA), [], $early);
        self::assertSame([[403, Runtime::BLOCK_BODY]], $early->blocked);

        // Given another request's $_SERVER, the request path still answers the early decision: it did not decide.
        $runtime = new Runtime(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder(), true);
        self::assertSame(['deny', 'impersonation'], [$runtime->decision()['action'], $runtime->decision()['reason']]);

        // Settings that are not the prepend file's (saved since): the request path decides itself.
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'log'])['ok']);
        $runtime = new Runtime(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder(), true);
        self::assertSame('allow', $runtime->decision()['action']);
        // Without the early flag (another request's runtime, the tests'), it decides itself too.
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $runtime = new Runtime(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder());
        self::assertSame('allow', $runtime->decision()['action']);
    }

    public function testEarlyInMonitorAndOffAndWithCorruptBytes(): void
    {
        $r = new RecordingResponder();
        Early::run(['mode' => 'monitor', 'policy' => ''], self::server(self::IMPERSONATOR, 'GET', self::SENDCLOUD_UA), [], $r);
        self::assertSame([], $r->blocked);
        self::assertSame([true, null], [Early::decisionFor('monitor', '')[0], null]);
        self::assertSame('impersonation', Early::decisionFor('monitor', null)[1]['reason']);
        self::assertSame([false, null], Early::decisionFor('on', ''));

        Early::reset();
        Early::run(['mode' => 'off', 'policy' => ''], self::server(self::IMPERSONATOR, 'GET', self::SENDCLOUD_UA), []);
        self::assertSame([true, null], Early::decisionFor('off', ''));

        Early::reset();
        Early::run(['mode' => 'on', 'policy' => 'not base64 ***'], self::server(self::IMPERSONATOR, 'GET', self::SENDCLOUD_UA), [], $r);
        self::assertSame('pass', Early::decisionFor('on', 'not base64 ***')[1]['action']);
        self::assertSame([], $r->blocked);
        // The library logs a load failure at most once per PHP process (the subprocess test above sees the one line).
        self::assertLessThanOrEqual(1, count($this->logLines()));
    }

    public function testDeactivationAndUninstallRevertTheLines(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $ht = $this->dir . '/docroot/.htaccess';
        file_put_contents($ht, self::WP_HTACCESS);
        self::assertTrue($this->enable()['ok']);
        Plugin::deactivate();
        self::assertSame(self::WP_HTACCESS, file_get_contents($ht));
        self::assertFileDoesNotExist(Prepend::prependFile());

        self::assertTrue($this->enable()['ok']);
        Plugin::uninstall();
        self::assertSame(self::WP_HTACCESS, file_get_contents($ht));
        self::assertFileDoesNotExist(Prepend::prependFile());
        self::assertNull(get_option(Prepend::OPTION, null));
    }

    public function testTheSettingsPageTogglesItWithCapabilityAndNonce(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $ht = $this->dir . '/docroot/.htaccess';
        file_put_contents($ht, self::WP_HTACCESS);
        $server = ['REMOTE_ADDR' => '192.0.2.55', 'REQUEST_METHOD' => 'POST', 'SCRIPT_FILENAME' => $this->dir . '/docroot/wp-admin/options-general.php'];
        $post = ['sendcloud_gate_action' => 'prepend', 'op' => 'enable'];

        WpAdminTestStandIn::$caps = ['edit_posts' => true];
        try {
            (new Page($server, self::submit($post, Page::PREPEND_NONCE . 'enable')))->handle();
            self::fail('handled without the capability');
        } catch (WpDie $e) {
            self::assertStringContainsString('Sorry', $e->getMessage());
        }
        self::asAdmin();
        foreach (['forged', WpAdminTestStandIn::nonce(Page::PREPEND_NONCE . 'disable')] as $bad) {
            try {
                (new Page($server, self::submit($post, 'x', $bad)))->handle();
                self::fail('handled with a bad nonce');
            } catch (WpDie $e) {
                self::assertStringContainsString('expired', $e->getMessage());
            }
        }
        self::assertSame(self::WP_HTACCESS, file_get_contents($ht));

        // PHP here is the CLI: the page says the mode is not available and refuses it.
        $html = (new Page($server))->html();
        self::assertStringContainsString('id="sendcloud-gate-prepend" data-enabled="0"', $html);
        self::assertStringContainsString('Not available here', $html);
        self::assertStringNotContainsString('id="sendcloud-gate-prepend-enable"', $html);
        $state = (new Page($server, self::submit($post, Page::PREPEND_NONCE . 'enable')))->handle();
        self::assertFalse($state['adapter']['ok']);
        self::assertSame(self::WP_HTACCESS, file_get_contents($ht));

        // Under mod_php (the page's action with that server API): the lines go where the server sees WordPress.
        $r = Page::prependAction('enable', $server, 'apache2handler');
        self::assertTrue($r['ok'], $r['message']);
        self::assertStringContainsString($ht, $r['message']);
        $html = (new Page($server))->html(['action' => 'prepend', 'adapter' => $r]);
        self::assertStringContainsString('id="sendcloud-gate-prepend" data-enabled="1"', $html);
        self::assertStringContainsString('id="sendcloud-gate-prepend-disable"', $html);
        self::assertStringContainsString(htmlspecialchars($ht), $html);

        $state = (new Page($server, self::submit(['op' => 'disable'] + $post, Page::PREPEND_NONCE . 'disable')))->handle();
        self::assertTrue($state['adapter']['ok'], $state['adapter']['message']);
        self::assertSame(self::WP_HTACCESS, file_get_contents($ht));
    }
}
