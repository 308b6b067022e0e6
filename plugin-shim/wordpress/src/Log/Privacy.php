<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Log;

/**
 * The decision log's side of WordPress's personal-data tools (Tools → Export / Erase Personal Data) and its
 * privacy-policy text.
 *
 * The log stores IP addresses, which are personal data, but no names or e-mail addresses, while WordPress's
 * exporters and erasers are asked by e-mail address. So a request is matched to rows through the addresses the site
 * already associates with that e-mail address: the IP addresses of that person's comments
 * (`comment_author_IP`) and of their WooCommerce orders (`_customer_ip_address` of orders whose `_billing_email` is
 * the address, when WooCommerce keeps orders as posts; and the `wc_orders` table when it exists). Other plugins
 * can add addresses with the filter `sendcloud_gate_personal_ip_addresses` ($ips, $email). Rows of an address that
 * the site does not associate with the person are not theirs to export or erase.
 */
final class Privacy
{
    public const EXPORTER = 'sendcloud-gate-log';
    public const PER_PAGE = 200;

    /**
     * @param array<string,mixed> $exporters
     * @return array<string,mixed>
     */
    public static function registerExporter(array $exporters): array
    {
        $exporters[self::EXPORTER] = [
            'exporter_friendly_name' => self::t('Sendcloud Gate decision log'),
            'callback' => [self::class, 'export'],
        ];
        return $exporters;
    }

    /**
     * @param array<string,mixed> $erasers
     * @return array<string,mixed>
     */
    public static function registerEraser(array $erasers): array
    {
        $erasers[self::EXPORTER] = [
            'eraser_friendly_name' => self::t('Sendcloud Gate decision log'),
            'callback' => [self::class, 'erase'],
        ];
        return $erasers;
    }

    /**
     * The exporter: the log rows of the person's IP addresses, one page at a time.
     *
     * @return array{data: list<array<string,mixed>>, done: bool}
     */
    public static function export(string $email, int $page = 1): array
    {
        $ips = self::addressesFor($email);
        $rows = DecisionLog::rowsForAddresses($ips, $page, self::PER_PAGE);
        $data = [];
        foreach ($rows as $r) {
            $data[] = [
                'group_id' => self::EXPORTER,
                'group_label' => self::t('Sendcloud Gate decision log'),
                'group_description' => self::t('Requests that Sendcloud Gate judged, recorded with their IP address.'),
                'item_id' => 'sendcloud-gate-log-' . ($r['id'] ?? ''),
                'data' => [
                    ['name' => self::t('Time (UTC)'), 'value' => (string) ($r['created_at'] ?? '')],
                    ['name' => self::t('IP address'), 'value' => (string) ($r['client_ip'] ?? '')],
                    ['name' => self::t('Method'), 'value' => (string) ($r['method'] ?? '')],
                    ['name' => self::t('Path'), 'value' => (string) ($r['path'] ?? '')],
                    ['name' => self::t('User-Agent'), 'value' => (string) ($r['user_agent'] ?? '')],
                    ['name' => self::t('Decision'), 'value' => (string) ($r['action'] ?? '')],
                    ['name' => self::t('Reason'), 'value' => (string) ($r['reason'] ?? '')],
                ],
            ];
        }
        return ['data' => $data, 'done' => count($rows) < self::PER_PAGE];
    }

    /**
     * The eraser: deletes the log rows of the person's IP addresses.
     *
     * @return array{items_removed: int, items_retained: bool, messages: list<string>, done: bool}
     */
    public static function erase(string $email, int $page = 1): array
    {
        $removed = DecisionLog::eraseAddresses(self::addressesFor($email));
        return ['items_removed' => $removed, 'items_retained' => false, 'messages' => [], 'done' => true];
    }

    /**
     * The IP addresses the site associates with an e-mail address (see the class comment).
     *
     * @return list<string>
     */
    public static function addressesFor(string $email): array
    {
        $email = trim($email);
        $ips = [];
        $wpdb = $GLOBALS['wpdb'] ?? null;
        if ($email !== '' && is_object($wpdb)) {
            $ips = array_merge($ips, self::col($wpdb, $wpdb->prepare(
                "SELECT DISTINCT comment_author_IP FROM {$wpdb->comments} WHERE comment_author_email = %s",
                $email
            )));
            $ips = array_merge($ips, self::col($wpdb, $wpdb->prepare(
                "SELECT DISTINCT ip.meta_value FROM {$wpdb->postmeta} ip"
                . " JOIN {$wpdb->postmeta} em ON em.post_id = ip.post_id"
                . ' WHERE ip.meta_key = %s AND em.meta_key = %s AND em.meta_value = %s',
                '_customer_ip_address',
                '_billing_email',
                $email
            )));
            $orders = $wpdb->prefix . 'wc_orders';
            if (self::col($wpdb, $wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($orders))) !== []) {
                $ips = array_merge($ips, self::col($wpdb, $wpdb->prepare(
                    "SELECT DISTINCT ip_address FROM `$orders` WHERE billing_email = %s",
                    $email
                )));
            }
        }
        $ips = function_exists('apply_filters') ? apply_filters('sendcloud_gate_personal_ip_addresses', $ips, $email) : $ips;
        $out = [];
        foreach (is_array($ips) ? $ips : [] as $ip) {
            if (is_string($ip) && trim($ip) !== '') {
                $out[] = trim($ip);
            }
        }
        return array_values(array_unique($out));
    }

    /** The text for Settings → Privacy (wp_add_privacy_policy_content, on admin_init). */
    public static function addPolicyContent(): void
    {
        if (!function_exists('wp_add_privacy_policy_content')) {
            return;
        }
        wp_add_privacy_policy_content('Sendcloud Gate', self::policyText());
    }

    public static function policyText(): string
    {
        $p = static function (string $s): string {
            return '<p>' . (function_exists('esc_html') ? esc_html($s) : htmlspecialchars($s, ENT_QUOTES)) . '</p>';
        };
        return $p(self::t('This site checks requests that claim to come from Sendcloud, our shipping service, and keeps a log of the requests it allowed or blocked and of requests that claimed to be Sendcloud.'))
            . $p(self::t('For each such request the log holds the time, the IP address it came from, the method, the address of the page or API route (without its parameters), the browser or program name (User-Agent) and the decision. It holds no names, e-mail addresses or request contents.'))
            . $p(self::t('Entries are deleted after a number of days set by the site owner (30 by default) and the log never holds more than a set number of entries. The log stays on this site and is not shared.'))
            . $p(self::t('Entries for the IP addresses of your comments and orders are included when you ask us to export or erase your personal data.'));
    }

    /**
     * @param object $wpdb
     * @return list<string>
     */
    private static function col($wpdb, $sql): array
    {
        if (!is_string($sql) || $sql === '') {
            return [];
        }
        $col = $wpdb->get_col($sql);
        return is_array($col) ? array_values(array_filter($col, 'is_string')) : [];
    }

    private static function t(string $s): string
    {
        return function_exists('__') ? __($s, 'sendcloud-gate') : $s;
    }
}
