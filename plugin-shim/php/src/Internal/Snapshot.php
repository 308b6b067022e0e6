<?php

namespace SendcloudGate\Internal;

use SendcloudGate\EngineException;
use SendcloudGate\Generated\Constants;
use SendcloudGate\Generated\DecideCore;
use SendcloudGate\PolicyException;

/**
 * A snapshot of the decision module right after loading one compiled policy into a fresh instance (one request
 * buffer allocated): the patches that turn a fresh instance's memory into that one, plus the mutable globals. An
 * instance started from it decides under that policy without loading it (scg_policy_load costs about a millisecond
 * of translated PHP; applying the patches some hundredths of one).
 *
 * The array (plain strings and ints, serialisable; the strings are bytes, not text):
 * ['engine' => Constants::ENGINE (the generated engine it was taken from), 'bytes' => the compiled policy,
 *  'handle' => its handle, 'buf' => the input buffer's address, 'cap' => its capacity, 'size' => the memory's size,
 *  'globals' => [name => int], 'patches' => [[offset, bytes], ...] (sorted, not overlapping), 'check' => crc32b of
 *  all of it].
 *
 * One writer for both uses: the build's generated/default-snapshot.php (tools/build-generated.php), and
 * Gate::snapshot() for a host that stores its own policy's. A snapshot is applied only to the engine it was taken
 * from (its `engine` equal to Constants::ENGINE) and after valid() has checked its shape: one from the database may
 * be from another version or damaged.
 *
 * @internal Not part of the API; Gate is.
 */
final class Snapshot
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
        $s['check'] = self::check($s);
        return $s;
    }

    /**
     * A checksum of everything a snapshot applies (crc32b: against damage, not against someone who can write the
     * compiled policy as well): a patch whose bytes were changed in storage must not reach the engine's memory.
     */
    private static function check(array $s): string
    {
        $parts = [$s['engine'], $s['bytes'], $s['handle'], $s['buf'], $s['cap'], $s['size']];
        foreach ($s['globals'] as $name => $value) {
            $parts[] = $name . '=' . $value;
        }
        foreach ($s['patches'] as $p) {
            $parts[] = $p[0] . ':' . \strlen($p[1]);
            $parts[] = $p[1];
        }
        return \hash('crc32b', \implode("\0", $parts));
    }

    /** Whether $s is a snapshot of the generated engine in use (its `engine` field; the shape is valid()'s). */
    public static function isForThisEngine($s): bool
    {
        return \is_array($s) && ($s['engine'] ?? null) === Constants::ENGINE;
    }

    /**
     * Why $s is not a well-formed snapshot for this engine, or null when it is: every key present with its type,
     * the size a multiple of the 64 KiB page no larger than Runtime::MAX_MEMORY nor smaller than a fresh instance's,
     * every patch inside it, sorted and not overlapping, the globals the ones a fresh instance has, the buffer and
     * the handle plausible, the checksum right. It cannot prove the memory is what the engine left (valid patches of another policy's
     * load would pass), which is why a snapshot is applied only to the engine whose id it carries, and the policy is
     * always its `bytes`.
     */
    public static function problem($s, DecideCore $fresh): ?string
    {
        if (!\is_array($s)) {
            return 'not an array';
        }
        foreach (['engine' => 'string', 'bytes' => 'string', 'handle' => 'integer', 'buf' => 'integer',
            'cap' => 'integer', 'size' => 'integer', 'globals' => 'array', 'patches' => 'array',
            'check' => 'string'] as $k => $type) {
            if (!\array_key_exists($k, $s) || \gettype($s[$k]) !== $type) {
                return 'key ' . $k . ' missing or not of type ' . $type;
            }
        }
        if ($s['engine'] !== Constants::ENGINE) {
            return 'taken from another engine (' . \substr($s['engine'], 0, 40) . ')';
        }
        $size = $s['size'];
        $min = \strlen($fresh->mem);
        if ($size < $min || $size > Runtime::MAX_MEMORY || $size % 65536 !== 0) {
            return 'size ' . $size . ' out of range';
        }
        if ($s['handle'] < 1 || $s['handle'] > 0xFFFFFFFF) {
            return 'handle out of range';
        }
        if ($s['cap'] < 1 || $s['buf'] < 1 || $s['buf'] > $size - $s['cap']) {
            return 'input buffer outside memory';
        }
        $expected = [];
        foreach (\get_object_vars($fresh) as $name => $value) {
            if ($name !== 'mem' && \is_int($value)) {
                $expected[$name] = true;
            }
        }
        if (\count($s['globals']) !== \count($expected)) {
            return 'globals do not match the engine';
        }
        foreach ($s['globals'] as $name => $value) {
            if (!isset($expected[$name]) || !\is_int($value)) {
                return 'globals do not match the engine';
            }
        }
        $at = 0;
        foreach ($s['patches'] as $p) {
            if (!\is_array($p) || \count($p) !== 2 || !isset($p[0], $p[1]) || !\is_int($p[0]) || !\is_string($p[1])
                || $p[1] === '' || $p[0] < $at || $p[0] > $size - \strlen($p[1])) {
                return 'a patch is malformed, out of order, overlapping or outside memory';
            }
            $at = $p[0] + \strlen($p[1]);
        }
        if (!\hash_equals(self::check($s), $s['check'])) {
            return 'checksum does not match (damaged)';
        }
        return null;
    }

    /**
     * Turns a fresh instance into the snapshot's (no checks: the build's own snapshot is trusted, others pass
     * problem() first).
     */
    public static function apply(DecideCore $core, array $s): Instance
    {
        $mem = $core->mem;
        if (\strlen($mem) < $s['size']) {
            $mem .= \str_repeat("\0", $s['size'] - \strlen($mem));
        }
        $pieces = [];
        $at = 0;
        foreach ($s['patches'] as $p) {
            $pieces[] = \substr($mem, $at, $p[0] - $at);
            $pieces[] = $p[1];
            $at = $p[0] + \strlen($p[1]);
        }
        $pieces[] = \substr($mem, $at);
        $core->mem = \implode('', $pieces);
        foreach ($s['globals'] as $name => $value) {
            $core->$name = $value;
        }
        return new Instance($core, [$s['bytes'] => $s['handle']], $s['buf'], $s['cap']);
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
