<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

/**
 * The decision log's admin list (WooCommerce → Sendcloud Gate log, or Tools → Sendcloud Gate log): filters (action,
 * reason, "Sendcloud not allowed"), paging and a CSV export. Reading the log needs `manage_options`; the export is an
 * admin-post action with its nonce. The rows and the CSV are the decision log's (Log\DecisionLog); this prints them.
 */
final class LogPage
{
    public const SLUG = 'sendcloud-gate-log';
    public const CSV_ACTION = 'sendcloud_gate_log_csv';
    public const PER_PAGE = 50;
    private const DECISION_LOG = '\\SendcloudGate\\WordPress\\Log\\DecisionLog';

    /** admin_menu: beside the settings page. */
    public static function menu(): void
    {
        $title = __('Sendcloud Gate log', 'sendcloud-gate');
        if (class_exists('WooCommerce')) {
            add_submenu_page('woocommerce', $title, $title, Page::CAP, self::SLUG, [self::class, 'render']);
        } else {
            add_submenu_page('tools.php', $title, $title, Page::CAP, self::SLUG, [self::class, 'render']);
        }
    }

    public static function url(array $args = []): string
    {
        $base = class_exists('WooCommerce') ? admin_url('admin.php?page=' . self::SLUG) : admin_url('tools.php?page=' . self::SLUG);
        return $args === [] ? $base : add_query_arg($args, $base);
    }

    public static function available(): bool
    {
        $log = self::DECISION_LOG;
        return class_exists($log) && method_exists($log, 'query') && method_exists($log, 'csv');
    }

    /**
     * The filters of a query string: action (allow/deny/pass), reason (a code), not_allowed=1.
     *
     * @param array<string,mixed> $get
     * @return array{action?: string, reason?: string, sendcloud_not_allowed?: bool}
     */
    public static function filters(array $get): array
    {
        $f = [];
        if (is_string($get['log_action'] ?? null) && in_array($get['log_action'], ['allow', 'deny', 'pass'], true)) {
            $f['action'] = $get['log_action'];
        }
        if (is_string($get['log_reason'] ?? null) && preg_match('/^[a-z_]{1,40}$/', $get['log_reason']) === 1) {
            $f['reason'] = $get['log_reason'];
        }
        if (($get['not_allowed'] ?? '') === '1') {
            $f['sendcloud_not_allowed'] = true;
        }
        return $f;
    }

