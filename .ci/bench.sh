#!/usr/bin/env bash
# `make bench`: the speed figures quoted in the README, for every host that exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash .ci/setup.sh

echo "==> rust: criterion (decide, compile, hostile input)"
cargo bench -p sendcloud-gate --bench decide

echo "==> rust: instructions per decision (callgrind; skipped without valgrind)"
cargo bench -p sendcloud-gate --bench icount

echo "==> cli: check --requests on 100,000 request lines"
bash .ci/bench-cli.sh

echo "==> cli: replay on 1,000,000 combined-format access-log lines (with the check --requests anchor again)"
bash .ci/bench-replay.sh

bash .ci/build-wasm.sh
echo "==> node: pkg/ decide and compile"
node pkg/bench/decide.mjs

echo "==> php: decide with and without opcache"
bash .ci/build-php.sh
php -d opcache.enable_cli=1 -d opcache.jit=off plugin-shim/php/bench/bench.php
echo "==> php: statements the engine executes per decide()"
php plugin-shim/php/bench/statements.php
echo "==> php: Gate::fromPolicyJson(), default and 1,000-range policies, opcache off / cold / warm (instructions: valgrind)"
php plugin-shim/php/bench/compile.php

echo "==> browser: the tester page"
node .ci/bench-browser.mjs

echo "==> wordpress: time to first byte and code loaded, on the real stack (Apache + mod_php, MariaDB)"
if [ "$(id -u)" = 0 ] && command -v node >/dev/null && command -v apache2 >/dev/null && command -v mariadbd >/dev/null; then
    bash plugin-shim/wordpress/tests/e2e/bench.sh
else
    echo "skipped: needs root and the e2e stack's packages (plugin-shim/wordpress/tests/e2e/stack.sh start installs them)"
fi
