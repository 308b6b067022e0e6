<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * The plugin's settings, kept in one option (OPTION), the compiled policy made from them (COMPILED_OPTION, base64),
 * and the engine with that policy loaded (SNAPSHOT_OPTION: base64 of serialize(Gate::snapshot())), which a request
 * starts from in about 0.06 ms instead of loading the policy (about 0.6 ms). Normalises what it is given; does not
 * judge addresses or methods: the engine does, when the policy is compiled on save.
 */
final class Settings
{
    public const OPTION = 'sendcloud_gate_settings';
    public const COMPILED_OPTION = 'sendcloud_gate_compiled';
    public const SNAPSHOT_OPTION = 'sendcloud_gate_snapshot';

    public const MODES = ['off', 'monitor', 'on'];
    public const PROXIES = ['none', 'cloudflare', 'custom'];
    public const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip'];
    public const IMPERSONATION = ['log', 'block'];
    /** The decision log's bounds (Log\DecisionLog): [default, minimum, maximum]. */
    public const LOG_MAX_ROWS = [10000, 100, 1000000];
    public const LOG_DAYS = [30, 1, 365];

    /** @return array<string,mixed> what a site has before anything was saved (mode `off` until activation) */
    public static function defaults(): array
    {
        return [
            'mode' => 'off',
            'extra_ips' => [],
            'extra_methods' => [],
            'proxy' => 'none',
            'proxy_ranges' => [],
            'proxy_header' => 'x-forwarded-for',
            'impersonation' => 'log',
            'advanced_policy' => '',
            'log_max_rows' => self::LOG_MAX_ROWS[0],
            'log_days' => self::LOG_DAYS[0],
        ];
    }

    /** @return array<string,mixed> the stored settings, normalised (defaults for whatever is missing or malformed) */
    public static function load(): array
    {
        $stored = get_option(self::OPTION, []);
        return self::normalise(is_array($stored) ? $stored : []);
    }

    /**
     * @param array<string,mixed> $in settings as a form or a caller gives them: lists may be arrays or text with one
     *                                item per line (or comma-separated)
     * @return array<string,mixed>
     */
    public static function normalise(array $in): array
    {
        $d = self::defaults();
        $out = $d;
        $out['mode'] = self::oneOf($in['mode'] ?? null, self::MODES, $d['mode']);
        $out['extra_ips'] = self::lines($in['extra_ips'] ?? []);
        $out['extra_methods'] = array_values(array_unique(array_map('strtoupper', self::lines($in['extra_methods'] ?? []))));
        $out['proxy'] = self::oneOf($in['proxy'] ?? null, self::PROXIES, $d['proxy']);
        $out['proxy_ranges'] = self::lines($in['proxy_ranges'] ?? []);
        $header = is_string($in['proxy_header'] ?? null) ? strtolower(trim($in['proxy_header'])) : '';
        $out['proxy_header'] = in_array($header, self::PROXY_HEADERS, true) ? $header : $d['proxy_header'];
        $out['impersonation'] = self::oneOf($in['impersonation'] ?? null, self::IMPERSONATION, $d['impersonation']);
        $out['advanced_policy'] = is_string($in['advanced_policy'] ?? null) ? trim($in['advanced_policy']) : '';
        $out['log_max_rows'] = self::bounded($in['log_max_rows'] ?? null, self::LOG_MAX_ROWS);
        $out['log_days'] = self::bounded($in['log_days'] ?? null, self::LOG_DAYS);
        return $out;
    }

    /**
     * Saves settings: builds the policy, compiles it once with the library and stores the settings and the compiled
     * bytes. An invalid policy is refused whole: nothing is stored and the previous bytes stay in force.
     *
     * @param array<string,mixed> $in
     * @return array{ok: bool, error: ?array{message: string, path: string, line: int, column: int},
     *               warnings: list<array{path: string, message: string}>}
     */
    public static function save(array $in): array
    {
        $settings = self::normalise($in);
        try {
            $gate = \SendcloudGate\Gate::fromPolicyJson(PolicyBuilder::json($settings));
            $bytes = $gate->toCompiled();
            $warnings = $gate->warnings();
        } catch (\SendcloudGate\PolicyException $e) {
            return ['ok' => false, 'error' => [
                'message' => $e->getMessage(), 'path' => $e->getJsonPath(),
                'line' => $e->getJsonLine(), 'column' => $e->getJsonColumn(),
            ], 'warnings' => []];
        } catch (\Throwable $e) {
            return ['ok' => false, 'error' => [
                'message' => 'the policy could not be compiled here: ' . $e->getMessage(), 'path' => '',
                'line' => 0, 'column' => 0,
            ], 'warnings' => []];
        }
        update_option(self::OPTION, $settings);
        // The snapshot before the bytes: the prepend file, rewritten on each of these updates, then has both. A
        // snapshot of other bytes than the ones in force is never applied (Gate::fromSnapshotOrPass()).
        update_option(self::SNAPSHOT_OPTION, self::snapshotText($gate));
        update_option(self::COMPILED_OPTION, base64_encode($bytes));
        return ['ok' => true, 'error' => null, 'warnings' => $warnings];
    }

