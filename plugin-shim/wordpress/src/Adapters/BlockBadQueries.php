<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * BBQ Firewall (Block Bad Queries), plugin slug `block-bad-queries`.
 *
 * Checked against BBQ 20260419 (WordPressBugBounty/plugins-block-bad-queries, block-bad-queries.php, commit
 * 77b10ce): all of BBQ's checks run in `bbq_core()`, registered as `add_action('plugins_loaded', 'bbq_core')`
 * (priority 10); a match calls `bbq_response()`, which sends 403 and exits. BBQ has no allow list.
 *
 * On `allow`: for this request only, `bbq_core` is removed from `plugins_loaded` before it runs.
 */
final class BlockBadQueries extends Base
{
    public const CALLBACK = 'bbq_core';

    protected function basenames(): array
    {
        return ['block-bad-queries/block-bad-queries.php', 'bbq-pro/bbq-pro.php'];
    }

    public function name(): string
    {
        return 'BBQ Firewall (Block Bad Queries)';
    }

    public function whatItDoes(): string
    {
        return self::t('For a request the gate allows, BBQ\'s checks are skipped for that request only. Nothing is saved.');
    }

    public function apply(array $decision): void
    {
        if (($decision['action'] ?? null) !== 'allow' || !function_exists('add_action')) {
            return;
        }
        add_action('plugins_loaded', [self::class, 'removeCheck'], -1000);
    }

    public static function removeCheck(): void
    {
        remove_action('plugins_loaded', self::CALLBACK);
    }
}
