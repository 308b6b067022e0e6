#!/usr/bin/env bash
# The real-WordPress test stack, on loopback only: MariaDB and Apache 2.4 with mod_php, each with its own
# configuration and data under a state directory (default /tmp/sendcloud-gate-e2e), and Debian's `wordpress`
# package (/usr/share/wordpress) installed as the site http://shop.test:18080/ into a database this script creates.
#
#   stack.sh start [--modsecurity]   install missing packages, start MariaDB and Apache, install WordPress
#   stack.sh stop                    stop both servers and remove the state directory and the site's config file
#   stack.sh url                     print the site's URL (clients connect to 127.0.0.1 and send Host: shop.test:PORT)
#   stack.sh status                  exit 0 when both servers answer
#
# --modsecurity (or SCG_E2E_MODSECURITY=1) loads Debian's ModSecurity 2 with the OWASP Core Rule Set, engine On.
# Nothing listens on anything but 127.0.0.1; no system service is started (package installation runs with a
# policy-rc.d that refuses to start services). The only file outside the state directory is the site's config,
# /etc/wordpress/config-scg-e2e-PORT.php (Debian's wp-config.php reads it from there), removed by `stop`.
# Environment: SCG_E2E_DIR, SCG_E2E_HOST (shop.test), SCG_E2E_PORT (18080), SCG_E2E_DB_PORT (13306): a second stack
# can run beside the first with other values. SCG_E2E_SITES (e.g. "b c", used by bench.sh): more WordPress sites on
# the same server, document root, wp-content and database, each with its own tables (prefix wp<site>_) and config
# file (/etc/wordpress/config-scg-e2e-PORT-<site>.php), chosen by the request header `X-SCG-Site: <site>` (requests
# without it are the main site); the wp-cli stand-in takes SCG_E2E_SITE=<site>. The Apache config ends with
# `IncludeOptional $STATE/apache/extra-*.conf`, for a caller's own lines (then `apache2 -k graceful`).
set -euo pipefail

STATE="${SCG_E2E_DIR:-/tmp/sendcloud-gate-e2e}"
HOST="${SCG_E2E_HOST:-shop.test}"
PORT="${SCG_E2E_PORT:-18080}"
DB_PORT="${SCG_E2E_DB_PORT:-13306}"
DB_NAME=scg_wp
DB_USER=scg
DB_PASS=scg-e2e-password
WP=/usr/share/wordpress
# Debian's wp-config.php reads /etc/wordpress/config-$WORDPRESS_CONFIG.php when the server sets WORDPRESS_CONFIG:
# named by port, so that two stacks (other ports) can run side by side with the same host name.
SITE_NAME="scg-e2e-$PORT"
SITE_CONFIG="/etc/wordpress/config-$SITE_NAME.php"
SITES="${SCG_E2E_SITES:-}"
case "$SITES" in *[!a-z0-9\ ]*) echo "stack: SCG_E2E_SITES takes lowercase letters and digits" >&2; exit 2 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"

log() { printf 'stack: %s\n' "$*" >&2; }

install_packages() {
    local want=(apache2 libapache2-mod-php mariadb-server mariadb-client wordpress php-mysql php-cli curl unzip)
    if [ "${SCG_E2E_MODSECURITY:-0}" = 1 ]; then want+=(libapache2-mod-security2 modsecurity-crs); fi
    local missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    # No service may start while packages install: a policy-rc.d that refuses, removed afterwards if it was ours.
    local ours=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && ours=1
    fi
    local rc=0
    {
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
            apt-get update -qq >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        fi
    } || rc=$?
    [ "$ours" = 1 ] && rm -f /usr/sbin/policy-rc.d
    # A package's postinst may still have started a server where policy-rc.d was not honoured: stop it.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl stop apache2 mariadb >/dev/null 2>&1 || true
    fi
    return "$rc"
}

