<?php
// Autoloader for hosts without Composer: require this file, then use SendcloudGate\Gate.
// Maps SendcloudGate\Generated\X to generated/X.php (built by `make php`; or to X.php in the directory the constant
// SENDCLOUD_GATE_GENERATED_DIR names, when it is defined) and SendcloudGate\X to src/X.php.

spl_autoload_register(static function ($class) {
    if (strncmp($class, 'SendcloudGate\\', 14) !== 0) {
        return;
    }
    $rel = substr($class, 14);
    $file = strncmp($rel, 'Generated\\', 10) === 0
        ? (defined('SENDCLOUD_GATE_GENERATED_DIR')
            ? rtrim((string) constant('SENDCLOUD_GATE_GENERATED_DIR'), '/\\') . '/'
            : __DIR__ . '/generated/') . substr($rel, 10) . '.php'
        : __DIR__ . '/src/' . strtr($rel, '\\', '/') . '.php';
    if (is_file($file)) {
        require $file;
    }
});
