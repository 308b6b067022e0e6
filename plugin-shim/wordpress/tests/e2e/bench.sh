#!/usr/bin/env bash
# The WordPress plugin's speed on the real stack (run by `make bench` through .ci/bench.sh). Starts the e2e stack
# (stack.sh; its own state directory and ports, so that it does not meet a test run) with three WordPress sites on
# the same Apache, document root, wp-content, plugin files and database, each with its own tables and settings
# (stack.sh's SCG_E2E_SITES, chosen per request by the header X-SCG-Site):
#
#   off      the main site: the plugin active, the gate Off
#   on  (b)  the gate On, from the must-use loader
#   pre (c)  the gate On before WordPress: the prepend file the plugin writes (Prepend::enable()), put in force for
#            this site's requests only by an <If> on the header in the Apache config (the plugin's own .htaccess
#            lines would apply to every site, so enable() writes them to an unused directory instead)
#
# so that bench.mjs can interleave the variants request by request on one keep-alive connection, with nothing
# switched between requests. Then it installs the plugin zip, the wc/v3 stand-in route and the TEST STAND-IN
# measuring must-use plugins around the loader, pins Apache and MariaDB to the last CPU and the client to the first
# (SCG_BENCH_PIN=0: no pinning; only with 2 CPUs or more), and runs bench.mjs (which first waits for a quiet
# machine). Stops the stack on any exit. Needs root (stack.sh installs packages) and plugin-shim/php/generated/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
export SCG_E2E_DIR="${SCG_E2E_DIR:-/tmp/sendcloud-gate-bench}"
export SCG_E2E_PORT="${SCG_E2E_PORT:-18082}"
export SCG_E2E_DB_PORT="${SCG_E2E_DB_PORT:-13308}"
export SCG_E2E_HOST="${SCG_E2E_HOST:-shop.test}"
export SCG_E2E_MODSECURITY=0
export SCG_E2E_SITES="b c"
STATE="$SCG_E2E_DIR"

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
plugins="$STATE/wp-content/plugins"
unzip -q -o "$zip" -d "$plugins"
mkdir -p "$plugins/scg-wc-routes-stand-in" "$STATE/wp-content/mu-plugins" "$STATE/bench-unused-lines"
cp "$here/stand-ins/wc-routes-stand-in.php" "$plugins/scg-wc-routes-stand-in/scg-wc-routes-stand-in.php"
cp "$here/stand-ins/bench-measure-before.php" "$STATE/wp-content/mu-plugins/scg-bench-measure-before.php"
cp "$here/stand-ins/bench-measure-after.php" "$STATE/wp-content/mu-plugins/zz-scg-bench-measure-after.php"
chown -R www-data:www-data "$STATE/wp-content" "$STATE/bench-unused-lines"

# wp SITE CODE: PHP run with the site loaded (the wp-cli stand-in); prints json_encode() of what CODE returns.
wp() { HTTP_HOST="$SCG_E2E_HOST" SCG_E2E_SITE="$1" php -d display_errors=0 "$here/wp-cli-stand-in.php" eval "$2" 2>/dev/null | tail -n 1; }
settings() {   # the e2e tests' settings: the loopback proxy trusted, impersonators blocked; mode $1
    printf "return \\\\SendcloudGate\\\\WordPress\\\\Settings::save(['mode' => '%s', 'proxy' => 'custom', 'proxy_ranges' => '127.0.0.1/32', 'proxy_header' => 'x-forwarded-for', 'impersonation' => 'block'])['ok'];" "$1"
}
activate="return [activate_plugin('sendcloud-gate/sendcloud-gate.php'), activate_plugin('scg-wc-routes-stand-in/scg-wc-routes-stand-in.php')];"
for site in '' b c; do
    r="$(wp "$site" "$activate")"
    [ "$r" = "[null,null]" ] || { echo "bench: site '${site:-main}': the plugin or the wc/v3 stand-in could not be activated: $r" >&2; exit 1; }
done
[ "$(wp '' "$(settings off)")" = true ] && [ "$(wp b "$(settings on)")" = true ] && [ "$(wp c "$(settings on)")" = true ] \
    || { echo "bench: the settings could not be saved" >&2; exit 1; }
r="$(wp c "return \\SendcloudGate\\WordPress\\Prepend::enable([], 'apache2handler', '$STATE/bench-unused-lines', '$STATE/prepend.php')['ok'];")"
[ "$r" = true ] || { echo "bench: Prepend::enable() failed on site c: $r" >&2; exit 1; }
prepend_file="$STATE/wp-content/sendcloud-gate-prepend.php"
[ -f "$prepend_file" ] || { echo "bench: no $prepend_file" >&2; exit 1; }

# The prepend file in force for site c's requests only; one keep-alive connection serves the whole run.
cat > "$STATE/apache/extra-bench.conf" <<EOF
# Written by bench.sh: site c (X-SCG-Site: c) runs the gate's prepend file, as the plugin's .htaccess lines would.
<If "%{HTTP:X-SCG-Site} == 'c'">
php_value auto_prepend_file "$prepend_file"
</If>
MaxKeepAliveRequests 0
KeepAliveTimeout 60
EOF
client=()
if [ "${SCG_BENCH_PIN:-1}" != 0 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    last=$(( $(nproc) - 1 ))
    # Apache's parent (its children, forked at the graceful restart below, inherit it) and every MariaDB thread.
    taskset -a -cp "$last" "$(cat "$STATE/apache/apache2.pid")" >/dev/null
    taskset -a -cp "$last" "$(cat "$STATE/mysql/mysqld.pid")" >/dev/null
    client=(taskset -c 0)
    export SCG_BENCH_PINNED="server (Apache, MariaDB) on CPU $last, client on CPU 0"
else
    export SCG_BENCH_PINNED="no"
fi
apache2 -f "$STATE/apache/apache2.conf" -k graceful
sleep 1
echo "bench: PHP $(php -r 'echo PHP_VERSION;') (Apache mod_php prefork, opcache as Debian enables it), $(nproc) cores, pinned: $SCG_BENCH_PINNED"
"${client[@]}" node "$here/bench.mjs"
