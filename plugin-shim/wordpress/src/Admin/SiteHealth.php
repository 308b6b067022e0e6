<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

/**
 * Site Health (Tools → Site Health): a direct test (is the gate active, where does it run, how old is the preset's
 * review) and an async test that asks the server itself: loopback requests to this plugin's REST route
 * (`sendcloud-gate/v1/probe`) with each method Sendcloud uses and Sendcloud's User-Agent. A method the server refuses
 * (ModSecurity's method policy, a host's rule) is critical: no plugin can let it through, only the server can.
 */
final class SiteHealth
{
    public const NS = 'sendcloud-gate/v1';
    /** The methods the async test sends: those Sendcloud's article names (the policy's extra methods are added). */
    public const PROBE_METHODS = ['GET', 'POST', 'OPTIONS', 'PATCH', 'DELETE'];
    public const DIRECT_ID = 'sendcloud_gate';
    public const ASYNC_ID = 'sendcloud_gate_methods';

    /** site_status_tests @param array<string,mixed> $tests @return array<string,mixed> */
    public static function tests($tests): array
    {
        $tests = is_array($tests) ? $tests : [];
        $tests['direct'][self::DIRECT_ID] = [
            'label' => __('Sendcloud Gate', 'sendcloud-gate'),
            'test' => [self::class, 'directTest'],
        ];
        $tests['async'][self::ASYNC_ID] = [
            'label' => __('Sendcloud’s request methods reach WordPress', 'sendcloud-gate'),
            'test' => rest_url(self::NS . '/site-health'),
            'has_rest' => true,
            'async_direct_test' => [self::class, 'methodsTest'],
        ];
        return $tests;
    }

    /** rest_api_init: the probe (public: it only echoes the method) and the async test's endpoint. */
    public static function routes(): void
    {
        register_rest_route(self::NS, '/probe', [
            'methods' => 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
            'callback' => [self::class, 'probe'],
            'permission_callback' => '__return_true',
        ]);
        register_rest_route(self::NS, '/site-health', [
            'methods' => 'GET',
            'callback' => [self::class, 'methodsTest'],
            'permission_callback' => static function (): bool {
                return current_user_can('view_site_health_checks');
            },
        ]);
    }

    /**
     * The probe: which method arrived. (WordPress answers OPTIONS itself, with the route's description.)
     *
     * @param object $request a WP_REST_Request
     * @return array{method: string, route: string}
     */
    public static function probe($request): array
    {
        $method = is_object($request) && method_exists($request, 'get_method') ? (string) $request->get_method() : '';
        return ['method' => $method, 'route' => self::NS . '/probe'];
    }

    /** @return array<string,mixed> the direct test's result */
    public static function directTest(): array
    {
        $mode = Settings::load()['mode'];
        $items = [];
        $status = 'good';
        $failure = Status::savedGate()->loadFailure();
        if ($failure !== null) {
            $status = 'critical';
            $items[] = __('The engine could not load, so the gate has no opinion on any request:', 'sendcloud-gate') . ' ' . $failure;
        }
        $modeText = [
            'off' => __('The gate is off: nothing is decided.', 'sendcloud-gate'),
            'monitor' => __('The gate is in Monitor: it decides and logs, and changes nothing.', 'sendcloud-gate'),
            'on' => __('The gate is on.', 'sendcloud-gate'),
        ];
        $items[] = $modeText[$mode] ?? $mode;
        if ($mode !== 'on' && $status === 'good') {
            $status = 'recommended';
        }
        $loader = Loader::state();
        if ($loader === 'current') {
            $items[] = __('It runs early, from its must-use loader, before other plugins.', 'sendcloud-gate');
        } else {
            $items[] = $loader === 'missing'
                ? __('Its must-use loader is missing: it runs only when the plugin loads, after security plugins that may block first.', 'sendcloud-gate')
                : __('Its must-use loader is outdated: reinstall it from the Sendcloud Gate page.', 'sendcloud-gate');
            if ($status === 'good') {
                $status = 'recommended';
            }
        }
        try {
            $preset = Status::preset();
        } catch (\Throwable $e) {
            $preset = null;
        }
        $age = Status::reviewAgeDays($preset);
        if ($age !== null) {
            $items[] = sprintf(
                /* translators: 1: date, 2: number of days */
                __('Sendcloud’s addresses and User-Agents were last reviewed on %1$s (%2$d days ago); they are not verified by Sendcloud.', 'sendcloud-gate'),
                (string) $preset['provenance']['reviewed'],
                $age
            );
            if ($age > Status::REVIEW_MAX_AGE_DAYS && $status === 'good') {
                $status = 'recommended';
                $items[] = __('That is a while ago: check for a newer version of the plugin, and compare the addresses with Sendcloud’s current list.', 'sendcloud-gate');
            }
        }
        $labels = [
            'good' => __('Sendcloud Gate is active', 'sendcloud-gate'),
            'recommended' => __('Sendcloud Gate could do more', 'sendcloud-gate'),
            'critical' => __('Sendcloud Gate cannot decide', 'sendcloud-gate'),
        ];
        return self::result(self::DIRECT_ID, $status, $labels[$status], $items,
            '<a href="' . esc_url(Page::url()) . '">' . esc_html__('Open the Sendcloud Gate settings', 'sendcloud-gate') . '</a>');
    }

