#!/usr/bin/env bash
# `make test`: every test of every host, against the one conformance corpus (tests/corpus/).
# Installs what a fresh machine lacks first (.ci/setup.sh), builds the wasm modules and the PHP engine, then runs
# each suite; any failure stops the run with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

stage() { printf '\n==> %s\n' "$*"; }

stage "setup: install what is missing"
bash .ci/setup.sh

stage "rust: formatting (rustfmt --check over the workspace)"
cargo fmt --all -- --check

stage "build: wasm (core module, decision-only module, pkg/) and the PHP engine"
bash .ci/build-wasm.sh
bash .ci/build-php.sh

stage "rust: engine unit, conformance, property and hostile-input tests, wasm core module under wasmi; CLI tests"
cargo test --quiet -p sendcloud-gate -p sendcloud-gate-cli
# The host crates that only run as wasm32 build natively too (no tests of their own: tests/wasm_core.rs and the
# node suites test what they build).
cargo build --quiet -p sendcloud-gate-core -p sendcloud-gate-js -p sendcloud-gate-compiler-js --features sendcloud-gate-core/compile

stage "rust: wasm-to-PHP translator (spec test suite, differential fuzzing against wasmi)"
cargo test --quiet --release -p wasm2php

stage "wasm: size limits"
bash .ci/wasm-size.sh

stage "node: the corpus and the API through pkg/ (the compiler module against the native CLI's compile and export)"
cargo build --quiet --release -p sendcloud-gate-cli
SCG_REQUIRE_CLI=1 node --test pkg/test/

stage "browser: the tester page in headless Chromium"
node --test www/test/

stage "php: the corpus and the \$_SERVER mapping through the PHP library"
phpunit -c plugin-shim/php/phpunit.xml.dist

stage "php: the WordPress plugin's classes (PHPUnit, a WordPress test stand-in) and its zip"
phpunit -c plugin-shim/wordpress/phpunit.xml.dist

stage "wordpress: end to end on Apache, MariaDB and Debian's WordPress"
bash plugin-shim/wordpress/tests/e2e/run.sh

stage "export: the exported rules on Apache + ModSecurity + CRS, nginx, .htaccess"
bash tests/export-servers.sh

stage "all suites passed"
