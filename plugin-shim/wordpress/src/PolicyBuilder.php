<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * Turns the plugin's settings into a policy in the decision contract's JSON (docs/decision-contract.md, "Policy").
 * Configuration only: which addresses, methods and proxies the merchant chose. Every judgement — whether an address
 * is a range, whether the policy is safe — is the engine's, when the policy is compiled.
 *
 * The advanced policy JSON contributes its `rules` (site rules). Its other keys are refused with the JSON path, so
 * that the form's settings and the JSON cannot say two different things.
 */
final class PolicyBuilder
{
    /** The proxy header Cloudflare sets and a client cannot forge through it. */
    public const CLOUDFLARE_HEADER = 'cf-connecting-ip';

    /**
     * @param array<string,mixed> $settings as Settings::normalise() returns them
     * @return array<string,mixed>
     * @throws \SendcloudGate\PolicyException when the advanced policy JSON is not a JSON object with only `rules`
     */
    public static function build(array $settings): array
    {
        $s = Settings::normalise($settings);
        $partner = ['preset' => 'sendcloud'];
        if ($s['extra_ips'] !== []) {
            $partner['add_ip'] = $s['extra_ips'];
        }
        if ($s['extra_methods'] !== []) {
            $partner['add_methods'] = $s['extra_methods'];
        }
        $policy = [
            'version' => 1,
            'impersonation' => $s['impersonation'] === 'block' ? 'deny' : 'log',
            'partners' => [$partner],
        ];
        if ($s['proxy'] === 'cloudflare') {
            $policy['trusted_proxies'] = ['presets' => ['cloudflare'], 'header' => self::CLOUDFLARE_HEADER];
        } elseif ($s['proxy'] === 'custom') {
            $policy['trusted_proxies'] = ['ranges' => $s['proxy_ranges'], 'header' => $s['proxy_header']];
        }
        $rules = self::advancedRules($s['advanced_policy']);
        if ($rules !== null) {
            $policy['rules'] = $rules;
        }
        return $policy;
    }

    /** @param array<string,mixed> $settings @throws \SendcloudGate\PolicyException */
    public static function json(array $settings): string
    {
        return json_encode(self::build($settings), JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT | JSON_THROW_ON_ERROR);
    }

    /**
     * The `rules` of the advanced policy JSON, passed as written (the engine validates them), or null when there is
     * none.
     *
     * @return mixed
     * @throws \SendcloudGate\PolicyException
     */
    private static function advancedRules(string $json)
    {
        if ($json === '') {
            return null;
        }
        $decoded = json_decode($json);
        if (json_last_error() !== JSON_ERROR_NONE) {
            throw new \SendcloudGate\PolicyException('advanced policy: not valid JSON: ' . json_last_error_msg());
        }
        if (!$decoded instanceof \stdClass) {
            throw new \SendcloudGate\PolicyException('advanced policy: must be a JSON object such as {"rules": [...]}');
        }
        foreach (array_keys(get_object_vars($decoded)) as $key) {
            if ($key !== 'rules') {
                throw new \SendcloudGate\PolicyException(
                    $key . ': set this in the form above; the advanced policy holds only "rules"',
                    (string) $key
                );
            }
        }
        // Kept as decoded (objects stay objects), so the engine sees exactly what was written.
        return $decoded->rules ?? null;
    }
}
