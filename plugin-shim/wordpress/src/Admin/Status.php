<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

use SendcloudGate\Gate;
use SendcloudGate\WordPress\Loader;
use SendcloudGate\WordPress\Settings;

/**
 * What the settings page, Site Health and `wp sendcloud-gate status` report: the mode, where the gate runs, whether
 * the engine loads, the preset (from the library's effective policy: the plugin holds no partner data), the security
 * plugins found (the adapters' own words), the last Sendcloud request and the last days by decision (the decision
 * log's), and what to change when Sendcloud was not allowed. Reads only; decides nothing.
 */
final class Status
{
    /** Standard HTTP methods a merchant may add; which of them the preset lacks comes from the library. */
    public const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

    /** A preset reviewed longer ago than this is worth a second look (Site Health: recommended). */
    public const REVIEW_MAX_AGE_DAYS = 180;

    private const ADAPTER_REGISTRY = '\\SendcloudGate\\WordPress\\Adapters\\Registry';
    private const DECISION_LOG = '\\SendcloudGate\\WordPress\\Log\\DecisionLog';

    /** The Gate of the saved settings (their compiled bytes; the default policy when nothing was saved). Never throws. */
    public static function savedGate(): Gate
    {
        $stored = get_option(Settings::COMPILED_OPTION, null);
        $bytes = is_string($stored) ? base64_decode($stored, true) : $stored;
        return Gate::fromCompiledOrPass($bytes);
    }

    /**
     * The preset partner of a policy as the library shows it (presets expanded, provenance beside them), or null.
     *
     * @return array<string,mixed>|null ['id', 'preset', 'ip', 'user_agents', 'methods', 'provenance' => [...]]
     * @throws \SendcloudGate\EngineException when the library's full module cannot run
     */
    public static function preset(?Gate $gate = null): ?array
    {
        $policy = ($gate ?? Gate::default())->effectivePolicy();
        foreach ($policy['partners'] ?? [] as $p) {
            if (is_array($p) && isset($p['preset'])) {
                return $p;
            }
        }
        return null;
    }

    /**
     * A User-Agent of the preset that is a literal (no wildcard or placeholder), for the loopback probe; else the
     * first pattern with its wildcards dropped. Null when there is no preset.
     */
    public static function presetUserAgent(?array $preset): ?string
    {
        $patterns = is_array($preset['user_agents'] ?? null) ? $preset['user_agents'] : [];
        foreach ($patterns as $p) {
            if (is_string($p) && strpbrk($p, '*?{}[]') === false) {
                return $p;
            }
        }
        foreach ($patterns as $p) {
            if (is_string($p)) {
                return (string) preg_replace('/\{[^}]*\}|[*?\[\]]/', 'wordpress', $p);
            }
        }
        return null;
    }

    /** Days since the preset's `reviewed` date (YYYY-MM-DD), or null when it has none. */
    public static function reviewAgeDays(?array $preset, ?int $now = null): ?int
    {
        $reviewed = $preset['provenance']['reviewed'] ?? null;
        if (!is_string($reviewed) || preg_match('/^\d{4}-\d{2}-\d{2}$/', $reviewed) !== 1) {
            return null;
        }
        $t = strtotime($reviewed . ' 00:00:00 UTC');
        return $t === false ? null : max(0, intdiv(($now ?? time()) - $t, 86400));
    }

    /** `mu-plugin` when the must-use loader is current, else `plugin` (the gate runs when the plugin loads). */
    public static function runsAt(): string
    {
        return Loader::state() === 'current' ? 'mu-plugin' : 'plugin';
    }

    /**
     * The security plugins found, each with what the gate does with it (the adapters' own words), or null when this
     * build has no adapters.
     *
     * @return list<array{name: string, what: string}>|null
     */
    public static function securityPlugins(): ?array
    {
        $adapters = self::activeAdapters();
        if ($adapters === null) {
            return null;
        }
        $out = [];
        foreach ($adapters as $adapter) {
            $out[] = ['name' => (string) $adapter->name(), 'what' => (string) $adapter->whatItDoes()];
        }
        return $out;
    }

    /**
     * The adapters whose security plugin is active, or null when this build has no adapters.
     *
     * @return list<object>|null each with name(), detect(), whatItDoes() (SendcloudGate\WordPress\Adapters\Adapter)
     */
    public static function activeAdapters(): ?array
    {
        $registry = self::ADAPTER_REGISTRY;
        if (!class_exists($registry) || !method_exists($registry, 'all')) {
            return null;
        }
        $out = [];
        try {
            foreach ($registry::all() as $adapter) {
                if ($adapter->detect()) {
                    $out[] = $adapter;
                }
            }
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: the security-plugin adapters could not be listed: ' . $e->getMessage());
        }
        return $out;
    }

    /** Whether the decision log is part of this build. */
    public static function logAvailable(): bool
    {
        $log = self::DECISION_LOG;
        return class_exists($log) && method_exists($log, 'lastPartnerRequest') && method_exists($log, 'countsByAction');
    }

