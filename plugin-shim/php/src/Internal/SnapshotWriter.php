<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\Constants;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\PolicyException;

/**
 * Takes snapshots (Snapshot describes them) and writes them as PHP: when a policy is saved and at build time, never
 * on a request, so kept apart from Snapshot, which a request loads.
 *
 * @internal Not part of the API; Gate is.
 */
final class SnapshotWriter
{
    /** The input buffer a snapshot's instance starts with (Instance grows it when a larger input comes). */
    const BUF_CAP = 4096;

    /**
     * The snapshot of a fresh decision instance with $bytes loaded.
     *
     * @throws PolicyException when the bytes are not a compiled policy
     * @throws EngineException when the engine cannot run
     */
    public static function make(string $bytes): array
    {
        Runtime::check64();
        Runtime::requireGenerated(DecideCore::class, 'DecideCore.php');
        $core = new DecideCore();
        $base = $core->mem;
        $buf = $core->scg_alloc(self::BUF_CAP);
        $len = \strlen($bytes);
        $tmp = $core->scg_alloc(\max($len, 1));
        if ($buf === 0 || $tmp === 0) {
            throw new EngineException('sendcloud-gate: the engine could not allocate memory for a snapshot');
        }
        $core->writeMemory($tmp, $bytes);
        $handle = $core->scg_policy_load($tmp, $len);
        if ($handle === 0) {
            throw new PolicyException((new Instance($core))->lastError()['message']);
        }
        $core->scg_free($tmp, \max($len, 1));
        $mem = $core->mem;
        $globals = [];
        foreach (\get_object_vars($core) as $name => $value) {
            if ($name !== 'mem' && \is_int($value)) {
                $globals[$name] = $value;
            }
        }

        $patches = [];
        $n = \strlen($mem);
        $base = \str_pad($base, $n, "\0"); // memory grown by the load reads as zeros before the patches
        $i = 0;
        while ($i < $n) {
            if ($mem[$i] === $base[$i]) {
                $i++;
                continue;
            }
            // A run of differences; gaps of fewer than 16 equal bytes are kept inside the run.
            $start = $i;
            $end = $i + 1;
            $j = $end;
            while ($j < $n && $j - $end < 16) {
                if ($mem[$j] !== $base[$j]) {
                    $end = $j + 1;
                }
                $j++;
            }
            $patches[] = [$start, \substr($mem, $start, $end - $start)];
            $i = $end;
        }
        $s = [
            'engine' => Constants::ENGINE,
            'bytes' => $bytes,
            'handle' => $handle,
            'buf' => $buf,
            'cap' => self::BUF_CAP,
            'size' => $n,
            'globals' => $globals,
            'patches' => $patches,
        ];
        $s['check'] = Snapshot::checksum($s);
        return $s;
    }

    /**
     * A PHP expression for a snapshot (or any array of strings and ints): what generated/default-snapshot.php
     * returns, and what a host may write into a PHP file of its own so that opcache keeps it.
     */
    public static function toPhp(array $s): string
    {
        $php = '[';
        foreach ($s as $k => $v) {
            $php .= (\is_int($k) ? $k : self::literal((string) $k)) . ' => '
                . (\is_array($v) ? self::toPhp($v) : (\is_int($v) ? (string) $v : self::literal((string) $v))) . ",\n";
        }
        return $php . ']';
    }

    /**
     * A double-quoted PHP literal for arbitrary bytes: printable ASCII as it is, anything else as an octal escape
     * with as few digits as the next character allows (the snapshot is mostly zeros and small numbers, parsed on each
     * request without opcache).
     */
    public static function literal(string $b): string
    {
        $out = '"';
        $n = \strlen($b);
        for ($i = 0; $i < $n; $i++) {
            $c = $b[$i];
            $o = \ord($c);
            if ($c === '"' || $c === '\\' || $c === '$') {
                $out .= '\\' . $c;
            } elseif ($c === '{') {
                $out .= '\\173';
            } elseif ($o >= 0x20 && $o <= 0x7e) {
                $out .= $c;
            } else {
                $next = $i + 1 < $n ? $b[$i + 1] : '';
                $out .= '\\' . ($next >= '0' && $next <= '7' ? \sprintf('%03o', $o) : \decoct($o));
            }
        }
        return $out . '"';
    }
}
