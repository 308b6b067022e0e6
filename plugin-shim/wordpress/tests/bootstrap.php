<?php
// Test bootstrap: the plugin's classes and the PHP library through the plugin's autoloader, with the WordPress test
// stand-in (tests/support/wp-test-stand-in.php) in place of WordPress. Run from the repository root:
// phpunit -c plugin-shim/wordpress/phpunit.xml.dist (after `make php`).

declare(strict_types=1);

if (!is_file(__DIR__ . '/../../php/generated/DecideCore.php')) {
    fwrite(STDERR, "plugin-shim/php/generated/ is missing: run `make php` first\n");
    exit(1);
}

define('ABSPATH', sys_get_temp_dir() . '/sendcloud-gate-wp-tests-' . getmypid() . '/');
define('WPMU_PLUGIN_DIR', ABSPATH . 'wp-content/mu-plugins');

require __DIR__ . '/support/wp-test-stand-in.php';
require __DIR__ . '/support/wp-admin-test-stand-in.php';
require __DIR__ . '/../autoload.php';
