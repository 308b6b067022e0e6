<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Early;
use SendcloudGate\WordPress\Log\DecisionLog;
use SendcloudGate\WordPress\Log\Hooks;
use SendcloudGate\WordPress\Log\Spool;
use SendcloudGate\WordPress\Plugin;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/LogTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

/**
 * The decision log's spool (Log\Spool): decisions made before WordPress (Early) or before $wpdb exists, appended to
 * a file under wp-content and imported into the table (here the $wpdb test stand-in, which records the INSERTs).
 */
final class SpoolTest extends LogTestCase
{
    private const DENY = ['action' => 'deny', 'reason' => 'impersonation', 'rule' => 'sendcloud', 'client_ip' => '203.0.113.7', 'method' => 'PATCH'];

    /** @var string */
    private $path;

    protected function setUp(): void
    {
        parent::setUp();
        Early::reset();
        $this->path = Hooks::spoolPath();
    }

    protected function tearDown(): void
    {
        Early::reset();
        parent::tearDown();
    }

    /** @return array<string,string> */
    private static function row(string $ip = '203.0.113.7', string $uri = '/wp-json/wc/v3/orders/12'): array
    {
        return DecisionLog::row(['client_ip' => $ip] + self::DENY, self::server('127.0.0.1', 'PATCH', self::SENDCLOUD_UA, $uri), 1700000000);
    }

    public function testARowIsAppendedToAFileOnlyPhpCanServeAndImportedIntoTheTable(): void
    {
        self::assertSame(ABSPATH . 'wp-content/sendcloud-gate-spool/decisions.php', $this->path);
        self::assertTrue(Spool::append(self::row('203.0.113.7')));
        self::assertTrue(Spool::append(self::row('203.0.113.8')));
        $dir = dirname($this->path);
        self::assertSame(0700, fileperms($dir) & 0777);
        self::assertSame(0600, fileperms($this->path) & 0777);
        self::assertStringContainsString('Require all denied', (string) file_get_contents($dir . '/.htaccess'));
        self::assertFileExists($dir . '/index.php');
        $text = (string) file_get_contents($this->path);
        self::assertStringStartsWith(Spool::HEADER, $text);
        self::assertCount(2, array_filter(explode("\n", substr($text, strlen(Spool::HEADER)))));
        // Reached over the web and run by PHP, the file prints nothing (what follows the header is not even parsed).
        exec(escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg($this->path) . ' 2>&1', $out, $rc);
        self::assertSame([0, []], [$rc, $out]);

        self::assertSame(2, Spool::import());
        $inserts = $this->queries('INSERT');
        self::assertCount(1, $inserts, 'one INSERT for both rows');
        self::assertStringStartsWith('INSERT INTO `wp_sendcloud_gate_log` (created_at, client_ip, method, path, user_agent, action, reason, rule) VALUES', $inserts[0]);
        self::assertStringContainsString("('2023-11-14 22:13:20', '203.0.113.7', 'PATCH', '/wp-json/wc/v3/orders/12', '" . self::SENDCLOUD_UA . "', 'deny', 'impersonation', 'sendcloud'), ('2023-11-14 22:13:20', '203.0.113.8',", $inserts[0]);
        self::assertSame(Spool::HEADER, file_get_contents($this->path), 'truncated to its header');
        self::assertSame(0, Spool::import(), 'nothing twice');
        self::assertCount(1, $this->queries('INSERT'));
        self::assertSame([], $this->logLines());
    }