    /** Whether a logged request is Site Health's own probe (it carries Sendcloud's User-Agent from this server). */
    public static function isProbe(array $row): bool
    {
        $suffix = '/' . SiteHealth::NS . '/probe';
        $path = (string) ($row['path'] ?? '');
        return substr($path, -strlen($suffix)) === $suffix || substr($path, -strlen($suffix) - 1) === $suffix . '/';
    }

    /**
     * The newest logged request about Sendcloud (created_at in UTC, method, path, action, reason, …), leaving out
     * Site Health's probes: they carry Sendcloud's User-Agent from this server, so the engine calls them
     * impersonation, which says nothing about Sendcloud.
     *
     * @return array<string,string>|null
     */
    public static function lastPartnerRequest(): ?array
    {
        if (!self::logAvailable()) {
            return null;
        }
        $log = self::DECISION_LOG;
        try {
            $row = $log::lastPartnerRequest();
            if (is_array($row) && self::isProbe($row)) {
                $row = null;
                $partner = defined($log . '::PARTNER') ? constant($log . '::PARTNER') : null;
                $recent = method_exists($log, 'query') ? $log::query([], 1, 200) : ['rows' => []];
                foreach ($recent['rows'] ?? [] as $r) {
                    if (is_array($r) && ($r['rule'] ?? null) === $partner && !self::isProbe($r)) {
                        $row = $r;
                        break;
                    }
                }
            }
        } catch (\Throwable $e) {
            return null;
        }
        return is_array($row) ? $row : null;
    }

    /** @return array<string,int>|null logged requests of the last $days days by action */
    public static function countsByAction(int $days = 7): ?array
    {
        if (!self::logAvailable()) {
            return null;
        }
        $log = self::DECISION_LOG;
        try {
            $counts = $log::countsByAction($days);
        } catch (\Throwable $e) {
            return null;
        }
        return is_array($counts) ? array_map('intval', $counts) : null;
    }

    /**
     * What to change when the last Sendcloud request was not allowed, in plain words (empty when it was, or when
     * none was seen). The reason is the engine's; this only says what the merchant can do about it.
     *
     * @param array<string,mixed>|null $last a decision-log row (action, reason, method, client_ip)
     * @return list<string>
     */
    public static function advice(?array $last, string $mode): array
    {
        $out = [];
        if ($mode === 'off') {
            $out[] = __('The gate is off: nothing is decided or logged. Choose Monitor to see what Sendcloud’s requests would get, or On.', 'sendcloud-gate');
        }
        if ($last === null || ($last['action'] ?? '') === 'allow') {
            if ($last !== null && $mode === 'monitor') {
                $out[] = __('Sendcloud’s requests are recognised. Monitor changes nothing: switch to On so that the gate lets them through your security plugins.', 'sendcloud-gate');
            }
            return $out;
        }
        $method = (string) ($last['method'] ?? '');
        $ip = (string) ($last['client_ip'] ?? '');
        switch ($last['reason'] ?? '') {
            case 'method_not_allowed':
                $out[] = sprintf(
                    /* translators: %s: an HTTP method such as PUT */
                    __('Sendcloud used the method %s, which is not allowed yet. Tick it under “Extra methods” if your shop needs it (see the note there).', 'sendcloud-gate'),
                    $method
                );
                break;
            case 'impersonation':
                $out[] = sprintf(
                    /* translators: %s: an IP address */
                    __('A request with Sendcloud’s User-Agent came from %s, which is not one of Sendcloud’s addresses. If your site is behind a proxy or CDN, choose it under “Proxy / CDN” so that the gate sees the real client (check the line “this request reached WordPress from …”). If Sendcloud really uses this address, add it under “Extra addresses”. Otherwise it is someone else using Sendcloud’s name.', 'sendcloud-gate'),
                    $ip
                );
                break;
            case 'ua_mismatch':
                $out[] = __('The request came from Sendcloud’s addresses but with a User-Agent the preset does not know. Try it under “Test a request” with the User-Agent from your access log; if Sendcloud changed its User-Agent, a site rule under “Advanced” can allow it until the plugin is updated.', 'sendcloud-gate');
                break;
            case 'malformed_input':
            case 'ambiguous_method_override':
                $out[] = __('The request could not be read unambiguously (a forwarding header, the method or the path). Check the “Proxy / CDN” setting: forwarding headers count only from the proxies you list.', 'sendcloud-gate');
                break;
            case 'engine_error':
                $out[] = __('The engine failed. Reinstall the plugin from its zip; until then the gate has no opinion and your security plugins decide alone.', 'sendcloud-gate');
                break;
            default:
                $out[] = __('Use “Test a request” with the values from your access log to see why.', 'sendcloud-gate');
        }
        $out[] = __('Once it is fixed, press “Update” in the Sendcloud integration settings of this shop (in your Sendcloud panel): that forces a new sync.', 'sendcloud-gate');
        return $out;
    }
}
