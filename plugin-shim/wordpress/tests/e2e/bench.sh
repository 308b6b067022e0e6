#!/usr/bin/env bash
# The WordPress plugin's speed on the real stack (run by `make bench` through .ci/bench.sh): starts the e2e stack
# (stack.sh; its own state directory and ports, so that it does not meet a test run), installs the plugin zip and the
# wc/v3 stand-in route as the e2e tests do, puts the TEST STAND-IN measuring must-use plugins around the loader, and
# runs bench.mjs: median time to first byte Off / On / On before WordPress (auto_prepend_file), 1,000 requests each,
# interleaved; the PHP code and memory the loader adds on a request the engine passes. Stops the stack on any exit.
# Needs root (stack.sh installs packages) and plugin-shim/php/generated/ (`make php`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
export SCG_E2E_DIR="${SCG_E2E_DIR:-/tmp/sendcloud-gate-bench}"
export SCG_E2E_PORT="${SCG_E2E_PORT:-18082}"
export SCG_E2E_DB_PORT="${SCG_E2E_DB_PORT:-13308}"
export SCG_E2E_MODSECURITY=0

if [ ! -f "$repo/plugin-shim/php/generated/DecideCore.php" ]; then
    echo "bench: plugin-shim/php/generated/ is missing: run \`make php\` first" >&2
    exit 1
fi
zipdir="$(mktemp -d)"
cleanup() { bash "$here/stack.sh" stop || true; rm -rf "$zipdir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
zip="$(bash "$repo/plugin-shim/wordpress/build-zip.sh" "$zipdir" | tail -n 1)"

bash "$here/stack.sh" stop >/dev/null 2>&1 || true
bash "$here/stack.sh" start
plugins="$SCG_E2E_DIR/wp-content/plugins"
unzip -q -o "$zip" -d "$plugins"
mkdir -p "$plugins/scg-wc-routes-stand-in" "$SCG_E2E_DIR/wp-content/mu-plugins"
cp "$here/stand-ins/wc-routes-stand-in.php" "$plugins/scg-wc-routes-stand-in/scg-wc-routes-stand-in.php"
cp "$here/stand-ins/bench-measure-before.php" "$SCG_E2E_DIR/wp-content/mu-plugins/scg-bench-measure-before.php"
cp "$here/stand-ins/bench-measure-after.php" "$SCG_E2E_DIR/wp-content/mu-plugins/zz-scg-bench-measure-after.php"
chown -R www-data:www-data "$SCG_E2E_DIR/wp-content"
activated="$(HTTP_HOST="${SCG_E2E_HOST:-shop.test}" php -d display_errors=0 "$here/wp-cli-stand-in.php" eval \
    "return [activate_plugin('sendcloud-gate/sendcloud-gate.php'), activate_plugin('scg-wc-routes-stand-in/scg-wc-routes-stand-in.php')];" 2>/dev/null | tail -n 1)"
if [ "$activated" != "[null,null]" ]; then
    echo "bench: the plugin or the wc/v3 stand-in could not be activated: $activated" >&2
    exit 1
fi
echo "bench: PHP $(php -r 'echo PHP_VERSION;') (Apache mod_php, opcache as Debian enables it), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
node "$here/bench.mjs"
