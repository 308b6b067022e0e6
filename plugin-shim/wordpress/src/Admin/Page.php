<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

use SendcloudGate\Gate;
use SendcloudGate\PolicyException;
use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Prepend;
use SendcloudGate\WordPress\Settings;

/**
 * The settings page (WooCommerce → Sendcloud Gate, or Settings → Sendcloud Gate without WooCommerce): the switch,
 * what is allowed and where it comes from, extra addresses and methods, proxy/CDN with the live line, impersonators,
 * the advanced policy JSON with the engine's errors and warnings at the field, "Test a request" and the status.
 *
 * Every action checks `manage_options` and its nonce; every value printed is escaped. Saving goes through
 * Settings::save(), which compiles once with the library and refuses an invalid policy whole. Decisions,
 * validation and the preset's data are the library's: this class only shows them.
 */
final class Page
{
    public const SLUG = 'sendcloud-gate';
    public const CAP = 'manage_options';
    public const SAVE_NONCE = 'sendcloud_gate_save';
    public const TEST_NONCE = 'sendcloud_gate_test';
    public const ADAPTER_NONCE = 'sendcloud_gate_adapter_';
    public const METHODS_NONCE = 'sendcloud_gate_methods';
    public const PREPEND_NONCE = 'sendcloud_gate_prepend_';
    public const FORWARDING_HEADERS = [
        'HTTP_X_FORWARDED_FOR' => 'X-Forwarded-For', 'HTTP_FORWARDED' => 'Forwarded', 'HTTP_X_REAL_IP' => 'X-Real-IP',
        'HTTP_CF_CONNECTING_IP' => 'CF-Connecting-IP', 'HTTP_TRUE_CLIENT_IP' => 'True-Client-IP',
    ];

    /** @var array<string,mixed>|null the state of this request's POST, for render() */
    private static $pending;

    /** @var array<string,mixed> */
    private $server;
    /** @var array<string,mixed> */
    private $post;

    /**
     * @param array<string,mixed> $server the request's $_SERVER (the live proxy line)
     * @param array<string,mixed> $post   the submitted form, unslashed
     */
    public function __construct(array $server, array $post = [])
    {
        $this->server = $server;
        $this->post = $post;
    }

    /**
     * The capability for actions that change files or other plugins for the whole installation (the must-use loader,
     * .htninja, a security plugin's allow list): `manage_options` on a single site, `manage_network_options` (a
     * super admin) on a network, where one site's administrator must not change what every site runs.
     */
    public static function serverCap(): string
    {
        return function_exists('is_multisite') && is_multisite() ? 'manage_network_options' : self::CAP;
    }

    /** admin_menu: under WooCommerce when it is active, else under Settings. */
    public static function menu(): void
    {
        $title = __('Sendcloud Gate', 'sendcloud-gate');
        $hook = class_exists('WooCommerce')
            ? add_submenu_page('woocommerce', $title, $title, self::CAP, self::SLUG, [self::class, 'render'])
            : add_options_page($title, $title, self::CAP, self::SLUG, [self::class, 'render']);
        if (is_string($hook) && $hook !== '') {
            add_action('load-' . $hook, [self::class, 'load']);
        }
    }

    /** The page's URL. */
    public static function url(): string
    {
        return class_exists('WooCommerce')
            ? admin_url('admin.php?page=' . self::SLUG)
            : admin_url('options-general.php?page=' . self::SLUG);
    }