    /** The menu page's callback. */
    public static function render(): void
    {
        if (!current_user_can(Page::CAP)) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Sendcloud Gate.', 'sendcloud-gate'));
        }
        $get = wp_unslash($_GET);
        $filters = self::filters($get);
        $page = max(1, (int) ($get['paged'] ?? 1));
        $result = ['rows' => [], 'total' => 0];
        if (self::available()) {
            $log = self::DECISION_LOG;
            $result = $log::query($filters, $page, self::PER_PAGE);
        }
        echo self::html($filters, $page, $result); // phpcs:ignore WordPress.Security.EscapeOutput -- html() escapes every value
    }

    /**
     * @param array{action?: string, reason?: string, sendcloud_not_allowed?: bool} $filters
     * @param array{rows: list<array<string,string>>, total: int} $result
     */
    public static function html(array $filters, int $page, array $result): string
    {
        $o = '<div class="wrap sendcloud-gate-log"><h1>' . esc_html__('Sendcloud Gate log', 'sendcloud-gate') . '</h1>';
        if (!self::available()) {
            return $o . '<p>' . esc_html__('This version keeps no decision log.', 'sendcloud-gate') . '</p></div>';
        }
        $o .= '<p>' . esc_html__('Requests the gate had an opinion about, or that claimed to be Sendcloud, newest first. Times are UTC.', 'sendcloud-gate')
            . ' <a href="' . esc_url(Page::url()) . '">' . esc_html__('Settings', 'sendcloud-gate') . '</a></p>';

        // Filters: a GET form (reading needs no nonce; the page itself checks the capability).
        $o .= '<form method="get" action="' . esc_url(admin_url(class_exists('WooCommerce') ? 'admin.php' : 'tools.php')) . '" id="sendcloud-gate-log-filters">'
            . '<input type="hidden" name="page" value="' . esc_attr(self::SLUG) . '" />';
        $o .= '<label>' . esc_html__('Decision', 'sendcloud-gate') . ' <select name="log_action"><option value="">' . esc_html__('any', 'sendcloud-gate') . '</option>';
        foreach (['allow', 'deny', 'pass'] as $a) {
            $o .= '<option value="' . esc_attr($a) . '"' . selected($filters['action'] ?? '', $a, false) . '>' . esc_html(Texts::actionLabel($a)) . '</option>';
        }
        $o .= '</select></label> <label>' . esc_html__('Reason', 'sendcloud-gate') . ' <select name="log_reason"><option value="">' . esc_html__('any', 'sendcloud-gate') . '</option>';
        foreach (Texts::reasonCodes() as $code) {
            $o .= '<option value="' . esc_attr($code) . '"' . selected($filters['reason'] ?? '', $code, false) . '>' . esc_html(Texts::reasonTitle($code)) . '</option>';
        }
        $o .= '</select></label> <label><input type="checkbox" name="not_allowed" value="1"' . (!empty($filters['sendcloud_not_allowed']) ? ' checked=\'checked\'' : '') . ' /> '
            . esc_html__('Sendcloud not allowed', 'sendcloud-gate') . '</label> <button type="submit" class="button">' . esc_html__('Filter', 'sendcloud-gate') . '</button></form>';

        // CSV export of the same filters: admin-post with a nonce.
        $o .= '<form method="post" action="' . esc_url(admin_url('admin-post.php')) . '" id="sendcloud-gate-log-csv">'
            . '<input type="hidden" name="action" value="' . esc_attr(self::CSV_ACTION) . '" />'
            . wp_nonce_field(self::CSV_ACTION, '_wpnonce', true, false);
        foreach (['log_action' => $filters['action'] ?? '', 'log_reason' => $filters['reason'] ?? '', 'not_allowed' => !empty($filters['sendcloud_not_allowed']) ? '1' : ''] as $k => $v) {
            $o .= '<input type="hidden" name="' . esc_attr($k) . '" value="' . esc_attr($v) . '" />';
        }
        $o .= '<button type="submit" class="button">' . esc_html__('Export CSV', 'sendcloud-gate') . '</button></form>';

        $total = (int) $result['total'];
        $o .= '<p class="sendcloud-gate-log-count">' . sprintf(esc_html(_n('%d request', '%d requests', $total, 'sendcloud-gate')), $total) . '</p>';
        $o .= '<table class="widefat striped" id="sendcloud-gate-log-table"><thead><tr>';
        foreach ([__('Time (UTC)', 'sendcloud-gate'), __('Decision', 'sendcloud-gate'), __('Reason', 'sendcloud-gate'), __('Rule', 'sendcloud-gate'),
            __('Client', 'sendcloud-gate'), __('Method', 'sendcloud-gate'), __('Path', 'sendcloud-gate'), __('User-Agent', 'sendcloud-gate'), ''] as $h) {
            $o .= '<th scope="col">' . esc_html($h) . '</th>';
        }
        $o .= '</tr></thead><tbody>';
        if ($result['rows'] === []) {
            $o .= '<tr><td colspan="9">' . esc_html__('No requests logged.', 'sendcloud-gate') . '</td></tr>';
        }
        foreach ($result['rows'] as $r) {
            $action = (string) ($r['action'] ?? '');
            $reason = (string) ($r['reason'] ?? '');
            $o .= '<tr data-action="' . esc_attr($action) . '" data-reason="' . esc_attr($reason) . '">'
                . '<td>' . esc_html((string) ($r['created_at'] ?? '')) . '</td>'
                . '<td><strong>' . esc_html(Texts::actionLabel($action)) . '</strong></td>'
                . '<td title="' . esc_attr(Texts::explain($r)) . '">' . esc_html(Texts::reasonTitle($reason)) . '</td>'
                . '<td>' . esc_html((string) ($r['rule'] ?? '')) . '</td>'
                . '<td><code>' . esc_html((string) ($r['client_ip'] ?? '')) . '</code></td>'
                . '<td>' . esc_html((string) ($r['method'] ?? '')) . '</td>'
                . '<td><code>' . esc_html((string) ($r['path'] ?? '')) . '</code>'
                . (Status::isProbe($r) ? ' <span class="description">' . esc_html__('(Site Health’s test)', 'sendcloud-gate') . '</span>' : '') . '</td>'
                . '<td>' . esc_html((string) ($r['user_agent'] ?? '')) . '</td>'
                . '<td><a href="' . esc_url(Page::testLink($r)) . '">' . esc_html__('Test', 'sendcloud-gate') . '</a></td></tr>';
        }
        $o .= '</tbody></table>';

        $pages = (int) max(1, ceil($total / self::PER_PAGE));
        if ($pages > 1) {
            $args = array_filter(['log_action' => $filters['action'] ?? '', 'log_reason' => $filters['reason'] ?? '', 'not_allowed' => !empty($filters['sendcloud_not_allowed']) ? '1' : '']);
            $o .= '<p class="tablenav-pages" id="sendcloud-gate-log-pages">' . sprintf(esc_html__('Page %1$d of %2$d', 'sendcloud-gate'), $page, $pages);
            if ($page > 1) {
                $o .= ' <a class="button" href="' . esc_url(self::url($args + ['paged' => $page - 1])) . '">' . esc_html__('Newer', 'sendcloud-gate') . '</a>';
            }
            if ($page < $pages) {
                $o .= ' <a class="button" href="' . esc_url(self::url($args + ['paged' => $page + 1])) . '">' . esc_html__('Older', 'sendcloud-gate') . '</a>';
            }
            $o .= '</p>';
        }
        return $o . '</div>';
    }

    /** admin_post_{CSV_ACTION}: the CSV as a download (WordPress calls it with an empty string: no parameter here). */
    public static function exportCsv(): void
    {
        $csv = self::csv();
        nocache_headers();
        header('Content-Type: text/csv; charset=utf-8');
        header('Content-Disposition: attachment; filename="sendcloud-gate-log-' . gmdate('Y-m-d') . '.csv"');
        header('X-Content-Type-Options: nosniff');
        echo $csv; // phpcs:ignore WordPress.Security.EscapeOutput -- a CSV download, not HTML
        exit;
    }

    /** The capability and the nonce, then the log's CSV for the posted filters. */
    public static function csv(): string
    {
        if (!current_user_can(Page::CAP)) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Sendcloud Gate.', 'sendcloud-gate'));
        }
        check_admin_referer(self::CSV_ACTION);
        if (!self::available()) {
            wp_die(esc_html__('This version keeps no decision log.', 'sendcloud-gate'));
        }
        $log = self::DECISION_LOG;
        return (string) $log::csv(self::filters(wp_unslash($_POST)));
    }
}
