#!/usr/bin/env bash
# The WordPress plugin's end-to-end tests on a real stack (stack.sh; the test files *.test.mjs beside this script):
# builds the plugin zip as `make wp-plugin` does, then for each phase starts MariaDB and Apache on loopback with
# Debian's WordPress, runs the tests with node's test runner and stops the stack. Phases (SCG_E2E_PHASES, default
# "plain modsecurity"): `plain`, and `modsecurity`, the same stack with Debian's ModSecurity + OWASP CRS loaded
# (the test files see SCG_E2E_MODSECURITY=1). Whatever happens, nothing is left running (EXIT trap).
# Needs plugin-shim/php/generated/ (`make php`, or .ci/build-php.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
export SCG_E2E_DIR="${SCG_E2E_DIR:-/tmp/sendcloud-gate-e2e}"

if [ ! -f "$repo/plugin-shim/php/generated/DecideCore.php" ]; then
    echo "e2e: plugin-shim/php/generated/ is missing: run \`make php\` (or bash .ci/build-php.sh) first" >&2
    exit 1
fi

zipdir="$(mktemp -d)"
cleanup() { bash "$here/stack.sh" stop || true; rm -rf "$zipdir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export SCG_E2E_ZIP="$(bash "$repo/plugin-shim/wordpress/build-zip.sh" "$zipdir" | tail -n 1)"
status=0
for phase in ${SCG_E2E_PHASES:-plain modsecurity}; do
    echo "e2e: phase $phase"
    bash "$here/stack.sh" stop >/dev/null 2>&1 || true     # what an interrupted run may have left
    if [ "$phase" = modsecurity ]; then
        export SCG_E2E_MODSECURITY=1
        bash "$here/stack.sh" start --modsecurity
    else
        export SCG_E2E_MODSECURITY=0
        bash "$here/stack.sh" start
    fi
    node --test --test-concurrency=1 "$here"/*.test.mjs || status=1
    bash "$here/stack.sh" stop
done
exit "$status"
