#!/usr/bin/env bash
# Installs what a fresh machine lacks, and skips what is present. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' crates/js/Cargo.toml)

need_apt=()
command -v php >/dev/null || need_apt+=(php-cli)
php -m 2>/dev/null | grep -qi '^mbstring$' || need_apt+=(php-mbstring)
php -m 2>/dev/null | grep -qi '^dom$' || need_apt+=(php-xml)
command -v phpunit >/dev/null || need_apt+=(phpunit)
# php-cgi: the CGI SAPI, which reads .user.ini as PHP-FPM does (the plugin's auto_prepend_file mode, PrependTest)
command -v php-cgi >/dev/null || need_apt+=(php-cgi)
# php-fpm and nginx: the plugin's auto_prepend_file mode under a real PHP-FPM behind nginx (the .user.ini kind,
# plugin-shim/wordpress/tests/e2e/fpm.test.mjs, which starts both on loopback itself)
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need_apt+=(php-fpm)
command -v nginx >/dev/null || need_apt+=(nginx)
command -v wasm-opt >/dev/null || need_apt+=(binaryen)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v zip >/dev/null || need_apt+=(zip)
command -v unzip >/dev/null || need_apt+=(unzip)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No system service may start while packages install (php-fpm, nginx: the tests start their own, on loopback): a
  # policy-rc.d that refuses, removed afterwards if it was ours.
  ours_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && ours_policy=1
  fi
  rc=0
  { apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null; } || rc=$?
  [ "$ours_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || exit "$rc"
fi

rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 7 minutes)"
  # --locked first, as it should be; the registry here lacks one of its pinned dependencies (webpki-roots
  # 1.0.11), so fall back to resolving afresh at the same wasm-bindgen version.
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ -f package.json ] && [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
