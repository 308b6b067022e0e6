<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * Wordfence Security, plugin slug `wordfence`.
 *
 * Wordfence 8.2.2 as recorded in the project's notes (../shared/notes/wordpress-integration.md: lib/wordfenceClass.php,
 * wordfence-waf.php, waf/bootstrap.php); in the search index, Wordfence 7.9.1's main file (wordpress-premium/wordfence,
 * wordfence.php, commit 5a57f22) was read: its firewall (vendor/wordfence/wf-waf, waf/bootstrap.php) starts from the
 * auto_prepend_file or, failing that, as soon as the plugin's file loads, before any hook a plugin could add; the
 * body of `whitelistIP()` (deep in lib/wordfenceClass.php) could not be reached through the index, and other plugins
 * call it the same way (WP Rocket's WordFenceCompatibility: `wordfence::whitelistIP($ip)`). Wordfence reads its allow
 * list from its own synced configuration and offers no filter for one request; `wordfence::whitelistIP($ip)` appends
 * to its `whitelisted` setting: permanent, by address only.
 *
 * So nothing happens automatically. The settings page offers allowListAddresses() as an explicit, explained action.
 */
final class Wordfence extends Base
{
    protected function basenames(): array
    {
        return ['wordfence/wordfence.php'];
    }

    public function name(): string
    {
        return 'Wordfence Security';
    }

    public function whatItDoes(): string
    {
        return self::t('Wordfence\'s firewall runs before WordPress, so no plugin can let a single request through it. If Wordfence blocks Sendcloud, you can add Sendcloud\'s addresses to Wordfence\'s allow list with the button below: that is permanent and by address only (anyone using those addresses gets past Wordfence), so do it only if Sendcloud is blocked.');
    }

    public function apply(array $decision): void
    {
        // Nothing per request: see the class comment.
    }

    /**
     * The explicit admin action: `wordfence::whitelistIP()` for each of the partner's addresses as the engine lists
     * them (ranges in CIDR notation).
     *
     * @return array{ok: bool, added: list<string>, message: string}
     */
    public function allowListAddresses(): array
    {
        if (!class_exists('wordfence') || !method_exists('wordfence', 'whitelistIP')) {
            return ['ok' => false, 'added' => [], 'message' => self::t('Wordfence is not loaded.')];
        }
        $ranges = self::partnerRanges();
        if ($ranges === []) {
            return ['ok' => false, 'added' => [], 'message' => self::t('The partner\'s addresses could not be read.')];
        }
        $added = [];
        try {
            foreach ($ranges as $range) {
                \wordfence::whitelistIP($range);
                $added[] = $range;
            }
        } catch (\Throwable $e) {
            return ['ok' => false, 'added' => $added, 'message' => $e->getMessage()];
        }
        return ['ok' => true, 'added' => $added, 'message' => ''];
    }
}
