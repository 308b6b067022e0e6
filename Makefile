# The command surface. Every target works on a fresh Debian 12 machine with Rust: `make setup` (run by the
# targets that need it) installs what is missing and skips what is present.
.PHONY: serve test setup wasm php wp-plugin php-versions bench clean

# Serve the rule tester page on http://127.0.0.1:8080 with the bundled default policy (Sendcloud preset).
serve:
	bash .ci/serve.sh

# Every test: Rust (engine, corpus, wasm under wasmi, translator), Node, browser, PHP.
test:
	bash .ci/test.sh

# Install what a fresh machine lacks (apt packages, the wasm32 target, wasm-bindgen-cli, npm packages).
setup:
	bash .ci/setup.sh

# pkg/ (crates/js through wasm-bindgen, for JS hosts; crates/compiler-js, the compiler module behind pkg/compiler.js) and
# target/wasm/sendcloud_gate_core*.wasm (crates/core-wasm: the host-neutral core module, full and decision-only).
wasm:
	bash .ci/build-wasm.sh

# Translate the core module to PHP and leave plugin-shim/php ready to use.
php: wasm
	bash .ci/build-php.sh

# The WordPress plugin, installable: dist/sendcloud-gate-<version>.zip (the plugin and the PHP library with generated/).
wp-plugin: php
	bash plugin-shim/wordpress/build-zip.sh dist

# The PHP library's and the translator's PHP tests again under PHP 7.4 (Debian 11) and 8.4 (Debian 13), in chroots.
# Needs root and deb.debian.org; not part of `make test` (see the script).
php-versions: php
	bash .ci/php-versions.sh

# Benchmarks: criterion (Rust), then the Node, PHP and browser scripts where they exist.
bench:
	bash .ci/bench.sh

clean:
	cargo clean
	rm -rf pkg/dist plugin-shim/php/generated artifacts dist
