<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * WP Cerber Security, plugin slug `wp-cerber`.
 *
 * Checked against WP Cerber 9.0 (nawawi/wp-cerber, wp-cerber.php and cerber-load.php at commit e0f09c6; other
 * releases in the search index agree): its access control (`cerber_access_control()`, which also enforces the REST
 * API restriction) runs from an anonymous function on `init` (priority 0), and returns early only for an address on
 * its White IP Access List (`crb_acl_is_white()`, read from its own table with direct SQL); its settings are read
 * with direct SQL too (`crb_get_settings()`). So WP Cerber offers no hook that could let one request through: the
 * only mechanism is its allow list, `cerber_acl_add($ip, 'W')`, which is permanent.
 *
 * So nothing happens automatically. The settings page offers allowListAddresses() as an explicit, explained action
 * (it adds the partner's addresses, as the engine lists them, to WP Cerber's White IP Access List).
 */
final class WpCerber extends Base
{
    protected function basenames(): array
    {
        return ['wp-cerber/wp-cerber.php'];
    }

    public function name(): string
    {
        return 'WP Cerber Security';
    }

    public function whatItDoes(): string
    {
        return self::t('WP Cerber has no way to let a single request through. If it blocks Sendcloud, you can add Sendcloud\'s addresses to its White IP Access List with the button below: that is permanent and by address only (anyone using those addresses gets through), so do it only if Sendcloud is blocked.');
    }

    public function apply(array $decision): void
    {
        // Nothing per request: see the class comment.
    }

    /**
     * The explicit admin action: adds the partner's addresses to WP Cerber's White IP Access List with
     * `cerber_acl_add($range, 'W')`. Returns the addresses added (an address already listed is skipped by WP Cerber).
     *
     * @return array{ok: bool, added: list<string>, message: string}
     */
    public function allowListAddresses(): array
    {
        if (!function_exists('cerber_acl_add')) {
            return ['ok' => false, 'added' => [], 'message' => self::t('WP Cerber is not loaded.')];
        }
        $ranges = self::partnerRanges();
        if ($ranges === []) {
            return ['ok' => false, 'added' => [], 'message' => self::t('The partner\'s addresses could not be read.')];
        }
        $added = [];
        foreach ($ranges as $range) {
            if (cerber_acl_add($range, 'W')) {
                $added[] = $range;
            }
        }
        return ['ok' => true, 'added' => $added, 'message' => ''];
    }
}
