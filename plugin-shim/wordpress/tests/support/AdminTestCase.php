<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Admin\Texts;

require_once __DIR__ . '/PluginTestCase.php';

/** PluginTestCase plus the admin stand-in (capabilities, nonces, HTTP) reset per test, and form helpers. */
abstract class AdminTestCase extends PluginTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        WpAdminTestStandIn::reset();
        Texts::reset();
        @mkdir(WPMU_PLUGIN_DIR, 0755, true);
        @unlink(WPMU_PLUGIN_DIR . '/sendcloud-gate-loader.php');
    }

    protected function tearDown(): void
    {
        WpAdminTestStandIn::reset();
        @unlink(WPMU_PLUGIN_DIR . '/sendcloud-gate-loader.php');
        parent::tearDown();
    }

    protected static function asAdmin(): void
    {
        WpAdminTestStandIn::$caps = ['manage_options' => true, 'view_site_health_checks' => true];
    }

    /**
     * Puts a submitted form in $_POST / $_REQUEST as WordPress has them, with the nonce for $nonceAction (or $nonce).
     *
     * @param array<string,mixed> $fields
     * @return array<string,mixed> the form
     */
    protected static function submit(array $fields, string $nonceAction, ?string $nonce = null): array
    {
        $form = $fields + ['_wpnonce' => $nonce ?? WpAdminTestStandIn::nonce($nonceAction)];
        $_POST = $form;
        $_REQUEST = $form;
        return $form;
    }
}
