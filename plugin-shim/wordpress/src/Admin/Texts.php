<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

/**
 * Plain-language texts for the engine's actions and reason codes, read from the data file the rule tester page uses
 * too (www/reasons.json in the repository, reasons.json at the top of the plugin zip): one copy for both. Text only:
 * the action, reason and rule always come from the library.
 */
final class Texts
{
    /** @var array<string,mixed>|null */
    private static $data;

    /** The data file: reasons.json in the plugin's directory (the zip), else www/reasons.json of the source tree. */
    public static function file(): string
    {
        $plugin = dirname(__DIR__, 2);
        $inZip = $plugin . '/reasons.json';
        return is_file($inZip) ? $inZip : dirname($plugin, 2) . '/www/reasons.json';
    }

    /** @return array{actions: array<string,array{label: string, summary: string}>, reasons: array<string,array{title: string, text: string|array<string,string>}>, unknown_reason: string} */
    public static function data(): array
    {
        if (self::$data === null) {
            $json = @file_get_contents(self::file());
            $data = is_string($json) ? json_decode($json, true) : null;
            if (!is_array($data) || !is_array($data['actions'] ?? null) || !is_array($data['reasons'] ?? null)) {
                // A damaged install: codes are still shown, in their own words.
                $data = ['actions' => [], 'reasons' => [], 'unknown_reason' => 'Reason code {reason_quoted}.'];
            }
            self::$data = $data;
        }
        return self::$data;
    }

    public static function actionLabel(string $action): string
    {
        return (string) (self::data()['actions'][$action]['label'] ?? strtoupper($action));
    }

    public static function actionSummary(string $action): string
    {
        return (string) (self::data()['actions'][$action]['summary'] ?? '');
    }

    public static function reasonTitle(string $reason): string
    {
        return (string) (self::data()['reasons'][$reason]['title'] ?? $reason);
    }

    /** @return list<string> the reason codes that have a text */
    public static function reasonCodes(): array
    {
        return array_keys(self::data()['reasons']);
    }

    /**
     * One plain sentence (or two) for a decision ['action', 'reason', 'rule', 'client_ip', 'method'], as the tester
     * page's explainReason() says it.
     *
     * @param array<string,mixed> $d
     */
    public static function explain(array $d): string
    {
        $data = self::data();
        $reason = is_string($d['reason'] ?? null) ? $d['reason'] : '';
        $action = is_string($d['action'] ?? null) ? $d['action'] : '';
        $text = $data['reasons'][$reason]['text'] ?? ($data['unknown_reason'] ?? 'Reason code {reason_quoted}.');
        if (is_array($text)) {
            $text = $text[$action] ?? ($text['default'] ?? '');
        }
        $q = static function ($s): string {
            return $s === null ? '' : "\u{201C}" . $s . "\u{201D}";
        };
        $values = [
            '{rule}' => (string) ($d['rule'] ?? 'the partner'),
            '{rule_quoted}' => $q($d['rule'] ?? null),
            '{client_ip}' => (string) ($d['client_ip'] ?? 'the client'),
            '{method}' => (string) ($d['method'] ?? ''),
            '{action}' => $action,
            '{reason_quoted}' => $q($reason),
        ];
        return strtr((string) $text, $values);
    }

    /** For tests: read the file again. */
    public static function reset(): void
    {
        self::$data = null;
    }
}
