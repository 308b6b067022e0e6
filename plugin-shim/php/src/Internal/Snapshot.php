<?php

namespace SendcloudGate\Internal;

use SendcloudGate\Generated\Constants;
use SendcloudGate\Generated\DecideCore;

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
 * Read on every request that starts from one, so this class holds only what applying needs; SnapshotWriter takes
 * them, the one writer for both uses: the build's generated/default-snapshot.php (tools/build-generated.php), and
 * Gate::snapshot() for a host that stores its own policy's. A snapshot is applied only to the engine it was taken
 * from (its `engine` equal to Constants::ENGINE) and after problem() has checked its shape: one from the database may
 * be from another version or damaged.
 *
 * @internal Not part of the API; Gate is.
 */
final class Snapshot
{
    /**
     * A checksum of everything a snapshot applies (crc32b: against damage, not against someone who can write the
     * compiled policy as well): a patch whose bytes were changed in storage must not reach the engine's memory.
     */
    public static function checksum(array $s): string
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
        if (!\hash_equals(self::checksum($s), $s['check'])) {
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
}
