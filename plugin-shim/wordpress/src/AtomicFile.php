<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress;

/**
 * Writes the files the plugin puts outside its own directory (the must-use loader, the prepend file and the server's
 * lines, the .htninja block) so that a request never reads half of one: the text goes to a temporary file beside the
 * target, which is then renamed over it (atomic on one file system). PHP reads these files on every request, and a
 * truncated auto_prepend_file or .htaccess takes the whole site down.
 */
final class AtomicFile
{
    /**
     * Writes $text to $path. An existing file keeps its permissions; a new one gets $mode when given (else the
     * umask's). False, with nothing changed, when the directory is not writable.
     */
    public static function write(string $path, string $text, ?int $mode = null): bool
    {
        $tmp = $path . '.' . getmypid() . '.tmp';
        if (@file_put_contents($tmp, $text) === false) {
            return false;
        }
        if (is_file($path)) {
            @chmod($tmp, fileperms($path) & 0777);
        } elseif ($mode !== null) {
            @chmod($tmp, $mode);
        }
        if (!@rename($tmp, $path)) {
            @unlink($tmp);
            return false;
        }
        return true;
    }
}
