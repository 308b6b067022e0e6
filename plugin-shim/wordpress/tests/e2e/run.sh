#!/usr/bin/env bash
# The WordPress plugin's end-to-end tests on a real stack (see stack.sh and e2e.test.mjs): builds the plugin zip as
# `make wp-plugin` does, starts MariaDB and Apache on loopback with Debian's WordPress, runs the tests with node's
# test runner, and stops everything whatever happens (EXIT trap): no server is left running.
# Needs plugin-shim/php/generated/ (`make php`, or .ci/build-php.sh). SCG_E2E_MODSECURITY=1 also loads ModSecurity.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
export SCG_E2E_DIR="${SCG_E2E_DIR:-/tmp/sendcloud-gate-e2e}"

if [ ! -f "$repo/plugin-shim/php/generated/DecideCore.php" ]; then
    echo "e2e: plugin-shim/php/generated/ is missing: run \`make php\` (or bash .ci/build-php.sh) first" >&2
    exit 1
fi

cleanup() { bash "$here/stack.sh" stop || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$here/stack.sh" stop >/dev/null 2>&1 || true     # what an interrupted run may have left
bash "$here/stack.sh" start
zipdir="$(mktemp -d)"
trap 'rm -rf "$zipdir"; cleanup' EXIT
export SCG_E2E_ZIP="$(bash "$repo/plugin-shim/wordpress/build-zip.sh" "$zipdir" | tail -n 1)"
node --test --test-concurrency=1 "$here/"
