<?php
// Test bootstrap: the library through its own autoloader (as a shared host uses it), the corpus, and the native
// CLI's decisions for every corpus request (built with cargo if needed), so the tests compare PHP with both.

declare(strict_types=1);

namespace SendcloudGate\Tests;

require __DIR__ . '/../autoload.php';

const REPO = __DIR__ . '/../../..';

if (!is_file(__DIR__ . '/../generated/DecideCore.php')) {
    fwrite(STDERR, "plugin-shim/php/generated/ is missing: run `make wasm php` (or .ci/build-php.sh) first\n");
    exit(1);
}

final class Corpus
{
    /** @var array<string,mixed>|null */
    private static $native;

    /** @return list<mixed> the lines of a corpus file, decoded */
    public static function lines(string $file, bool $assoc = true): array
    {
        $out = [];
        foreach (file(REPO . '/tests/corpus/' . $file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
            $out[] = json_decode($line, $assoc, 512, JSON_THROW_ON_ERROR);
        }
        return $out;
    }

    public static function policyFile(string $stem): string
    {
        return REPO . '/tests/corpus/policies/' . $stem . '.json';
    }

    /**
     * The native CLI, built (release) if absent or stale; null when cargo is not available. SCG_CLI names a ready
     * binary instead (.ci/php-versions.sh runs this suite under other PHP versions in chroots without cargo).
     */
    public static function cli(): ?string
    {
        static $cli = false;
        if ($cli !== false) {
            return $cli;
        }
        $given = getenv('SCG_CLI');
        if (is_string($given) && $given !== '') {
            if (!is_file($given)) {
                throw new \RuntimeException("SCG_CLI=$given is not a file");
            }
            return $cli = $given;
        }
        $bin = REPO . '/target/release/sendcloud-gate';
        exec('cd ' . escapeshellarg(REPO) . ' && cargo build --quiet --release --bin sendcloud-gate 2>&1', $out, $rc);
        if ($rc !== 0) {
            fwrite(STDERR, "bootstrap: cargo build of the native CLI failed:\n" . implode("\n", $out) . "\n");
        }
        return $cli = is_file($bin) ? realpath($bin) : null;
    }

    /**
     * The native CLI's answers (`check --json` or `explain --json`) for the requests of every case of $file,
     * keyed by case id.
     *
     * @return array<string,array<string,mixed>>
     */
    public static function native(string $file, bool $explain = false): array
    {
        $key = $file . ($explain ? '#explain' : '');
        if (isset(self::$native[$key])) {
            return self::$native[$key];
        }
        $cli = self::cli();
        if ($cli === null) {
            return self::$native[$key] = [];
        }
        $byPolicy = [];
        foreach (file(REPO . '/tests/corpus/' . $file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
            $case = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
            $case['raw'] = json_decode($line, false, 512, JSON_THROW_ON_ERROR);
            $byPolicy[$case['policy']][] = $case;
        }
        $answers = [];
        foreach ($byPolicy as $policy => $cases) {
            $input = '';
            foreach ($cases as $c) {
                // Objects stay objects (an empty `headers` must not become a list).
                $input .= json_encode($c['raw']->request, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n";
            }
            // The requests go through a file: a pipe both ways can deadlock once the answers fill the pipe.
            $tmp = tempnam(sys_get_temp_dir(), 'scg');
            file_put_contents($tmp, $input);
            $cmd = escapeshellarg($cli) . ($explain ? ' explain' : ' check') . ' --json'
                . ($policy === 'default' ? '' : ' --policy ' . escapeshellarg(self::policyFile($policy)))
                . ' --requests ' . escapeshellarg($tmp);
            $lines = [];
            exec($cmd, $lines, $rc);
            unlink($tmp);
            if ($rc !== 0) {
                throw new \RuntimeException("native CLI failed ($rc) for policy $policy: " . implode("\n", $lines));
            }
            if (count($lines) !== count($cases)) {
                throw new \RuntimeException("native CLI gave " . count($lines) . " lines for " . count($cases) . " requests");
            }
            foreach ($cases as $i => $c) {
                $answers[$c['id']] = json_decode($lines[$i], true, 512, JSON_THROW_ON_ERROR);
            }
        }
        return self::$native[$key] = $answers;
    }
}
