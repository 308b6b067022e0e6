<?php
// Autoloader for hosts without Composer: require this file, then use SendcloudGate\Gate.
// Maps SendcloudGate\Generated\X to generated/X.php (built by `make php`) and SendcloudGate\X to src/X.php.

spl_autoload_register(static function ($class) {
    if (strncmp($class, 'SendcloudGate\\', 14) !== 0) {
        return;
    }
    $rel = substr($class, 14);
    $file = strncmp($rel, 'Generated\\', 10) === 0
        ? __DIR__ . '/generated/' . substr($rel, 10) . '.php'
        : __DIR__ . '/src/' . strtr($rel, '\\', '/') . '.php';
    if (is_file($file)) {
        require $file;
    }
});