start_mariadb() {
    local d="$STATE/mysql"
    mkdir -p "$d"
    if [ ! -d "$d/data/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$d/data" --user=root --skip-test-db \
            --auth-root-authentication-method=socket >"$d/install.log" 2>&1
    fi
    setsid mariadbd --no-defaults --datadir="$d/data" --socket="$d/mysqld.sock" --port="$DB_PORT" \
        --bind-address=127.0.0.1 --pid-file="$d/mysqld.pid" --user=root --skip-log-bin \
        --innodb-buffer-pool-size=64M --log-error="$d/error.log" </dev/null >/dev/null 2>&1 &
    local i
    for i in $(seq 1 100); do
        mariadb-admin --no-defaults --socket="$d/mysqld.sock" -uroot ping >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    log "MariaDB did not start:"; tail -n 20 "$d/error.log" >&2 || true
    return 1
}

mysql_root() { mariadb --no-defaults --socket="$STATE/mysql/mysqld.sock" -uroot "$@"; }

create_database() {
    mysql_root -e "CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4;
        CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
        GRANT ALL PRIVILEGES ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1'; FLUSH PRIVILEGES;"
}

write_site() {
    # wp-content of its own (plugins, uploads, mu-plugins), the theme Debian ships linked in.
    mkdir -p "$STATE/wp-content/plugins" "$STATE/wp-content/themes" "$STATE/wp-content/uploads" "$STATE/docroot"
    ln -sfn "$WP/wp-content/themes/twentytwentythree" "$STATE/wp-content/themes/twentytwentythree"
    # The document root: Debian's WordPress files linked in (so .htninja and .htaccess live in the state directory).
    local f
    for f in "$WP"/*; do
        case "$(basename "$f")" in wp-content) continue ;; esac
        ln -sfn "$f" "$STATE/docroot/$(basename "$f")"
    done
    cat > "$STATE/docroot/.htaccess" <<'EOF'
# BEGIN WordPress
RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
RewriteBase /
RewriteRule ^index\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /index.php [L]
# END WordPress
EOF
    # Runs before WordPress on every request: includes the NinjaFirewall stand-in when the tests switch it on.
    cp "$here/stand-ins/ninjafirewall-firewall.php" "$STATE/ninjafirewall-firewall.php"
    # It also notes the request's X-SCG-Mark header (sent by prepend.test.mjs) in prepend-chain.log: the gate's
    # auto_prepend_file mode chains this file, and the test sees which requests reached it. php_value (not
    # php_admin_value) below, so that an .htaccess can set another auto_prepend_file, as on a shared host.
    cat > "$STATE/prepend.php" <<EOF
<?php
if (isset(\$_SERVER['HTTP_X_SCG_MARK']) && is_string(\$_SERVER['HTTP_X_SCG_MARK'])) {
    @file_put_contents('$STATE/prepend-chain.log', \$_SERVER['HTTP_X_SCG_MARK'] . "\\n", FILE_APPEND);
}
if (is_file('$STATE/ninjafirewall-stand-in.on')) {
    include '$STATE/ninjafirewall-firewall.php';
}
EOF
    : > "$STATE/php-error.log"
    : > "$STATE/prepend-chain.log"
    chown -R www-data:www-data "$STATE/wp-content" "$STATE/php-error.log" "$STATE/prepend-chain.log"
    # The docroot is the web server's: the gate's auto_prepend_file mode writes its lines into .htaccess there.
    chown www-data:www-data "$STATE/docroot" "$STATE/docroot/.htaccess"
    chmod 755 "$STATE" "$STATE/docroot"
    cat > "$SITE_CONFIG" <<EOF
<?php
// Written by sendcloud-gate's tests/e2e/stack.sh; removed by \`stack.sh stop\`.
define('DB_NAME', '$DB_NAME');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASS');
define('DB_HOST', '127.0.0.1:$DB_PORT');
define('WP_HOME', 'http://$HOST:$PORT');
define('WP_SITEURL', 'http://$HOST:$PORT');
define('WP_CONTENT_DIR', '$STATE/wp-content');
define('WP_CONTENT_URL', 'http://$HOST:$PORT/wp-content');
define('FS_METHOD', 'direct');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', true);
define('WP_DEBUG_DISPLAY', false);
define('WP_DEBUG_LOG', false);
define('AUTH_KEY', 'e2e-auth'); define('SECURE_AUTH_KEY', 'e2e-secure'); define('LOGGED_IN_KEY', 'e2e-logged');
define('NONCE_KEY', 'e2e-nonce'); define('AUTH_SALT', 'e2e-as'); define('SECURE_AUTH_SALT', 'e2e-sas');
define('LOGGED_IN_SALT', 'e2e-lis'); define('NONCE_SALT', 'e2e-ns');
EOF
    chmod 644 "$SITE_CONFIG"
    local site
    for site in $SITES; do
        sed -e "s#^// Written by#\$table_prefix = 'wp${site}_';\n// Written by#" "$SITE_CONFIG" > "/etc/wordpress/config-$SITE_NAME-$site.php"
        chmod 644 "/etc/wordpress/config-$SITE_NAME-$site.php"
    done
}

write_apache_config() {
    local a="$STATE/apache" m=/usr/lib/apache2/modules
    mkdir -p "$a"
    local php_so
    php_so="$(ls "$m"/libphp*.so | head -n 1)"
    {
        cat <<EOF
# Written by sendcloud-gate's tests/e2e/stack.sh: one site on 127.0.0.1:$PORT, everything under $STATE.
ServerRoot /etc/apache2
PidFile $a/apache2.pid
Mutex file:$a default
DefaultRuntimeDir $a
Listen 127.0.0.1:$PORT
ServerName $HOST
User www-data
Group www-data
Timeout 30
KeepAlive On
ErrorLog $a/error.log
LogLevel warn
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule dir_module $m/mod_dir.so
LoadModule mime_module $m/mod_mime.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule alias_module $m/mod_alias.so
LoadModule env_module $m/mod_env.so
LoadModule setenvif_module $m/mod_setenvif.so
LoadModule php_module $php_so
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 8
TypesConfig /etc/mime.types
LogFormat "%h %{X-Forwarded-For}i \"%r\" %>s %b" e2e
CustomLog $a/access.log e2e
DirectoryIndex index.php index.html
<FilesMatch "\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot $STATE/docroot
<Directory $STATE/docroot>
    Options FollowSymLinks
    AllowOverride All
    Require all granted
</Directory>
<Directory $WP>
    Options FollowSymLinks
    Require all granted
</Directory>
Alias /wp-content $STATE/wp-content
<Directory $STATE/wp-content>
    Options FollowSymLinks
    Require all granted
</Directory>
php_admin_value error_log $STATE/php-error.log
php_admin_flag log_errors on
php_admin_value opcache.revalidate_freq 0
php_admin_flag display_errors off
php_admin_value error_reporting 32767
php_value auto_prepend_file $STATE/prepend.php
EOF
        if [ -z "$SITES" ]; then
            echo "SetEnv WORDPRESS_CONFIG $SITE_NAME"
        else
            # The main site unless the request names another (SetEnvIf: in order, the last match wins).
            echo "SetEnvIf Request_URI ^ WORDPRESS_CONFIG=$SITE_NAME"
            local site
            for site in $SITES; do echo "SetEnvIf X-SCG-Site ^$site\$ WORDPRESS_CONFIG=$SITE_NAME-$site"; done
        fi
        if [ "${SCG_E2E_MODSECURITY:-0}" = 1 ]; then
            sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' \
                -e "s#^SecAuditLog .*#SecAuditLog $a/modsec_audit.log#" \
                -e "s#^SecDataDir .*#SecDataDir $a#" -e "s#^SecTmpDir .*#SecTmpDir $a#" \
                /etc/modsecurity/modsecurity.conf-recommended > "$a/modsecurity.conf"
            cp /etc/modsecurity/unicode.mapping "$a/unicode.mapping"
            echo "LoadModule unique_id_module $m/mod_unique_id.so"
            echo "LoadModule security2_module $m/mod_security2.so"
            echo "Include $a/modsecurity.conf"
            echo "Include /etc/modsecurity/crs/crs-setup.conf"
            echo "IncludeOptional /usr/share/modsecurity-crs/rules/*.conf"
        fi
        echo "IncludeOptional $a/extra-*.conf"
    } > "$a/apache2.conf"
}

start_apache() {
    local a="$STATE/apache"
    apache2 -f "$a/apache2.conf" -k start
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null --max-time 2 --resolve "$HOST:$PORT:127.0.0.1" "http://$HOST:$PORT/wp-includes/version.php" && return 0
        sleep 0.1
    done
    log "Apache did not start:"; tail -n 20 "$a/error.log" >&2 || true
    return 1
}

install_wordpress() {
    HTTP_HOST="$HOST" SCG_E2E_PORT="$PORT" SCG_E2E_SITE='' php "$here/wp-cli-stand-in.php" install >/dev/null
    local site
    for site in $SITES; do
        HTTP_HOST="$HOST" SCG_E2E_PORT="$PORT" SCG_E2E_SITE="$site" php "$here/wp-cli-stand-in.php" install >/dev/null
    done
}

stop_all() {
    local a="$STATE/apache" d="$STATE/mysql" pid i
    # The PHP-FPM front fpm.test.mjs starts (fpm.sh), when an interrupted run left it running.
    if [ -d "$STATE/fpm" ]; then SCG_E2E_DIR="$STATE" bash "$here/fpm.sh" stop || true; fi
    if [ -f "$a/apache2.pid" ]; then
        apache2 -f "$a/apache2.conf" -k stop >/dev/null 2>&1 || true
        for i in $(seq 1 50); do [ -f "$a/apache2.pid" ] || break; sleep 0.1; done
        if [ -f "$a/apache2.pid" ]; then pid="$(cat "$a/apache2.pid")"; kill "$pid" 2>/dev/null || true; fi
    fi
    if [ -f "$d/mysqld.pid" ]; then
        pid="$(cat "$d/mysqld.pid")"
        mariadb-admin --no-defaults --socket="$d/mysqld.sock" -uroot shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$SITE_CONFIG" "/etc/wordpress/config-$SITE_NAME-"*.php
    rm -rf "$STATE"
}

case "${1:-}" in
    start)
        [ "${2:-}" = --modsecurity ] && export SCG_E2E_MODSECURITY=1
        if [ -f "$STATE/apache/apache2.pid" ] || [ -f "$STATE/mysql/mysqld.pid" ]; then
            log "a stack is already running in $STATE (stack.sh stop first)"; exit 1
        fi
        install_packages
        rm -rf "$STATE"; mkdir -p "$STATE"
        # The steps run in a child process (so that set -e holds in them); a start that fails half-way stops what
        # it started.
        rc=0
        bash "$0" __start || rc=$?
        if [ "$rc" -ne 0 ]; then
            log "start failed; stopping what was started"
            stop_all
            exit 1
        fi
        log "WordPress answers on http://$HOST:$PORT/ (connect to 127.0.0.1:$PORT)"
        ;;
    __start) start_mariadb; create_database; write_site; write_apache_config; start_apache; install_wordpress ;;
    stop) stop_all ;;
    url) echo "http://$HOST:$PORT/" ;;
    status)
        curl -s -o /dev/null --max-time 2 --resolve "$HOST:$PORT:127.0.0.1" "http://$HOST:$PORT/wp-includes/version.php" \
            && mariadb-admin --no-defaults --socket="$STATE/mysql/mysqld.sock" -uroot ping >/dev/null 2>&1 ;;
    *) echo "usage: $0 start [--modsecurity] | stop | url | status" >&2; exit 2 ;;
esac