    /**
     * The stored snapshot, decoded: what Gate::fromSnapshotOrPass() takes (null when there is none; whatever else it
     * decodes to, the library checks and does not apply when it is not a snapshot of the bytes in force).
     *
     * @param mixed $stored the option's value
     * @return mixed
     */
    public static function decodeSnapshot($stored)
    {
        if (!is_string($stored) || $stored === '') {
            return null;
        }
        $serialized = base64_decode($stored, true);
        if ($serialized === false) {
            return null;
        }
        // A damaged string is an E_NOTICE from unserialize() and false: no snapshot.
        $snapshot = @unserialize($serialized, ['allowed_classes' => false]);
        return is_array($snapshot) ? $snapshot : null;
    }

    /**
     * The Gate for the stored compiled policy and snapshot, for a request (the request path, and before WordPress):
     * started from the snapshot when it is one of these bytes, else the bytes loaded. Null bytes (nothing saved) are
     * the default policy, whatever snapshot may be left. Never throws: the library answers `pass` / `engine_error`
     * for bytes it cannot load (false: not base64; not a string).
     *
     * @param mixed $bytes the compiled policy, decoded from COMPILED_OPTION
     * @param mixed $snapshotText SNAPSHOT_OPTION's value
     */
    public static function gate($bytes, $snapshotText): \SendcloudGate\Gate
    {
        return $bytes === null
            ? \SendcloudGate\Gate::fromCompiledOrPass(null)
            : \SendcloudGate\Gate::fromSnapshotOrPass(self::decodeSnapshot($snapshotText), $bytes);
    }

    /** The option's text for $gate's snapshot: '' when none can be taken here (requests then load the bytes). */
    public static function snapshotText(\SendcloudGate\Gate $gate): string
    {
        try {
            return base64_encode(serialize($gate->snapshot()));
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: no engine snapshot of the policy (requests load it instead): ' . get_class($e) . ': ' . $e->getMessage());
            return '';
        }
    }

    /**
     * Takes a new snapshot when the stored one is not of this engine (the plugin was updated) or not of the compiled
     * policy in force (admin_init: an admin page pays for it once; until then requests load the policy). Never throws.
     */
    public static function refreshSnapshot(): void
    {
        try {
            $stored = get_option(self::COMPILED_OPTION, null);
            $bytes = is_string($stored) ? base64_decode($stored, true) : false;
            if (!is_string($bytes)) {
                return;
            }
            $snapshot = self::decodeSnapshot(get_option(self::SNAPSHOT_OPTION, ''));
            if (is_array($snapshot) && ($snapshot['bytes'] ?? null) === $bytes && \SendcloudGate\Gate::isCurrentSnapshot($snapshot)) {
                return;
            }
            update_option(self::SNAPSHOT_OPTION, self::snapshotText(\SendcloudGate\Gate::fromCompiled($bytes)));
        } catch (\Throwable $e) {
            error_log('sendcloud-gate: the engine snapshot could not be renewed: ' . get_class($e) . ': ' . $e->getMessage());
        }
    }

    /** @param mixed $v @param list<string> $allowed */
    private static function oneOf($v, array $allowed, string $default): string
    {
        return is_string($v) && in_array($v, $allowed, true) ? $v : $default;
    }

    /**
     * A whole number within [min, max] (a number outside is brought to the nearest bound); anything that is not a
     * whole number is the default.
     *
     * @param mixed $v
     * @param array{0: int, 1: int, 2: int} $bounds default, minimum, maximum
     */
    private static function bounded($v, array $bounds): int
    {
        if (is_string($v) && preg_match('/^\s*[0-9]+\s*$/', $v)) {
            $v = (int) trim($v);
        }
        if (!is_int($v)) {
            return $bounds[0];
        }
        return max($bounds[1], min($bounds[2], $v));
    }

    /** @param mixed $v @return list<string> */
    private static function lines($v): array
    {
        if (is_string($v)) {
            $v = preg_split('/[\s,]+/', $v) ?: [];
        }
        if (!is_array($v)) {
            return [];
        }
        $out = [];
        foreach ($v as $item) {
            if (is_string($item) && trim($item) !== '') {
                $out[] = trim($item);
            }
        }
        return array_values(array_unique($out));
    }
}
