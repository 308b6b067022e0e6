<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Settings;

/**
 * Sendcloud Gate: the gate's status, a test request, the decision log.
 *
 * Loaded only under WP-CLI (`defined('WP_CLI') && WP_CLI`). Decisions are the library's; this prints them.
 */
final class Cli
{
    /** Registers `wp sendcloud-gate`. */
    public static function register(): void
    {
        if (class_exists('WP_CLI')) {
            \WP_CLI::add_command('sendcloud-gate', self::class);
        }
    }

    /**
     * Shows the switch, where the gate runs, the preset's review, the security plugins found, the last Sendcloud
     * request and the last 7 days by decision.
     *
     * ## EXAMPLES
     *
     *     wp sendcloud-gate status
     *
     * @param list<string> $args
     * @param array<string,string> $assoc
     */
    public function status(array $args = [], array $assoc = []): void
    {
        $mode = Settings::load()['mode'];
        \WP_CLI::line('Switch: ' . $mode);
        $loader = Loader::state();
        \WP_CLI::line('Runs: ' . ($loader === 'current' ? 'early, from the must-use loader' : 'when the plugin loads (must-use loader ' . $loader . ')'));
        $failure = Status::savedGate()->loadFailure();
        if ($failure !== null) {
            \WP_CLI::warning('The engine could not load (every decision is pass): ' . $failure);
        }
        try {
            $preset = Status::preset();
        } catch (\Throwable $e) {
            $preset = null;
            \WP_CLI::warning('The preset cannot be shown: ' . $e->getMessage());
        }
        if ($preset !== null) {
            $pr = (array) ($preset['provenance'] ?? []);
            \WP_CLI::line(sprintf(
                'Preset: %s, %s, reviewed %s (%s days ago), source %s',
                (string) ($preset['id'] ?? ''),
                ($pr['verified'] ?? false) === true ? 'verified' : 'not verified',
                (string) ($pr['reviewed'] ?? '?'),
                (string) (Status::reviewAgeDays($preset) ?? '?'),
                (string) ($pr['source'] ?? '')
            ));
        }
        $plugins = Status::securityPlugins();
        if ($plugins === null) {
            \WP_CLI::line('Security plugins: not handled by this version');
        } elseif ($plugins === []) {
            \WP_CLI::line('Security plugins: none of the known ones is active');
        } else {
            foreach ($plugins as $p) {
                \WP_CLI::line('Security plugin: ' . $p['name'] . ': ' . $p['what']);
            }
        }
        if (!Status::logAvailable()) {
            \WP_CLI::line('Decision log: not in this version');
            return;
        }
        $last = Status::lastPartnerRequest();
        \WP_CLI::line('Last Sendcloud request: ' . ($last === null ? 'none seen' : sprintf(
            '%s UTC %s %s: %s %s',
            (string) ($last['created_at'] ?? ''),
            (string) ($last['method'] ?? ''),
            (string) ($last['path'] ?? ''),
            (string) ($last['action'] ?? ''),
            (string) ($last['reason'] ?? '')
        )));
        $counts = Status::countsByAction(7) ?? [];
        $parts = [];
        foreach ($counts as $a => $n) {
            $parts[] = $a . ' ' . $n;
        }
        \WP_CLI::line('Last 7 days: ' . implode(', ', $parts));
        foreach (Status::advice($last, $mode) as $a) {
            \WP_CLI::line('To do: ' . $a);
        }
    }

    /**
     * Decides a request with the saved settings and explains the decision.
     *
     * ## OPTIONS
     *
     * --ip=<address>
     * : The peer address (REMOTE_ADDR).
     *
     * [--method=<method>]
     * : The request method.
     * ---
     * default: GET
     * ---
     *
     * [--path=<path>]
     * : The request target (path and query).
     * ---
     * default: /
     * ---
     *
     * [--ua=<user-agent>]
     * : The User-Agent.
     *
     * [--header=<header>]
     * : Another header, "Name: value"; several separated by newlines.
     *
     * [--json]
     * : Print the explanation as JSON.
     *
     * ## EXAMPLES
     *
     *     wp sendcloud-gate test --ip=198.51.100.5 --method=PATCH --path=/wp-json/wc/v3/orders/1 --ua="$USER_AGENT_FROM_YOUR_LOG"
     *
     * @param list<string> $args
     * @param array<string,string> $assoc
     */
    public function test(array $args = [], array $assoc = []): void
    {
        if (!isset($assoc['ip']) || !is_string($assoc['ip'])) {
            \WP_CLI::error('--ip is required: the peer address of the request');
        }
        $d = Page::explain(Page::testInput([
            'remote_addr' => $assoc['ip'], 'method' => $assoc['method'] ?? 'GET', 'uri' => $assoc['path'] ?? '/',
            'user_agent' => $assoc['ua'] ?? '', 'headers' => $assoc['header'] ?? '',
        ]));
        if (isset($assoc['json'])) {
            \WP_CLI::line((string) json_encode($d, JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT));
            return;
        }
        \WP_CLI::line(sprintf('%s  %s  rule=%s  client_ip=%s  method=%s', (string) $d['action'], (string) $d['reason'],
            (string) ($d['rule'] ?? '-'), (string) ($d['client_ip'] ?? '-'), (string) ($d['method'] ?? '-')));
        \WP_CLI::line(Texts::actionSummary((string) $d['action']) . ' ' . Texts::explain($d));
        foreach ((array) ($d['trace'] ?? []) as $i => $step) {
            \WP_CLI::line(sprintf('%2d. %s', $i + 1, is_string($step) ? $step : (string) json_encode($step)));
        }
    }

    /**
     * Lists the decision log, newest first.
     *
     * ## OPTIONS
     *
     * [--limit=<n>]
     * : How many rows.
     * ---
     * default: 20
     * ---
     *
     * [--action=<action>]
     * : Only this decision: allow, deny or pass.
     *
     * [--reason=<reason>]
     * : Only this reason code.
     *
     * [--not-allowed]
     * : Only Sendcloud requests that were not allowed.
     *
     * ## EXAMPLES
     *
     *     wp sendcloud-gate log --not-allowed
     *
     * @param list<string> $args
     * @param array<string,string> $assoc
     */
    public function log(array $args = [], array $assoc = []): void
    {
        $log = '\\SendcloudGate\\WordPress\\Log\\DecisionLog';
        if (!class_exists($log) || !method_exists($log, 'query')) {
            \WP_CLI::error('This version keeps no decision log.');
        }
        $filters = [];
        foreach (['action', 'reason'] as $k) {
            if (isset($assoc[$k]) && is_string($assoc[$k]) && $assoc[$k] !== '') {
                $filters[$k] = $assoc[$k];
            }
        }
        if (isset($assoc['not-allowed'])) {
            $filters['sendcloud_not_allowed'] = true;
        }
        $limit = max(1, min(1000, (int) ($assoc['limit'] ?? 20)));
        $page = $log::query($filters, 1, $limit);
        foreach ($page['rows'] as $r) {
            \WP_CLI::line(implode("\t", [
                (string) ($r['created_at'] ?? ''), (string) ($r['action'] ?? ''), (string) ($r['reason'] ?? ''),
                (string) ($r['rule'] ?? ''), (string) ($r['client_ip'] ?? ''), (string) ($r['method'] ?? ''),
                (string) ($r['path'] ?? ''), (string) ($r['user_agent'] ?? ''),
            ]));
        }
        \WP_CLI::line(sprintf('%d of %d rows', count($page['rows']), (int) $page['total']));
    }
}