    /** load-{page}: handles a POST before any output; a successful save redirects (so a reload does not resend). */
    public static function load(): void
    {
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST' || !isset($_POST['sendcloud_gate_action'])) {
            return;
        }
        $state = (new self($_SERVER, wp_unslash($_POST)))->handle();
        if (($state['action'] ?? '') === 'save' && ($state['result']['ok'] ?? false)) {
            wp_safe_redirect(add_query_arg(['updated' => '1'], self::url()));
            exit;
        }
        self::$pending = $state;
    }

    /** The menu page's callback. */
    public static function render(): void
    {
        if (!current_user_can(self::CAP)) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Sendcloud Gate.', 'sendcloud-gate'));
        }
        $state = self::$pending ?? [];
        if (isset($_GET['updated'])) {
            $state['updated'] = true;
        }
        if (isset($_GET['test_ip']) && !isset($state['test'])) {
            $state['prefill'] = self::prefill(wp_unslash($_GET));
        }
        echo (new self($_SERVER))->html($state); // phpcs:ignore WordPress.Security.EscapeOutput -- html() escapes every value
    }

    /**
     * "Test a request" filled in from a link (the log's "Test" links): test_ip, test_method, test_path, test_ua.
     *
     * @param array<string,mixed> $get
     * @return array{remote_addr: string, method: string, uri: string, user_agent: string, headers_text: string}
     */
    public static function prefill(array $get): array
    {
        return self::testInput([
            'remote_addr' => $get['test_ip'] ?? '', 'method' => $get['test_method'] ?? '',
            'uri' => $get['test_path'] ?? '', 'user_agent' => $get['test_ua'] ?? '', 'headers' => '',
        ]);
    }

    /** The link that opens "Test a request" with a logged request's values. @param array<string,mixed> $row */
    public static function testLink(array $row): string
    {
        return self::url() . '&' . http_build_query([
            'test_ip' => (string) ($row['client_ip'] ?? ''), 'test_method' => (string) ($row['method'] ?? ''),
            'test_path' => (string) ($row['path'] ?? ''), 'test_ua' => (string) ($row['user_agent'] ?? ''),
        ], '', '&', PHP_QUERY_RFC3986) . '#test';
    }

    /**
     * Handles a submitted form: `manage_options` and the form's nonce first, then save or test.
     *
     * @return array<string,mixed> the state html() shows: ['action' => 'save', 'submitted', 'result'] or
     *                             ['action' => 'test', 'test' => ['input', 'decision']]
     */
    public function handle(): array
    {
        if (!current_user_can(self::CAP)) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Sendcloud Gate.', 'sendcloud-gate'));
        }
        $action = $this->post['sendcloud_gate_action'] ?? '';
        if ($action === 'save') {
            check_admin_referer(self::SAVE_NONCE);
            $input = is_array($this->post['sendcloud_gate'] ?? null) ? $this->post['sendcloud_gate'] : [];
            // Settings the form does not show are kept as they are.
            $input = array_merge(Settings::load(), self::formInput($input));
            return ['action' => 'save', 'submitted' => Settings::normalise($input), 'result' => Settings::save($input)];
        }
        if ($action === 'test') {
            check_admin_referer(self::TEST_NONCE);
            $in = is_array($this->post['sendcloud_gate_test'] ?? null) ? $this->post['sendcloud_gate_test'] : [];
            $input = self::testInput($in);
            return ['action' => 'test', 'test' => ['input' => $input, 'decision' => self::explain($input)]];
        }
        if ($action === 'methods') {
            check_admin_referer(self::METHODS_NONCE);
            return ['action' => 'methods', 'methods' => SiteHealth::methodsTest()];
        }
        if ($action === 'prepend') {
            if (!current_user_can(self::serverCap())) {
                wp_die(esc_html__('Sorry, only a network administrator can change this for every site.', 'sendcloud-gate'));
            }
            $op = is_string($this->post['op'] ?? null) ? $this->post['op'] : '';
            check_admin_referer(self::PREPEND_NONCE . $op);
            return ['action' => 'prepend', 'adapter' => self::prependAction($op, $this->server)];
        }
        if ($action === 'adapter') {
            if (!current_user_can(self::serverCap())) {
                wp_die(esc_html__('Sorry, only a network administrator can change this for every site.', 'sendcloud-gate'));
            }
            $op = is_string($this->post['op'] ?? null) ? $this->post['op'] : '';
            check_admin_referer(self::ADAPTER_NONCE . $op);
            $name = is_string($this->post['adapter'] ?? null) ? $this->post['adapter'] : '';
            return ['action' => 'adapter', 'adapter' => self::adapterAction($op, $name)];
        }
        return [];
    }

    /**
     * A security plugin's explicit action, asked for on this page (never automatic): `allow_list` adds the partner's
     * addresses to the plugin's permanent allow list (Wordfence, WP Cerber), `htninja_install` / `htninja_remove`
     * write or remove the gate's lines in NinjaFirewall's .htninja. The adapter does the work; only an active
     * plugin's adapter is asked.
     *
     * @return array{ok: bool, message: string}
     */
    public static function adapterAction(string $op, string $name): array
    {
        foreach (Status::activeAdapters() ?? [] as $adapter) {
            if ($adapter->name() !== $name) {
                continue;
            }
            try {
                if ($op === 'allow_list' && method_exists($adapter, 'allowListAddresses')) {
                    $r = $adapter->allowListAddresses();
                    return ['ok' => (bool) $r['ok'], 'message' => $r['ok']
                        ? sprintf(
                            /* translators: 1: security plugin, 2: addresses */
                            __('Added to %1$s’s allow list: %2$s.', 'sendcloud-gate'),
                            $name,
                            $r['added'] === [] ? __('nothing new', 'sendcloud-gate') : implode(', ', $r['added'])
                        )
                        : (string) $r['message']];
                }
                if ($op === 'htninja_install' && method_exists($adapter, 'install')) {
                    $r = $adapter::install();
                    return ['ok' => (bool) $r['ok'], 'message' => $r['ok']
                        ? sprintf(/* translators: %s: a file path */ __('The lines were written to %s.', 'sendcloud-gate'), (string) $r['path'])
                        : (string) $r['message']];
                }
                if ($op === 'htninja_remove' && method_exists($adapter, 'remove')) {
                    $ok = (bool) $adapter::remove();
                    return ['ok' => $ok, 'message' => $ok ? __('The lines were removed.', 'sendcloud-gate') : __('The lines could not be removed: the file is not writable.', 'sendcloud-gate')];
                }
            } catch (\Throwable $e) {
                return ['ok' => false, 'message' => $e->getMessage()];
            }
        }
        return ['ok' => false, 'message' => __('That security plugin is not active, or has no such action.', 'sendcloud-gate')];
    }

    /**
     * Switches the auto_prepend_file mode on (`enable`) or off (`disable`): Prepend does the work.
     *
     * @param array<string,mixed> $server this request's $_SERVER (where WordPress is, as the web server sees it)
     * @param string|null $sapi the server API (default: this one's)
     * @return array{ok: bool, message: string}
     */
    public static function prependAction(string $op, array $server, ?string $sapi = null): array
    {
        try {
            if ($op === 'enable') {
                $r = Prepend::enable($server, $sapi);
                return ['ok' => $r['ok'], 'message' => $r['ok']
                    ? sprintf(/* translators: %s: a file path */ __('The gate now runs before WordPress: the lines were written to %s.', 'sendcloud-gate'), $r['target'])
                    : $r['message']];
            }
            if ($op === 'disable') {
                $ok = Prepend::disable();
                return ['ok' => $ok, 'message' => $ok
                    ? __('The lines were removed: the gate runs from the must-use loader again.', 'sendcloud-gate')
                    : __('The lines could not be removed: the file is not writable.', 'sendcloud-gate')];
            }
        } catch (\Throwable $e) {
            return ['ok' => false, 'message' => $e->getMessage()];
        }
        return ['ok' => false, 'message' => __('Unknown action.', 'sendcloud-gate')];
    }

    /** The auto_prepend_file row of the status: what it does, its state and the button that switches it. */
    private function prependHtml(): string
    {
        $st = Prepend::state($this->server);
        $o = '<tr><th>' . esc_html__('Before WordPress (auto_prepend_file)', 'sendcloud-gate') . '</th><td id="sendcloud-gate-prepend" data-enabled="' . ($st['enabled'] ? '1' : '0') . '">';
        $o .= '<p>' . esc_html__('Optional: PHP runs the gate before WordPress loads, so it also decides before security plugins that start before WordPress (Wordfence’s firewall, NinjaFirewall) and an impersonator is refused before any plugin runs. The gate adds a few lines between “Sendcloud Gate” marker comments to your server’s .htaccess or .user.ini and writes a small file in wp-content; a setting that was already there keeps running, after the gate. Switching it off (or deactivating the plugin) puts the file back as it was.', 'sendcloud-gate') . '</p>';
        if ($st['enabled']) {
            $o .= '<p><strong>' . sprintf(esc_html__('On: the lines are in %s.', 'sendcloud-gate'), '<code>' . esc_html($st['target']) . '</code>') . '</strong> ';
            $o .= $st['in_force']
                ? esc_html__('This page was itself loaded through it.', 'sendcloud-gate')
                : esc_html__('Not in force for this page yet: .user.ini changes take up to 5 minutes; otherwise the server ignores the lines (ask your host).', 'sendcloud-gate');
            $o .= '</p>';
        } elseif ($st['available'] === null) {
            $o .= '<p>' . esc_html__('Not available here: the server’s PHP setup (or a multisite network) does not let the gate set it. The must-use loader runs the gate before other plugins.', 'sendcloud-gate') . '</p>';
        } else {
            $o .= '<p>' . sprintf(esc_html__('Off. It would write to %s.', 'sendcloud-gate'), '<code>' . esc_html($st['target']) . '</code>') . '</p>';
        }
        if ($st['chained'] !== '') {
            $o .= '<p>' . sprintf(esc_html__('The auto_prepend_file already set, %s, keeps running after the gate.', 'sendcloud-gate'), '<code>' . esc_html($st['chained']) . '</code>') . '</p>';
        }
        if (current_user_can(self::serverCap()) && ($st['enabled'] || $st['available'] !== null)) {
            $op = $st['enabled'] ? 'disable' : 'enable';
            $o .= '<form method="post" action="' . esc_url(self::url()) . '" style="display:inline">'
                . wp_nonce_field(self::PREPEND_NONCE . $op, '_wpnonce', true, false)
                . '<input type="hidden" name="sendcloud_gate_action" value="prepend" />'
                . '<input type="hidden" name="op" value="' . esc_attr($op) . '" />'
                . '<button type="submit" class="button" id="sendcloud-gate-prepend-' . esc_attr($op) . '">'
                . esc_html($st['enabled'] ? __('Switch off (remove the lines)', 'sendcloud-gate') : __('Run the gate before WordPress', 'sendcloud-gate'))
                . '</button></form>';
        }
        return $o . '</td></tr>';
    }

    /** A button posting one of a security plugin's explicit actions to this page. */
    private static function adapterButton(string $op, string $adapter, string $label, string $id): string
    {
        return '<form method="post" action="' . esc_url(self::url()) . '" style="display:inline">'
            . wp_nonce_field(self::ADAPTER_NONCE . $op, '_wpnonce', true, false)
            . '<input type="hidden" name="sendcloud_gate_action" value="adapter" />'
            . '<input type="hidden" name="op" value="' . esc_attr($op) . '" />'
            . '<input type="hidden" name="adapter" value="' . esc_attr($adapter) . '" />'
            . '<button type="submit" class="button" id="' . esc_attr($id) . '">' . esc_html($label) . '</button></form>';
    }

    /**
     * The form's fields as Settings takes them: extra methods from the ticked boxes and the text field.
     *
     * @param array<string,mixed> $in
     * @return array<string,mixed>
     */
    public static function formInput(array $in): array
    {
        $methods = is_array($in['extra_methods'] ?? null) ? array_values(array_filter($in['extra_methods'], 'is_string')) : [];
        if (is_string($in['extra_methods_other'] ?? null)) {
            $methods = array_merge($methods, preg_split('/[\s,]+/', $in['extra_methods_other']) ?: []);
        }
        $out = [];
        foreach (['mode', 'extra_ips', 'proxy', 'proxy_ranges', 'proxy_header', 'impersonation', 'advanced_policy', 'log_max_rows', 'log_days'] as $k) {
            if (isset($in[$k]) && is_string($in[$k])) {
                $out[$k] = $in[$k];
            }
        }
        $out['extra_methods'] = $methods;
        return $out;
    }

    /**
     * "Test a request"'s fields as the contract's request: peer address, method, path, User-Agent and header lines
     * ("Name: value", one a line; a name given twice is a repeated header).
     *
     * @param array<string,mixed> $in
     * @return array{remote_addr: string, method: string, uri: string, user_agent: string, headers_text: string}
     */
    public static function testInput(array $in): array
    {
        $s = static function (string $k) use ($in): string {
            return is_string($in[$k] ?? null) ? trim($in[$k]) : '';
        };
        return [
            'remote_addr' => $s('remote_addr'), 'method' => $s('method'), 'uri' => $s('uri'),
            'user_agent' => $s('user_agent'), 'headers_text' => is_string($in['headers'] ?? null) ? $in['headers'] : '',
        ];
    }

    /**
     * The saved policy's explanation of a test request (the library's explain(): decision, trace, provenance).
     *
     * @param array{remote_addr: string, method: string, uri: string, user_agent: string, headers_text: string} $input
     * @return array<string,mixed>
     */
    public static function explain(array $input): array
    {
        $headers = [];
        foreach (preg_split('/\r\n|\r|\n/', $input['headers_text']) ?: [] as $line) {
            $colon = strpos($line, ':');
            if ($colon === false || trim(substr($line, 0, $colon)) === '') {
                continue;
            }
            $headers[trim(substr($line, 0, $colon))][] = trim(substr($line, $colon + 1));
        }
        if ($input['user_agent'] !== '') {
            $headers['User-Agent'][] = $input['user_agent'];
        }
        foreach ($headers as $name => $values) {
            $headers[$name] = count($values) === 1 ? $values[0] : $values;
        }
        return Status::savedGate()->explain([
            'remote_addr' => $input['remote_addr'], 'method' => $input['method'],
            'uri' => $input['uri'] === '' ? '/' : $input['uri'], 'headers' => $headers,
        ]);
    }

    /**
     * The field an engine error belongs to, from its JSON path in the built policy (PolicyBuilder): extra addresses
     * and methods, proxy ranges and header, or the advanced policy (its `rules`, or any key it may not hold).
     *
     * @return array{0: string, 1: ?int} [field, entry index or null]
     */
    public static function fieldOf(string $path, string $message): array
    {
        $map = [
            'partners[0].add_ip' => 'extra_ips', 'partners[0].add_methods' => 'extra_methods',
            'trusted_proxies.ranges' => 'proxy_ranges', 'trusted_proxies.header' => 'proxy_header',
        ];
        foreach ($map as $prefix => $field) {
            if (strncmp($path, $prefix, strlen($prefix)) === 0) {
                $entry = preg_match('/^\[(\d+)\]/', substr($path, strlen($prefix)), $m) === 1 ? (int) $m[1] : null;
                return [$field, $entry];
            }
        }
        if (strncmp($path, 'rules', 5) === 0 || strncmp($message, 'advanced policy', 15) === 0
            || ($path !== '' && strpos($message, 'the advanced policy holds only') !== false)) {
            return ['advanced_policy', null];
        }
        return ['', null];
    }

    /**
     * Where an error in the advanced field is in the field's own text: the library compiles the field's JSON alone
     * (it holds only `rules`, a policy by itself), so its line and column are those of what the merchant wrote.
     *
     * @return array{path: string, line: int, column: int, message: string}|null
     */
    public static function locateInAdvanced(string $json): ?array
    {
        if (trim($json) === '') {
            return null;
        }
        try {
            Gate::fromPolicyJson($json);
        } catch (PolicyException $e) {
            return ['path' => $e->getJsonPath(), 'line' => $e->getJsonLine(), 'column' => $e->getJsonColumn(), 'message' => $e->getMessage()];
        } catch (\Throwable $e) {
            return null;
        }
        return null;
    }

    /**
     * The page.
     *
     * @param array<string,mixed> $state from handle(), plus 'updated' after a successful save's redirect
     */
    public function html(array $state = []): string
    {
        $failedSave = ($state['action'] ?? '') === 'save' && !($state['result']['ok'] ?? false);
        $values = $failedSave ? (array) $state['submitted'] : Settings::load();
        $error = $failedSave ? (array) $state['result']['error'] : null;
        [$errorField, $errorEntry] = $error !== null ? self::fieldOf((string) $error['path'], (string) $error['message']) : ['', null];
        $located = $errorField === 'advanced_policy' ? self::locateInAdvanced((string) $values['advanced_policy']) : null;

        $gate = Status::savedGate();
        $warnings = [];
        if (!$failedSave && $gate->loadFailure() === null) {
            try {
                $warnings = $gate->warnings();
            } catch (\Throwable $e) {
                $warnings = [];
            }
        }
        try {
            $preset = Status::preset();
            $presetError = null;
        } catch (\Throwable $e) {
            $preset = null;
            $presetError = $e->getMessage();
        }

        $o = '<style>.sendcloud-gate .sendcloud-gate-field-error,.sendcloud-gate .sendcloud-gate-critical,.sendcloud-gate .sendcloud-gate-methods-critical{color:#b32d2e}'
            . '.sendcloud-gate .sendcloud-gate-field-error{font-weight:600}.sendcloud-gate .sendcloud-gate-field-warning{color:#8a5a00}'
            . '.sendcloud-gate textarea[aria-invalid=true]{border-color:#d63638;box-shadow:0 0 0 1px #d63638}</style>';
        $o .= '<div class="wrap sendcloud-gate">';
        $o .= '<h1>' . esc_html__('Sendcloud Gate', 'sendcloud-gate') . '</h1>';
        $o .= '<p>' . esc_html__('Lets verified Sendcloud traffic through to your shop — from Sendcloud’s addresses, with its User-Agent and the methods it uses — and tells it apart from requests that only claim to be Sendcloud.', 'sendcloud-gate') . '</p>';
        $o .= '<p><strong>' . esc_html__('Cloud shops (such as Shopify or Wix) and Amazon connections need none of this:', 'sendcloud-gate') . '</strong> '
            . esc_html__('Sendcloud reaches them through their platforms, not through your server. This page is for self-hosted WooCommerce shops.', 'sendcloud-gate') . '</p>';

        if (!empty($state['updated'])) {
            $o .= '<div class="notice notice-success" id="sendcloud-gate-saved"><p>' . esc_html__('Settings saved. Requests use the new policy from now on.', 'sendcloud-gate') . '</p></div>';
        }
        if (is_array($state['adapter'] ?? null)) {
            $o .= '<div class="notice ' . ($state['adapter']['ok'] ? 'notice-success' : 'notice-error') . '" id="sendcloud-gate-adapter-result"><p>'
                . esc_html((string) $state['adapter']['message']) . '</p></div>';
        }
        if ($error !== null) {
            $o .= '<div class="notice notice-error" id="sendcloud-gate-error"><p><strong>' . esc_html__('Not saved:', 'sendcloud-gate') . '</strong> '
                . esc_html((string) $error['message']) . '</p><p>'
                . esc_html__('The policy was refused whole: the previous settings stay in force.', 'sendcloud-gate') . '</p></div>';
        }

        $o .= $this->statusHtml($values, $preset, is_array($state['methods'] ?? null) ? $state['methods'] : null);
        $o .= '<form method="post" action="' . esc_url(self::url()) . '" id="sendcloud-gate-settings">';
        $o .= wp_nonce_field(self::SAVE_NONCE, '_wpnonce', true, false);
        $o .= '<input type="hidden" name="sendcloud_gate_action" value="save" />';
        $o .= $this->modeHtml((string) $values['mode']);
        $o .= $this->allowedHtml($values, $preset, $presetError, $errorField, $errorEntry, $error);
        $o .= $this->proxyHtml($values, $gate, $failedSave, $errorField, $errorEntry, $error);
        $o .= $this->impersonationHtml((string) $values['impersonation']);
        $o .= $this->logSettingsHtml($values);
        $o .= $this->advancedHtml((string) $values['advanced_policy'], $errorField === 'advanced_policy' ? $error : null, $located, $warnings);
        $o .= '<p class="submit"><button type="submit" class="button button-primary" id="sendcloud-gate-save">' . esc_html__('Save settings', 'sendcloud-gate') . '</button></p>';
        $o .= '</form>';
        $o .= $this->testHtml($state['test'] ?? (isset($state['prefill']) ? ['input' => $state['prefill']] : null), $preset);
        $o .= '</div>';
        return $o;
    }

    private function modeHtml(string $mode): string
    {
        $modes = [
            'off' => [__('Off', 'sendcloud-gate'), __('Nothing is decided or logged.', 'sendcloud-gate')],
            'monitor' => [__('Monitor', 'sendcloud-gate'), __('Every request is decided and Sendcloud’s are logged, but nothing changes: use it to see what On would do.', 'sendcloud-gate')],
            'on' => [__('On', 'sendcloud-gate'), __('Verified Sendcloud requests are let through your security plugins; impersonators are blocked if you choose so below.', 'sendcloud-gate')],
        ];
        $o = '<h2>' . esc_html__('Allow Sendcloud', 'sendcloud-gate') . '</h2><fieldset id="sendcloud-gate-mode">';
        foreach ($modes as $value => [$label, $help]) {
            $o .= '<p><label><input type="radio" name="sendcloud_gate[mode]" value="' . esc_attr($value) . '"' . checked($mode, $value, false) . ' /> <strong>'
                . esc_html($label) . '</strong> — ' . esc_html($help) . '</label></p>';
        }
        return $o . '</fieldset>';
    }

    /**
     * @param array<string,mixed> $values
     * @param array<string,mixed>|null $preset
     * @param array<string,mixed>|null $error
     */
    private function allowedHtml(array $values, ?array $preset, ?string $presetError, string $errorField, ?int $errorEntry, ?array $error): string
    {
        $o = '<h2>' . esc_html__('What is allowed', 'sendcloud-gate') . '</h2>';
        if ($preset === null) {
            $o .= '<p class="notice notice-warning">' . esc_html__('The preset cannot be shown here:', 'sendcloud-gate') . ' ' . esc_html((string) $presetError) . '</p>';
        } else {
            $pr = is_array($preset['provenance'] ?? null) ? $preset['provenance'] : [];
            $o .= '<div id="sendcloud-gate-preset"><p>' . esc_html((string) ($pr['title'] ?? $preset['id'] ?? '')) . '</p><table class="widefat striped"><tbody>';
            $o .= '<tr><th>' . esc_html__('Addresses', 'sendcloud-gate') . '</th><td><code>' . implode('</code>, <code>', array_map('esc_html', array_map('strval', (array) ($preset['ip'] ?? [])))) . '</code></td></tr>';
            $o .= '<tr><th>' . esc_html__('User-Agents', 'sendcloud-gate') . '</th><td><code>' . implode('</code>, <code>', array_map('esc_html', array_map('strval', (array) ($preset['user_agents'] ?? [])))) . '</code></td></tr>';
            $o .= '<tr><th>' . esc_html__('Methods', 'sendcloud-gate') . '</th><td>' . esc_html(implode(', ', array_map('strval', (array) ($preset['methods'] ?? [])))) . '</td></tr>';
            $o .= '<tr><th>' . esc_html__('Source', 'sendcloud-gate') . '</th><td>';
            if (is_string($pr['source'] ?? null)) {
                $o .= '<a href="' . esc_url($pr['source']) . '" rel="noopener noreferrer" target="_blank">' . esc_html($pr['source']) . '</a> — ';
            }
            $o .= '<strong class="sendcloud-gate-verified">' . (($pr['verified'] ?? false) === true ? esc_html__('verified', 'sendcloud-gate') : esc_html__('not verified', 'sendcloud-gate')) . '</strong>';
            if (is_string($pr['reviewed'] ?? null)) {
                $o .= ' — ' . sprintf(esc_html__('reviewed %s', 'sendcloud-gate'), esc_html($pr['reviewed']));
            }
            $o .= '</td></tr></tbody></table>';
            if (is_string($pr['note'] ?? null)) {
                $o .= '<p class="description" id="sendcloud-gate-preset-note">' . esc_html($pr['note']) . '</p>';
            }
            $o .= '</div>';
        }

        $o .= '<h3><label for="sendcloud-gate-extra-ips">' . esc_html__('Extra addresses', 'sendcloud-gate') . '</label></h3>';
        $o .= '<p class="description">' . esc_html__('Addresses or ranges (CIDR) Sendcloud uses that the preset does not list, one a line.', 'sendcloud-gate') . '</p>';
        $o .= '<textarea id="sendcloud-gate-extra-ips" name="sendcloud_gate[extra_ips]" rows="3" cols="50" class="code"' . self::invalid($errorField === 'extra_ips') . '>'
            . esc_textarea(implode("\n", (array) $values['extra_ips'])) . '</textarea>';
        if ($errorField === 'extra_ips') {
            $o .= self::fieldError($error, $errorEntry);
        }

        $presetMethods = array_map('strval', (array) ($preset['methods'] ?? []));
        $chosen = (array) $values['extra_methods'];
        $offer = array_values(array_unique(array_merge(array_diff(Status::HTTP_METHODS, $presetMethods), $chosen)));
        $o .= '<h3>' . esc_html__('Extra methods', 'sendcloud-gate') . '</h3><fieldset id="sendcloud-gate-extra-methods">';
        foreach ($offer as $m) {
            $o .= '<label><input type="checkbox" name="sendcloud_gate[extra_methods][]" value="' . esc_attr($m) . '"'
                . (in_array($m, $chosen, true) ? ' checked=\'checked\'' : '') . ' /> ' . esc_html($m) . '</label> ';
        }
        $o .= '</fieldset>';
        if (is_string($preset['provenance']['note'] ?? null)) {
            $o .= '<p class="description">' . esc_html__('Why a shop may need them: see the preset’s note above.', 'sendcloud-gate') . '</p>';
        }
        if ($errorField === 'extra_methods') {
            $o .= self::fieldError($error, $errorEntry);
        }
        return $o;
    }

    /**
     * @param array<string,mixed> $values
     * @param array<string,mixed>|null $error
     */
    private function proxyHtml(array $values, Gate $gate, bool $failedSave, string $errorField, ?int $errorEntry, ?array $error): string
    {
        $proxy = (string) $values['proxy'];
        $choices = [
            'none' => __('None: visitors reach WordPress directly', 'sendcloud-gate'),
            'cloudflare' => __('Cloudflare (its published ranges, with the CF-Connecting-IP header)', 'sendcloud-gate'),
            'custom' => __('Another proxy or CDN: its ranges and the header it sets', 'sendcloud-gate'),
        ];
        $o = '<h2>' . esc_html__('Proxy / CDN', 'sendcloud-gate') . '</h2><fieldset id="sendcloud-gate-proxy">';
        foreach ($choices as $value => $label) {
            $o .= '<p><label><input type="radio" name="sendcloud_gate[proxy]" value="' . esc_attr($value) . '"' . checked($proxy, $value, false) . ' /> ' . esc_html($label) . '</label></p>';
        }
        $o .= '</fieldset><p><label for="sendcloud-gate-proxy-ranges">' . esc_html__('Proxy ranges (custom), one a line:', 'sendcloud-gate') . '</label><br />'
            . '<textarea id="sendcloud-gate-proxy-ranges" name="sendcloud_gate[proxy_ranges]" rows="3" cols="50" class="code"' . self::invalid($errorField === 'proxy_ranges') . '>'
            . esc_textarea(implode("\n", (array) $values['proxy_ranges'])) . '</textarea></p>';
        if ($errorField === 'proxy_ranges') {
            $o .= self::fieldError($error, $errorEntry);
        }
        $o .= '<p><label for="sendcloud-gate-proxy-header">' . esc_html__('Header it sets (custom):', 'sendcloud-gate') . '</label> <select id="sendcloud-gate-proxy-header" name="sendcloud_gate[proxy_header]">';
        foreach (Settings::PROXY_HEADERS as $h) {
            $o .= '<option value="' . esc_attr($h) . '"' . selected((string) $values['proxy_header'], $h, false) . '>' . esc_html($h) . '</option>';
        }
        $o .= '</select></p>';
        if ($errorField === 'proxy_header') {
            $o .= self::fieldError($error, $errorEntry);
        }
        $o .= $this->liveLine($gate, $failedSave);
        return $o;
    }

    /** "This request reached WordPress from X; the client is Y", Y the engine's client_ip under the saved setting. */
    public function liveLine(Gate $gate, bool $failedSave = false): string
    {
        $peer = is_string($this->server['REMOTE_ADDR'] ?? null) ? $this->server['REMOTE_ADDR'] : '';
        $d = $gate->decide($this->server, []);
        $client = is_string($d['client_ip'] ?? null) ? $d['client_ip'] : null;
        $o = '<p id="sendcloud-gate-live"><strong>';
        if ($client !== null) {
            $o .= sprintf(
                /* translators: 1: the peer address, 2: the client address */
                esc_html__('This request reached WordPress from %1$s; the client is %2$s.', 'sendcloud-gate'),
                '<code>' . esc_html($peer) . '</code>',
                '<code>' . esc_html($client) . '</code>'
            );
        } else {
            $o .= sprintf(
                /* translators: 1: the peer address, 2: why the client is unknown */
                esc_html__('This request reached WordPress from %1$s; the client could not be determined (%2$s).', 'sendcloud-gate'),
                '<code>' . esc_html($peer) . '</code>',
                esc_html(Texts::reasonTitle((string) ($d['reason'] ?? '')))
            );
        }
        $o .= '</strong>';
        if ($failedSave) {
            $o .= ' ' . esc_html__('(Under the saved setting: the submitted one was not saved.)', 'sendcloud-gate');
        }
        $seen = [];
        foreach (self::FORWARDING_HEADERS as $key => $name) {
            if (is_string($this->server[$key] ?? null) && $this->server[$key] !== '') {
                $seen[] = '<code>' . esc_html($name . ': ' . $this->server[$key]) . '</code>';
            }
        }
        $o .= '<br />' . ($seen === []
            ? esc_html__('It carries no forwarding header.', 'sendcloud-gate')
            : esc_html__('Forwarding headers on it:', 'sendcloud-gate') . ' ' . implode(', ', $seen));
        $o .= '<br /><span class="description">' . esc_html__('You are the client of this request: if the client shown is not your own address, choose the proxy or CDN in front of your site and save.', 'sendcloud-gate') . '</span></p>';
        return $o;
    }

    private function impersonationHtml(string $value): string
    {
        $o = '<h2>' . esc_html__('Impersonators', 'sendcloud-gate') . '</h2><p class="description">'
            . esc_html__('Requests with Sendcloud’s User-Agent from addresses that are not Sendcloud’s.', 'sendcloud-gate') . '</p><fieldset id="sendcloud-gate-impersonation">';
        foreach (['log' => __('Log them (your security plugins decide)', 'sendcloud-gate'), 'block' => __('Block them (403) when the gate is On', 'sendcloud-gate')] as $v => $label) {
            $o .= '<p><label><input type="radio" name="sendcloud_gate[impersonation]" value="' . esc_attr($v) . '"' . checked($value, $v, false) . ' /> ' . esc_html($label) . '</label></p>';
        }
        return $o . '</fieldset>';
    }

    /** @param array<string,mixed> $values */
    private function logSettingsHtml(array $values): string
    {
        if (!array_key_exists('log_max_rows', $values) || !array_key_exists('log_days', $values)) {
            return '';
        }
        $o = '<h2>' . esc_html__('Decision log', 'sendcloud-gate') . '</h2><p class="description">'
            . esc_html__('One row per request the gate had an opinion about or that claims to be Sendcloud (never every page view): time, client address, method, path without query, User-Agent and the decision. Addresses are personal data: keep only what you need.', 'sendcloud-gate')
            . ' <a href="' . esc_url(LogPage::url()) . '">' . esc_html__('Open the log', 'sendcloud-gate') . '</a></p>';
        $o .= '<p><label>' . esc_html__('Keep at most', 'sendcloud-gate') . ' <input type="number" id="sendcloud-gate-log-max-rows" name="sendcloud_gate[log_max_rows]" min="'
            . esc_attr((string) Settings::LOG_MAX_ROWS[1]) . '" max="' . esc_attr((string) Settings::LOG_MAX_ROWS[2]) . '" value="' . esc_attr((string) $values['log_max_rows']) . '" class="small-text" /> '
            . esc_html__('rows', 'sendcloud-gate') . '</label>, <label>' . esc_html__('for at most', 'sendcloud-gate') . ' <input type="number" id="sendcloud-gate-log-days" name="sendcloud_gate[log_days]" min="'
            . esc_attr((string) Settings::LOG_DAYS[1]) . '" max="' . esc_attr((string) Settings::LOG_DAYS[2]) . '" value="' . esc_attr((string) $values['log_days']) . '" class="small-text" /> '
            . esc_html__('days', 'sendcloud-gate') . '</label></p>';
        return $o;
    }

    /**
     * @param array<string,mixed>|null $error
     * @param array{path: string, line: int, column: int, message: string}|null $located
     * @param list<array{path: string, message: string}> $warnings
     */
    private function advancedHtml(string $json, ?array $error, ?array $located, array $warnings): string
    {
        $o = '<h2>' . esc_html__('Advanced', 'sendcloud-gate') . '</h2><details' . ($error !== null || $warnings !== [] || $json !== '' ? ' open' : '') . '><summary>'
            . esc_html__('Site rules (policy JSON)', 'sendcloud-gate') . '</summary>';
        $o .= '<p class="description">' . esc_html__('Only "rules", as in the decision contract: {"rules": [{"id": "office", "action": "allow", "ip": ["192.0.2.10"]}]}. Everything else is set by the form above.', 'sendcloud-gate') . '</p>';
        $o .= '<textarea id="sendcloud-gate-advanced" name="sendcloud_gate[advanced_policy]" rows="10" cols="80" class="large-text code"' . self::invalid($error !== null) . '>' . esc_textarea($json) . '</textarea>';
        if ($error !== null) {
            $path = (string) $error['path'];
            $line = 0;
            $column = 0;
            if ($located !== null && ($located['path'] === $path || $path === '' || strncmp((string) $error['message'], 'advanced policy', 15) === 0)) {
                $path = $located['path'];
                $line = $located['line'];
                $column = $located['column'];
            }
            $o .= '<p class="sendcloud-gate-field-error" id="sendcloud-gate-advanced-error" role="alert">';
            if ($path !== '') {
                $o .= sprintf(esc_html__('At %s', 'sendcloud-gate'), '<code>' . esc_html($path) . '</code>');
            }
            if ($line > 0) {
                $o .= ($path !== '' ? ', ' : '') . sprintf(esc_html__('line %1$d, column %2$d', 'sendcloud-gate'), $line, $column);
            }
            $o .= ($path !== '' || $line > 0 ? ': ' : '') . esc_html($located !== null && $line > 0 ? $located['message'] : (string) $error['message']) . '</p>';
        }
        foreach ($warnings as $w) {
            $o .= '<p class="sendcloud-gate-field-warning">' . esc_html__('Warning:', 'sendcloud-gate') . ' <code>' . esc_html($w['path']) . '</code>: ' . esc_html($w['message']) . '</p>';
        }
        return $o . '</details>';
    }

    /**
     * @param array<string,mixed>|null $test
     * @param array<string,mixed>|null $preset
     */
    private function testHtml(?array $test, ?array $preset): string
    {
        $in = $test['input'] ?? [
            'remote_addr' => is_string($this->server['REMOTE_ADDR'] ?? null) ? $this->server['REMOTE_ADDR'] : '',
            'method' => 'PATCH', 'uri' => '/wp-json/wc/v3/orders/1', 'user_agent' => (string) Status::presetUserAgent($preset), 'headers_text' => '',
        ];
        $o = '<h2 id="test">' . esc_html__('Test a request', 'sendcloud-gate') . '</h2>';
        $o .= '<p class="description">' . esc_html__('What the saved settings decide for a request: copy the values from your access log.', 'sendcloud-gate') . '</p>';
        $o .= '<form method="post" action="' . esc_url(self::url() . '#test') . '" id="sendcloud-gate-test">';
        $o .= wp_nonce_field(self::TEST_NONCE, '_wpnonce', true, false) . '<input type="hidden" name="sendcloud_gate_action" value="test" /><table class="form-table"><tbody>';
        $fields = [
            'remote_addr' => __('Peer address (REMOTE_ADDR)', 'sendcloud-gate'), 'method' => __('Method', 'sendcloud-gate'),
            'uri' => __('Path', 'sendcloud-gate'), 'user_agent' => __('User-Agent', 'sendcloud-gate'),
        ];
        foreach ($fields as $k => $label) {
            $o .= '<tr><th><label for="sendcloud-gate-test-' . esc_attr($k) . '">' . esc_html($label) . '</label></th><td><input type="text" class="regular-text code" id="sendcloud-gate-test-'
                . esc_attr($k) . '" name="sendcloud_gate_test[' . esc_attr($k) . ']" value="' . esc_attr((string) $in[$k]) . '" /></td></tr>';
        }
        $o .= '<tr><th><label for="sendcloud-gate-test-headers">' . esc_html__('Other headers, one a line (Name: value)', 'sendcloud-gate') . '</label></th><td>'
            . '<textarea id="sendcloud-gate-test-headers" name="sendcloud_gate_test[headers]" rows="3" cols="60" class="code">' . esc_textarea((string) $in['headers_text']) . '</textarea></td></tr>';
        $o .= '</tbody></table><p><button type="submit" class="button" id="sendcloud-gate-test-submit">' . esc_html__('Test', 'sendcloud-gate') . '</button></p></form>';
        if (is_array($test['decision'] ?? null)) {
            $o .= self::decisionHtml($test['decision']);
        }
        return $o;
    }

    /**
     * A decision in plain words, with its trace and provenance when the library gave them.
     *
     * @param array<string,mixed> $d
     */
    public static function decisionHtml(array $d): string
    {
        $action = (string) ($d['action'] ?? '');
        $reason = (string) ($d['reason'] ?? '');
        $o = '<div class="sendcloud-gate-decision" id="sendcloud-gate-decision" data-action="' . esc_attr($action) . '" data-reason="' . esc_attr($reason) . '">';
        $o .= '<p><strong class="sendcloud-gate-action">' . esc_html(Texts::actionLabel($action)) . '</strong> — ' . esc_html(Texts::actionSummary($action)) . '</p>';
        $o .= '<p><strong>' . esc_html(Texts::reasonTitle($reason)) . '</strong> (<code>' . esc_html($reason) . '</code>): ' . esc_html(Texts::explain($d)) . '</p>';
        $o .= '<p>' . sprintf(
            esc_html__('Client: %1$s · method: %2$s · rule: %3$s', 'sendcloud-gate'),
            '<code>' . esc_html((string) ($d['client_ip'] ?? '—')) . '</code>',
            '<code>' . esc_html((string) ($d['method'] ?? '—')) . '</code>',
            '<code>' . esc_html((string) ($d['rule'] ?? '—')) . '</code>'
        ) . '</p>';
        if (is_array($d['trace'] ?? null) && $d['trace'] !== []) {
            $o .= '<p>' . esc_html__('How the engine got there, step by step:', 'sendcloud-gate') . '</p><ol class="sendcloud-gate-trace">';
            foreach ($d['trace'] as $step) {
                $o .= '<li>' . esc_html(is_string($step) ? $step : (string) json_encode($step)) . '</li>';
            }
            $o .= '</ol>';
        }
        $pr = $d['provenance'] ?? null;
        if (is_array($pr) && is_string($pr['source'] ?? null)) {
            $o .= '<p class="description">' . sprintf(
                esc_html__('Decided by the preset “%1$s”: source %2$s, %3$s, reviewed %4$s.', 'sendcloud-gate'),
                esc_html((string) ($pr['preset'] ?? '')),
                '<a href="' . esc_url($pr['source']) . '" rel="noopener noreferrer" target="_blank">' . esc_html($pr['source']) . '</a>',
                ($pr['verified'] ?? false) === true ? esc_html__('verified', 'sendcloud-gate') : esc_html__('not verified', 'sendcloud-gate'),
                esc_html((string) ($pr['reviewed'] ?? ''))
            ) . '</p>';
        }
        return $o . '</div>';
    }

    /**
     * @param array<string,mixed> $values
     * @param array<string,mixed>|null $preset
     */
    private function statusHtml(array $values, ?array $preset, ?array $methods = null): string
    {
        $mode = (string) $values['mode'];
        $o = '<h2>' . esc_html__('Status', 'sendcloud-gate') . '</h2><table class="widefat striped" id="sendcloud-gate-status"><tbody>';
        $modeText = ['off' => __('Off', 'sendcloud-gate'), 'monitor' => __('Monitor', 'sendcloud-gate'), 'on' => __('On', 'sendcloud-gate')];
        $o .= '<tr><th>' . esc_html__('Switch', 'sendcloud-gate') . '</th><td>' . esc_html($modeText[$mode] ?? $mode) . '</td></tr>';

        $loader = Loader::state();
        $o .= '<tr><th>' . esc_html__('Where the gate runs', 'sendcloud-gate') . '</th><td id="sendcloud-gate-runs">';
        if ($loader === 'current') {
            $o .= esc_html__('Early, from the must-use loader: before other plugins, so before security plugins that block in WordPress.', 'sendcloud-gate');
        } else {
            $o .= esc_html($loader === 'missing'
                ? __('When the plugin loads: the must-use loader is missing, so security plugins that load earlier may block Sendcloud first.', 'sendcloud-gate')
                : __('When the plugin loads: the must-use loader is outdated.', 'sendcloud-gate'))
                . (current_user_can(self::serverCap()) ? ' ' . Notice::reinstallButton() : '');
        }
        $o .= ' <span class="description">' . esc_html__('Firewalls in front of WordPress (the web server’s ModSecurity, Wordfence’s firewall, a CDN) decide before any plugin: see Tools → Site Health.', 'sendcloud-gate') . '</span></td></tr>';

        $o .= $this->prependHtml();

        $o .= '<tr><th>' . esc_html__('Sendcloud’s methods on this server', 'sendcloud-gate') . '</th><td id="sendcloud-gate-methods">';
        if (is_array($methods)) {
            $o .= '<p class="sendcloud-gate-methods-' . esc_attr((string) $methods['status']) . '"><strong>' . esc_html((string) $methods['label']) . '</strong></p>'
                . $methods['description'] . $methods['actions'];   // SiteHealth::methodsTest() escapes what it puts there
        } else {
            $o .= esc_html__('Whether the server lets GET, POST, OPTIONS, PATCH and DELETE with Sendcloud’s User-Agent reach WordPress (also in Tools → Site Health, which some server firewalls block).', 'sendcloud-gate') . ' ';
        }
        $o .= '<form method="post" action="' . esc_url(self::url()) . '" style="display:inline">' . wp_nonce_field(self::METHODS_NONCE, '_wpnonce', true, false)
            . '<input type="hidden" name="sendcloud_gate_action" value="methods" /><button type="submit" class="button" id="sendcloud-gate-check-methods">'
            . esc_html__('Check now', 'sendcloud-gate') . '</button></form></td></tr>';

        $failure = Status::savedGate()->loadFailure();
        if ($failure !== null) {
            $o .= '<tr><th>' . esc_html__('Engine', 'sendcloud-gate') . '</th><td class="sendcloud-gate-critical">' . esc_html__('The engine could not load, so every request gets no opinion (your security plugins decide alone):', 'sendcloud-gate') . ' ' . esc_html($failure) . '</td></tr>';
        }

        $adapters = Status::activeAdapters();
        $o .= '<tr><th>' . esc_html__('Security plugins', 'sendcloud-gate') . '</th><td id="sendcloud-gate-security-plugins">';
        if ($adapters === null) {
            $o .= esc_html__('This version does not act inside security plugins yet.', 'sendcloud-gate');
        } elseif ($adapters === []) {
            $o .= esc_html__('None of the security plugins the gate knows is active.', 'sendcloud-gate');
        } else {
            $o .= '<ul>';
            foreach ($adapters as $i => $adapter) {
                $name = (string) $adapter->name();
                $o .= '<li><strong>' . esc_html($name) . '</strong>: ' . esc_html((string) $adapter->whatItDoes());
                $mayAct = current_user_can(self::serverCap());
                if ($mayAct && method_exists($adapter, 'allowListAddresses')) {
                    $o .= '<br />' . self::adapterButton('allow_list', $name, sprintf(
                        /* translators: %s: security plugin */
                        __('Add Sendcloud’s addresses to %s’s allow list (permanent)', 'sendcloud-gate'),
                        $name
                    ), 'sendcloud-gate-allow-list-' . $i);
                }
                if ($mayAct && method_exists($adapter, 'install') && method_exists($adapter, 'isInstalled') && method_exists($adapter, 'block')) {
                    $installed = false;
                    try {
                        $installed = (bool) $adapter::isInstalled();
                    } catch (\Throwable $e) {
                        $installed = false;
                    }
                    $o .= '<br />' . ($installed
                        ? esc_html__('The gate’s lines are in .htninja.', 'sendcloud-gate') . ' ' . self::adapterButton('htninja_remove', $name, __('Remove them', 'sendcloud-gate'), 'sendcloud-gate-htninja-remove')
                        : self::adapterButton('htninja_install', $name, __('Write the lines to .htninja', 'sendcloud-gate'), 'sendcloud-gate-htninja-install'));
                    try {
                        $block = (string) $adapter::block();
                        $o .= '<details><summary>' . esc_html__('Or copy them into .htninja yourself, right after its first line (<?php):', 'sendcloud-gate') . '</summary>'
                            . '<textarea readonly rows="10" class="large-text code">' . esc_textarea($block) . '</textarea></details>';
                    } catch (\Throwable $e) {
                        $o .= '';
                    }
                }
                $o .= '</li>';
            }
            $o .= '</ul>';
        }
        $o .= '</td></tr>';

        $last = Status::lastPartnerRequest();
        $o .= '<tr><th>' . esc_html__('Last Sendcloud request', 'sendcloud-gate') . '</th><td id="sendcloud-gate-last">';
        if (!Status::logAvailable()) {
            $o .= esc_html__('This version keeps no decision log yet.', 'sendcloud-gate');
        } elseif ($last === null) {
            $o .= esc_html__('None seen yet.', 'sendcloud-gate');
        } else {
            $o .= sprintf(
                /* translators: 1: time (UTC), 2: method, 3: path, 4: decision, 5: reason */
                esc_html__('%1$s UTC: %2$s %3$s — %4$s, %5$s', 'sendcloud-gate'),
                esc_html((string) ($last['created_at'] ?? '')),
                esc_html((string) ($last['method'] ?? '')),
                '<code>' . esc_html((string) ($last['path'] ?? '')) . '</code>',
                '<strong>' . esc_html(Texts::actionLabel((string) ($last['action'] ?? ''))) . '</strong>',
                esc_html(Texts::reasonTitle((string) ($last['reason'] ?? '')))
            );
            $o .= '<br />' . esc_html(Texts::explain($last));
        }
        if (Status::logAvailable()) {
            $o .= '<br /><a href="' . esc_url(LogPage::url()) . '">' . esc_html__('The log', 'sendcloud-gate') . '</a> · <a href="'
                . esc_url(LogPage::url(['not_allowed' => '1'])) . '">' . esc_html__('Sendcloud requests not allowed', 'sendcloud-gate') . '</a>';
        }
        $o .= '</td></tr>';
        $counts = Status::countsByAction(7);
        if ($counts !== null) {
            $o .= '<tr><th>' . esc_html__('Last 7 days', 'sendcloud-gate') . '</th><td id="sendcloud-gate-counts">';
            $parts = [];
            foreach ($counts as $action => $n) {
                $parts[] = esc_html(Texts::actionLabel((string) $action)) . ': ' . (int) $n;
            }
            $o .= implode(' · ', $parts) . '</td></tr>';
        }
        $o .= '</tbody></table>';
        $advice = Status::advice($last, $mode);
        if ($advice !== []) {
            $o .= '<div class="notice notice-info inline" id="sendcloud-gate-advice">';
            foreach ($advice as $a) {
                $o .= '<p>' . esc_html($a) . '</p>';
            }
            $o .= '</div>';
        }
        return $o;
    }

    /** @param array<string,mixed>|null $error */
    private static function fieldError(?array $error, ?int $entry): string
    {
        if ($error === null) {
            return '';
        }
        $o = '<p class="sendcloud-gate-field-error" role="alert">';
        if ((string) $error['path'] !== '') {
            $o .= sprintf(esc_html__('At %s', 'sendcloud-gate'), '<code>' . esc_html((string) $error['path']) . '</code>');
            if ($entry !== null) {
                $o .= ' ' . sprintf(esc_html__('(entry %d of this field)', 'sendcloud-gate'), $entry + 1);
            }
            $o .= ': ';
        }
        return $o . esc_html((string) $error['message']) . '</p>';
    }

    private static function invalid(bool $invalid): string
    {
        return $invalid ? ' aria-invalid="true"' : '';
    }
}