    public function testNoQueryStringBodyOrOtherHeaderIsStored(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $server = self::server('203.0.113.7', 'POST', self::SENDCLOUD_UA, '/wp-json/wc/v3/orders/12?consumer_key=ck_query_secret&_method=PATCH')
            + ['HTTP_AUTHORIZATION' => 'Basic header_secret', 'HTTP_COOKIE' => 'wordpress_logged_in=cookie_secret', 'QUERY_STRING' => 'consumer_key=ck_query_secret&_method=PATCH'];
        $responder = new RecordingResponder();
        Early::run(['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION), 'spool' => $this->path], $server, ['password' => 'body_secret'], $responder);
        self::assertSame([[403, "Forbidden: this request was blocked by Sendcloud Gate.\n"]], $responder->blocked);
        Early::flush();
        $text = (string) file_get_contents($this->path);
        foreach (['query_secret', 'header_secret', 'cookie_secret', 'body_secret'] as $secret) {
            self::assertStringNotContainsString($secret, $text);
        }
        [$rows, $skipped] = Spool::parse($text);
        self::assertSame(0, $skipped);
        self::assertSame([['/wp-json/wc/v3/orders/12', 'PATCH', 'deny', 'impersonation']], array_map(static function (array $r): array {
            return [$r['path'], $r['method'], $r['action'], $r['reason']];
        }, $rows));
    }

    public function testTheFileIsBoundedAndTheImportSaysRowsWereDropped(): void
    {
        $long = self::row('203.0.113.7', '/' . str_repeat('p', 400));   // the widest row: 255-byte path and UA
        $long['user_agent'] = str_repeat('u', 255);
        $written = 0;
        while (Spool::append($long)) {
            $written++;
            self::assertLessThan(5000, $written, 'never full');
        }
        clearstatcache();
        self::assertLessThanOrEqual(Spool::MAX_BYTES, filesize($this->path));
        self::assertGreaterThan(Spool::MAX_BYTES - Spool::MAX_LINE, filesize($this->path));
        self::assertFalse(Spool::append(self::row()), 'full: dropped');
        self::assertSame([], $this->logLines(), 'a full spool does not write a line per request');

        self::assertSame($written, Spool::import());
        self::assertCount((int) ceil($written / 50), $this->queries('INSERT'), '50 rows per INSERT');
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString('reached its bound of 1048576 bytes', $lines[0]);
        self::assertTrue(Spool::append(self::row()), 'room again after the import');
    }

    public function testCorruptLinesAreSkippedWithOneLogLine(): void
    {
        self::assertTrue(Spool::append(self::row('203.0.113.1')));
        $good = json_encode(self::row('203.0.113.2'), JSON_UNESCAPED_SLASHES);
        $bad = [
            'not json at all',
            '{"created_at":"2023-11-14 22:13:20","client_ip":"203.0.113.9"',                       // cut short (a full disk)
            (string) json_encode(self::row() + ['extra' => 'x']),                                   // a key too many
            (string) json_encode(['action' => 'drop table'] + self::row()),                          // not an action
            (string) json_encode(['created_at' => "2023-11-14'; --"] + self::row()),                // not a time
            (string) json_encode(['path' => str_repeat('a', 256)] + self::row()),                   // wider than the column
            (string) json_encode(['client_ip' => ['203.0.113.9']] + self::row()),                   // not a string
            str_repeat('x', Spool::MAX_LINE + 1),
        ];
        file_put_contents($this->path, implode("\n", $bad) . "\n" . $good . "\n\x00\x01\n", FILE_APPEND);
        self::assertSame(2, Spool::import());
        $insert = $this->queries('INSERT')[0];
        self::assertStringContainsString("'203.0.113.1'", $insert);
        self::assertStringContainsString("'203.0.113.2'", $insert);
        self::assertStringNotContainsString('203.0.113.9', $insert);
        self::assertStringNotContainsString('drop table', $insert);
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString('9 corrupt line(s) skipped', $lines[0]);
        self::assertSame(Spool::HEADER, file_get_contents($this->path));
    }

    public function testAFailingInsertIsOneLogLineAndTheRequestGoesOn(): void
    {
        self::assertTrue(Spool::append(self::row()));
        $this->db->queryResult = false;
        $this->db->failure = "Table 'wp.wp_sendcloud_gate_log' doesn't exist";
        self::assertSame(0, Spool::import());
        $lines = $this->logLines();
        self::assertCount(1, $lines);
        self::assertStringContainsString("1 row(s) could not be inserted: Table 'wp.wp_sendcloud_gate_log' doesn't exist", $lines[0]);
    }

    public function testAnUnusableDirectoryIsOneLogLineAndNothingElse(): void
    {
        // A file where the directory should be (root writes anywhere, so permissions cannot stand in for this).
        file_put_contents(dirname($this->path), 'in the way');
        self::assertFalse(Spool::append(self::row()));
        self::assertCount(1, $this->logLines());
        unlink(dirname($this->path));

        // A directory that is a symbolic link is not ours: refused, nothing written through it.
        $elsewhere = ABSPATH . 'elsewhere';
        mkdir($elsewhere);
        symlink($elsewhere, dirname($this->path));
        self::assertFalse(Spool::append(self::row()));
        self::assertSame(['.', '..'], scandir($elsewhere));
        self::assertCount(2, $this->logLines());
        self::assertSame(0, Spool::import(), 'a missing file: nothing to do');
        self::assertFalse(Spool::remove(), 'the link is left alone');
        unlink(dirname($this->path));
        self::assertSame(0, Spool::import());
        self::assertCount(2, $this->logLines());
    }

    public function testAFileAnotherImportHoldsIsLeftForTheNextLoad(): void
    {
        self::assertTrue(Spool::append(self::row()));
        $other = fopen($this->path, 'r+b');
        self::assertIsResource($other);
        self::assertTrue(flock($other, LOCK_EX));
        $before = file_get_contents($this->path);
        self::assertSame(0, Spool::import());
        self::assertSame($before, file_get_contents($this->path));
        flock($other, LOCK_UN);
        fclose($other);
        self::assertSame(1, Spool::import());
    }

    public function testConcurrentWritersAndImportsLoseAndRepeatNothing(): void
    {
        $writers = 4;
        $each = 150;
        $script = ABSPATH . 'writer.php';
        file_put_contents($script, '<?php require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ";\n"
            . 'for ($i = 0; $i < ' . $each . '; $i++) {'
            . ' \SendcloudGate\WordPress\Log\Spool::append(\SendcloudGate\WordPress\Log\DecisionLog::row('
            . "['action' => 'deny', 'reason' => 'impersonation', 'rule' => 'sendcloud', 'client_ip' => \$argv[1] . '.' . \$i, 'method' => 'GET'],"
            . " ['REQUEST_URI' => '/x'], 1700000000), " . var_export($this->path, true) . '); }' . "\n");
        $procs = [];
        for ($w = 0; $w < $writers; $w++) {
            $procs[] = proc_open([PHP_BINARY, '-n', $script, "10.0.$w"], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        }
        $imported = 0;
        do {
            $running = 0;
            foreach ($procs as $p) {
                $running += proc_get_status($p)['running'] ? 1 : 0;
            }
            $imported += Spool::import();
            usleep(2000);
        } while ($running > 0);
        foreach ($procs as $p) {
            proc_close($p);
        }
        $imported += Spool::import();
        self::assertSame($writers * $each, $imported);
        $ips = [];
        foreach ($this->queries('INSERT') as $q) {
            preg_match_all("/'(10\\.0\\.\\d\\.\\d+)'/", $q, $m);
            array_push($ips, ...$m[1]);
        }
        self::assertCount($writers * $each, array_unique($ips), 'every row once');
        self::assertSame([], $this->logLines());
    }

    public function testEarlySpoolsWhatTheLogKeepsUnlessTheRequestPathClaimsIt(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        $config = ['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION), 'spool' => $this->path];
        // An ordinary page view: nothing kept.
        Early::run($config, self::server('198.51.100.1', 'GET', 'Mozilla/5.0'), [], new RecordingResponder());
        self::assertNull(Early::pendingRow());
        Early::flush();
        self::assertFileDoesNotExist($this->path);

        // Sendcloud, allowed: kept; the request path (WordPress loaded) claims it and logs its own INSERT instead.
        Early::reset();
        Early::run($config, self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder());
        self::assertSame('allow', Early::pendingRow()['action']);
        Early::claim();
        Early::flush();
        self::assertFileDoesNotExist($this->path);

        // Without a spool in the prepend file (one written by an older version): nothing kept.
        Early::reset();
        Early::run(['spool' => ''] + $config, self::server('203.0.113.7', 'GET', self::SENDCLOUD_UA), [], new RecordingResponder());
        self::assertNull(Early::pendingRow());
        self::assertSame([], $this->logLines());
    }

    public function testUninstallAndDeactivationRemoveTheSpool(): void
    {
        self::assertTrue(Spool::append(self::row()));
        Plugin::deactivate();
        self::assertCount(1, $this->queries('INSERT'), 'deactivation imports what is left first');
        self::assertDirectoryDoesNotExist(dirname($this->path));

        self::assertTrue(Spool::append(self::row()));
        Plugin::uninstall();
        self::assertDirectoryDoesNotExist(dirname($this->path));
        self::assertSame([], $this->logLines());
    }
}
