<?php
/*
 * TEST STAND-IN FOR WP-CLI (WP-CLI cannot be installed here): loads the e2e site's WordPress from the command line
 * and runs one command. Used by stack.sh and e2e.test.mjs only; not part of the plugin.
 *
 *   php wp-cli-stand-in.php install          wp_install() the site (admin / e2e-admin-password), pretty permalinks
 *   php wp-cli-stand-in.php eval 'PHP code'  run code with WordPress loaded; prints json_encode() of what it returns
 *
 * Debian's wp-config.php picks /etc/wordpress/config-<WORDPRESS_CONFIG>.php: scg-e2e-<SCG_E2E_PORT> (default 18080),
 * as stack.sh's Apache sets it, or scg-e2e-<SCG_E2E_PORT>-<SCG_E2E_SITE> for one of its extra sites; HTTP_HOST is
 * the environment's, else shop.test.
 */

$_SERVER['HTTP_HOST'] = getenv('HTTP_HOST') ?: 'shop.test';
// The site's config, as the stack's Apache names it (SetEnv WORDPRESS_CONFIG scg-e2e-PORT; with SCG_E2E_SITE=s, one of
// stack.sh's extra sites, scg-e2e-PORT-s).
$scg_site = 'scg-e2e-' . (getenv('SCG_E2E_PORT') ?: '18080') . (preg_match('/^[a-z0-9]+$/', (string) getenv('SCG_E2E_SITE')) ? '-' . getenv('SCG_E2E_SITE') : '');
if (is_file("/etc/wordpress/config-$scg_site.php")) {
    $_SERVER['WORDPRESS_CONFIG'] = $scg_site;
}
$_SERVER['SERVER_NAME'] = $_SERVER['HTTP_HOST'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PORT'] = '80';
$command = $argv[1] ?? '';

if ($command === 'install') {
    define('WP_INSTALLING', true);
    require '/usr/share/wordpress/wp-load.php';
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    if (!is_blog_installed()) {
        $r = wp_install('Sendcloud Gate e2e shop', 'admin', 'admin@shop.test', false, '', 'e2e-admin-password');
        if (!is_array($r)) {
            fwrite(STDERR, "wp_install failed\n");
            exit(1);
        }
    }
    update_option('permalink_structure', '/%postname%/');
    echo json_encode(['installed' => is_blog_installed()]), "\n";
    exit(0);
}

if ($command === 'eval') {
    require '/usr/share/wordpress/wp-load.php';
    require_once ABSPATH . 'wp-admin/includes/plugin.php';
    require_once ABSPATH . 'wp-admin/includes/file.php';
    $result = eval($argv[2] ?? 'return null;');
    echo json_encode($result, JSON_UNESCAPED_SLASHES), "\n";
    exit(0);
}

fwrite(STDERR, "usage: php wp-cli-stand-in.php install | eval 'code'\n");
exit(2);
