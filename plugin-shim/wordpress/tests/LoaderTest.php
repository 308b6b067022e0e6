<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Plugin;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';

final class LoaderTest extends PluginTestCase
{
    /** @var string */
    private $dir;

    protected function setUp(): void
    {
        parent::setUp();
        $this->dir = sys_get_temp_dir() . '/scg-wp-loader-' . getmypid() . '-' . bin2hex(random_bytes(4));
    }

    protected function tearDown(): void
    {
        exec('rm -rf ' . escapeshellarg($this->dir) . ' ' . escapeshellarg(ABSPATH));
        parent::tearDown();
    }

    public function testInstallWritesALoaderThatRequiresTheBootstrap(): void
    {
        $bootstrap = $this->dir . '/plugin/bootstrap.php';
        mkdir(dirname($bootstrap), 0755, true);
        file_put_contents($bootstrap, "<?php \$GLOBALS['scg_loader_test'] = (\$GLOBALS['scg_loader_test'] ?? 0) + 1;\n");
        $mu = $this->dir . '/wp-content/mu-plugins';

        self::assertTrue(Loader::install($mu, $bootstrap));
        $file = $mu . '/' . Loader::FILE;
        self::assertFileExists($file);
        self::assertStringContainsString(var_export($bootstrap, true), (string) file_get_contents($file));
        exec(escapeshellarg(PHP_BINARY) . ' -l ' . escapeshellarg($file) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, implode("\n", $out));
        self::assertSame([], glob($mu . '/*.tmp'));

        require $file;
        require $file;   // the loader uses require_once: the bootstrap runs once
        self::assertSame(1, $GLOBALS['scg_loader_test']);
        unset($GLOBALS['scg_loader_test']);
    }

    public function testLoaderDoesNothingWhenThePluginIsGone(): void
    {
        $mu = $this->dir . '/mu';
        self::assertTrue(Loader::install($mu, $this->dir . '/deleted-plugin/bootstrap.php'));
        $level = ob_get_level();
        ob_start();
        require $mu . '/' . Loader::FILE;
        self::assertSame('', ob_get_clean());
        self::assertSame($level, ob_get_level());
    }

    public function testInstallOverwritesAndRemoveDeletes(): void
    {
        $mu = $this->dir . '/mu';
        self::assertTrue(Loader::install($mu, '/old/bootstrap.php'));
        self::assertTrue(Loader::install($mu, '/new/bootstrap.php'));
        self::assertStringContainsString("'/new/bootstrap.php'", (string) file_get_contents($mu . '/' . Loader::FILE));
        self::assertTrue(Loader::remove($mu));
        self::assertFileDoesNotExist($mu . '/' . Loader::FILE);
        self::assertTrue(Loader::remove($mu), 'removing an absent loader is fine');
    }

    public function testInstallFailsCleanlyWhereItCannotWrite(): void
    {
        file_put_contents($this->dir . '-file', 'x');
        try {
            self::assertFalse(Loader::install($this->dir . '-file/mu', '/x/bootstrap.php'));
        } finally {
            unlink($this->dir . '-file');
        }
    }

    public function testActivationInstallsTheLoaderAndStartsInMonitor(): void
    {
        Plugin::activate();
        self::assertFileExists(WPMU_PLUGIN_DIR . '/' . Loader::FILE);
        self::assertStringContainsString(
            var_export(dirname(__DIR__) . '/bootstrap.php', true),
            (string) file_get_contents(WPMU_PLUGIN_DIR . '/' . Loader::FILE)
        );
        self::assertSame('monitor', Settings::load()['mode']);
        self::assertIsString(get_option(Settings::COMPILED_OPTION));
    }

    public function testActivationKeepsExistingSettings(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'impersonation' => 'block'])['ok']);
        Plugin::activate();
        self::assertSame('on', Settings::load()['mode']);
        self::assertSame('block', Settings::load()['impersonation']);
    }

    public function testDeactivationRemovesTheLoaderAndKeepsSettings(): void
    {
        Plugin::activate();
        Plugin::deactivate();
        self::assertFileDoesNotExist(WPMU_PLUGIN_DIR . '/' . Loader::FILE);
        self::assertSame('monitor', Settings::load()['mode']);
    }

    public function testUninstallRemovesLoaderAndOptionsOnEverySite(): void
    {
        WpTestStandIn::$multisite = true;
        foreach ([1, 2, 3] as $site) {
            switch_to_blog($site);
            Plugin::activate();
            update_option('another_plugin', 'kept');
            restore_current_blog();
        }
        Plugin::uninstall();
        self::assertFileDoesNotExist(WPMU_PLUGIN_DIR . '/' . Loader::FILE);
        foreach ([1, 2, 3] as $site) {
            self::assertSame(['another_plugin' => 'kept'], WpTestStandIn::$options[$site], "site $site");
        }
        self::assertSame(1, WpTestStandIn::$blog);
    }

    public function testUninstallOnASingleSite(): void
    {
        Plugin::activate();
        Plugin::uninstall();
        self::assertSame([], WpTestStandIn::$options[1]);
        self::assertFileDoesNotExist(WPMU_PLUGIN_DIR . '/' . Loader::FILE);
    }
}