    /**
     * The async test: a loopback request per method, with Sendcloud's User-Agent, to the probe.
     *
     * @return array<string,mixed> a Site Health result, with `methods` => [method => ['result' => ok|refused|changed|error, 'detail']]
     */
    public static function methodsTest(): array
    {
        try {
            $preset = Status::preset();
        } catch (\Throwable $e) {
            $preset = null;
        }
        $ua = Status::presetUserAgent($preset) ?? 'sendcloud-gate site health';
        $methods = array_values(array_unique(array_merge(self::PROBE_METHODS, Settings::load()['extra_methods'])));
        $results = [];
        foreach ($methods as $m) {
            $results[$m] = self::probeMethod($m, $ua);
        }

        $items = [];
        $refused = [];
        foreach ($results as $m => $r) {
            $items[] = $m . ': ' . $r['detail'];
            if ($r['result'] !== 'ok') {
                $refused[] = $m;
            }
        }
        if (($results['GET']['result'] ?? '') === 'error') {
            $r = self::result(self::ASYNC_ID, 'recommended', __('The server could not be asked about Sendcloud’s methods', 'sendcloud-gate'),
                array_merge([__('Loopback requests (the site asking itself) fail here, so the methods could not be tested.', 'sendcloud-gate')], $items), '');
        } elseif ($refused !== []) {
            $r = self::result(self::ASYNC_ID, 'critical',
                sprintf(
                    /* translators: %s: HTTP methods */
                    __('The server refuses %s requests that Sendcloud sends', 'sendcloud-gate'),
                    implode(', ', $refused)
                ),
                $items,
                esc_html__('No plugin can let these through: the server refuses them before WordPress runs. Ask your host to allow these methods for /wp-json/ (on Apache with ModSecurity and the OWASP Core Rule Set it is the method policy, rule 911100: an exclusion for the shop’s REST API, or for Sendcloud’s addresses). Then run this test again and press “Update” in the Sendcloud integration settings.', 'sendcloud-gate'));
        } else {
            $r = self::result(self::ASYNC_ID, 'good', __('Sendcloud’s request methods reach WordPress', 'sendcloud-gate'), $items, '');
        }
        $r['methods'] = $results;
        return $r;
    }

    /** @return array{result: string, detail: string} */
    public static function probeMethod(string $method, string $ua): array
    {
        $r = self::send($method, $ua);
        if ($r['result'] === 'gate') {
            // This plugin blocked it: the loopback comes from this server, not from Sendcloud's addresses, and
            // impersonators are blocked. Ask the server again without Sendcloud's User-Agent.
            $again = self::send($method, 'WordPress; sendcloud-gate site health');
            $again['detail'] = __('blocked by Sendcloud Gate itself (the test comes from this server, not Sendcloud’s addresses, and impersonators are blocked); without Sendcloud’s User-Agent:', 'sendcloud-gate') . ' ' . $again['detail'];
            if ($again['result'] === 'gate') {
                $again['result'] = 'refused';
            }
            return $again;
        }
        return $r;
    }

    /** @return array{result: string, detail: string} */
    private static function send(string $method, string $ua): array
    {
        $args = [
            'method' => $method,
            'user-agent' => $ua,
            'timeout' => 10,
            'redirection' => 0,
            'sslverify' => (bool) apply_filters('https_local_ssl_verify', false),
            'headers' => ['Accept' => 'application/json'],
        ];
        if (in_array($method, ['POST', 'PUT', 'PATCH'], true)) {
            $args['headers']['Content-Type'] = 'application/json';
            $args['body'] = '{}';
        }
        $response = wp_remote_request(rest_url(self::NS . '/probe'), $args);
        if (is_wp_error($response)) {
            return ['result' => 'error', 'detail' => sprintf(__('no answer (%s)', 'sendcloud-gate'), $response->get_error_message())];
        }
        $code = (int) wp_remote_retrieve_response_code($response);
        $body = (string) wp_remote_retrieve_body($response);
        if ($code === 403 && $body === Runtime::BLOCK_BODY) {
            return ['result' => 'gate', 'detail' => sprintf(__('HTTP %d from Sendcloud Gate', 'sendcloud-gate'), $code)];
        }
        if ($code < 200 || $code > 299) {
            return ['result' => 'refused', 'detail' => sprintf(__('refused: HTTP %d', 'sendcloud-gate'), $code)];
        }
        $data = json_decode($body, true);
        $arrived = is_array($data) && is_string($data['method'] ?? null) ? $data['method'] : null;
        if ($method === 'HEAD' || ($method === 'OPTIONS' && is_array($data) && ($data['namespace'] ?? null) === self::NS)) {
            return ['result' => 'ok', 'detail' => sprintf(__('reached WordPress (HTTP %d)', 'sendcloud-gate'), $code)];
        }
        if ($arrived === $method) {
            return ['result' => 'ok', 'detail' => sprintf(__('reached WordPress as %1$s (HTTP %2$d)', 'sendcloud-gate'), $arrived, $code)];
        }
        return ['result' => 'changed', 'detail' => $arrived === null
            ? sprintf(__('HTTP %d, but not from this plugin’s route (something in between answered)', 'sendcloud-gate'), $code)
            : sprintf(__('arrived as %s', 'sendcloud-gate'), $arrived)];
    }

    /**
     * A Site Health result.
     *
     * @param list<string> $items plain text, escaped here
     * @param string $actions HTML, escaped by the caller
     * @return array<string,mixed>
     */
    private static function result(string $test, string $status, string $label, array $items, string $actions): array
    {
        $colors = ['good' => 'blue', 'recommended' => 'orange', 'critical' => 'red'];
        $description = '<ul>';
        foreach ($items as $i) {
            $description .= '<li>' . esc_html($i) . '</li>';
        }
        $description .= '</ul>';
        return [
            'label' => $label,
            'status' => $status,
            'badge' => ['label' => __('Sendcloud', 'sendcloud-gate'), 'color' => $colors[$status] ?? 'blue'],
            'description' => $description,
            'actions' => $actions === '' ? '' : '<p>' . $actions . '</p>',
            'test' => $test,
        ];
    }
}
