<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * All-In-One Security (AIOS), plugin slug `all-in-one-wp-security-and-firewall` (main file `wp-security.php`).
 *
 * Checked against AIOS's source in the search index: its REST API restriction for logged-out requests (setting
 * `aiowps_disallow_unauthorized_rest_requests`, off by default) is registered in the constructor of
 * `AIOWPSecurity_General_Init_Tasks` (classes/wp-security-general-init-tasks.php) as
 * `add_action('rest_api_init', array($this, 'check_rest_api_requests'), 10, 1)` — read in a 5.x copy of that file
 * (its version is not recorded in the file; the same registration, with `&$this`, in older copies). The plugin's core
 * class is AIOS 5.3.5 in the wordpress.org snapshot (WordPressBugBounty/plugins-all-in-one-wp-security-and-firewall,
 * wp-security-core.php, commit 27d31fa), which holds no copy of the init-tasks file. The adapter removes only a
 * callback that is there, so a release that registers it differently is left as it is.
 *
 * AIOS's PHP firewall (`aios-bootstrap.php`, an auto_prepend_file), its .htaccess rules and its permanent block list
 * (`AIOWPSecurity_Blocking::check_visitor_ip_and_perform_blocking()`, in the same constructor) offer no per-request
 * hook. Their own allow lists are permanent changes and are left to the merchant.
 *
 * On `allow`: for this request only, AIOS's `check_rest_api_requests` is taken off `rest_api_init` just before it
 * would run (priority 9), so the REST restriction does not answer 401 to it.
 */
final class AllInOneSecurity extends Base
{
    public const METHOD = 'check_rest_api_requests';

    protected function basenames(): array
    {
        return ['all-in-one-wp-security-and-firewall/wp-security.php'];
    }

    public function name(): string
    {
        return 'All-In-One Security (AIOS)';
    }

    public function whatItDoes(): string
    {
        return self::t('For a request the gate allows, AIOS\'s "Disallow unauthorized REST requests" check is skipped for that request only. AIOS\'s firewall rules run before WordPress and are not changed: if they block Sendcloud, add its addresses to the AIOS allow list yourself.');
    }

    public function apply(array $decision): void
    {
        if (($decision['action'] ?? null) !== 'allow' || !function_exists('add_action')) {
            return;
        }
        add_action('rest_api_init', [self::class, 'removeRestCheck'], 9);
    }

    /** Takes AIOS's REST check off rest_api_init (priority 10) for the current request. */
    public static function removeRestCheck(): void
    {
        global $wp_filter;
        $hook = $wp_filter['rest_api_init'] ?? null;
        $callbacks = is_object($hook) && isset($hook->callbacks) ? $hook->callbacks : (is_array($hook) ? $hook : []);
        foreach ($callbacks[10] ?? [] as $entry) {
            $fn = $entry['function'] ?? null;
            if (is_array($fn) && isset($fn[0], $fn[1]) && is_object($fn[0]) && $fn[1] === self::METHOD
                && strpos(get_class($fn[0]), 'AIOWPSecurity_') === 0) {
                remove_action('rest_api_init', $fn, 10);
            }
        }
    }
}
