<?php
// Loads the sendcloud-gate PHP library (lib/ in the zip; ../php in the source tree) and maps
// SendcloudGate\WordPress\X to src/X.php.

if (!class_exists(\SendcloudGate\Gate::class, false)) {
    $sendcloud_gate_lib = is_file(__DIR__ . '/lib/autoload.php') ? __DIR__ . '/lib/autoload.php' : __DIR__ . '/../php/autoload.php';
    if (is_file($sendcloud_gate_lib)) {
        require_once $sendcloud_gate_lib;
    }
    unset($sendcloud_gate_lib);
}

spl_autoload_register(static function ($class) {
    if (strncmp($class, 'SendcloudGate\\WordPress\\', 24) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . strtr(substr($class, 24), '\\', '/') . '.php';
    if (is_file($file)) {
        require $file;
    }
});
