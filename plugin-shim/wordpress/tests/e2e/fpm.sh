#!/usr/bin/env bash
# A second front for the e2e stack's WordPress (stack.sh must be running): nginx on 127.0.0.1:SCG_E2E_FPM_PORT
# (default: the stack's port + 1) passing PHP to a PHP-FPM pool of its own (Debian's php-fpm, its php.ini and
# conf.d, so opcache is on as on a Debian host), on a unix socket. Same document root, wp-content, database and
# site config as the Apache + mod_php front, so WordPress and the plugin are the same; only the server API differs
# (fpm-fcgi, which reads .user.ini). Everything is under $SCG_E2E_DIR/fpm; nothing listens beyond loopback.
#
#   fpm.sh start    write the configs, start PHP-FPM then nginx, wait until PHP answers through nginx
#   fpm.sh stop     stop both (by the pids they wrote) and remove $SCG_E2E_DIR/fpm
#
# Used by fpm.test.mjs (before / after), and by stack.sh stop so that an interrupted run leaves nothing running.
set -euo pipefail

STATE="${SCG_E2E_DIR:-/tmp/sendcloud-gate-e2e}"
HOST="${SCG_E2E_HOST:-shop.test}"
PORT="${SCG_E2E_PORT:-18080}"
FPM_PORT="${SCG_E2E_FPM_PORT:-$((PORT + 1))}"
F="$STATE/fpm"

log() { printf 'fpm: %s\n' "$*" >&2; }

fpm_bin() {
    local v b
    v="$(php -r 'echo PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION;')"
    for b in "/usr/sbin/php-fpm$v" "$(command -v "php-fpm$v" || true)" "$(command -v php-fpm || true)"; do
        if [ -n "$b" ] && [ -x "$b" ]; then echo "$b"; return 0; fi
    done
    log "php-fpm$v is missing: .ci/setup.sh installs it (apt-get install php-fpm)"
    return 1
}

stop_pid() {
    local pidf="$1" sig="$2" pid i
    [ -f "$pidf" ] || return 0
    pid="$(cat "$pidf")"
    [ -n "$pid" ] || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

stop_all() {
    stop_pid "$F/nginx.pid" QUIT
    stop_pid "$F/php-fpm.pid" QUIT
    rm -rf "$F"
}

write_configs() {
    mkdir -p "$F/nginx-tmp"
    cat > "$F/php-fpm.conf" <<EOF
; Written by sendcloud-gate's tests/e2e/fpm.sh.
[global]
pid = $F/php-fpm.pid
error_log = $F/php-fpm.log
daemonize = yes

[scg-e2e]
user = www-data
group = www-data
listen = $F/php-fpm.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = static
pm.max_children = 2
access.log = $F/access.log
access.format = "%m %r %s"
catch_workers_output = yes
php_admin_value[error_log] = $STATE/php-error.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_value[error_reporting] = 32767
php_admin_value[opcache.revalidate_freq] = 0
; PHP-FPM keeps each directory's .user.ini for user_ini.cache_ttl seconds (300 by default) from the request that
; read it. 1 s here, so that the test sees the gate's lines taken away (and may delete the stub it leaves) within
; seconds instead of waiting five minutes; the plugin reads this value when the mode is switched on.
php_admin_value[user_ini.cache_ttl] = 1
; The host's own auto_prepend_file, as the Apache front sets it (php_value: a .user.ini may override it).
php_value[auto_prepend_file] = $STATE/prepend.php
EOF
    cat > "$F/nginx.conf" <<EOF
# Written by sendcloud-gate's tests/e2e/fpm.sh.
worker_processes 1;
user www-data;
pid $F/nginx.pid;
error_log $F/nginx-error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log $F/nginx-access.log;
    client_body_temp_path $F/nginx-tmp/body;
    proxy_temp_path $F/nginx-tmp/proxy;
    fastcgi_temp_path $F/nginx-tmp/fastcgi;
    uwsgi_temp_path $F/nginx-tmp/uwsgi;
    scgi_temp_path $F/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$FPM_PORT;
        server_name $HOST;
        root $STATE/docroot;
        index index.php;
        location / {
            try_files \$uri \$uri/ /index.php?\$args;
        }
        location ~ \.php\$ {
            try_files \$uri =404;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            # Debian's wp-config.php picks the site's config by this name (stack.sh: SetEnv WORDPRESS_CONFIG).
            fastcgi_param WORDPRESS_CONFIG scg-e2e-$PORT;
            fastcgi_pass unix:$F/php-fpm.sock;
        }
    }
}
EOF
}

case "${1:-}" in
    start)
        [ -d "$STATE/docroot" ] || { log "no stack in $STATE (stack.sh start first)"; exit 1; }
        if [ -f "$F/php-fpm.pid" ] || [ -f "$F/nginx.pid" ]; then log "already running in $F (fpm.sh stop first)"; exit 1; fi
        bin="$(fpm_bin)"
        command -v nginx >/dev/null || { log "nginx is missing (apt-get install nginx-light)"; exit 1; }
        write_configs
        if ! "$bin" --fpm-config "$F/php-fpm.conf" || ! nginx -c "$F/nginx.conf" -e "$F/nginx-error.log"; then
            log "could not start:"; tail -n 20 "$F/php-fpm.log" "$F/nginx-error.log" >&2 2>/dev/null || true
            stop_all; exit 1
        fi
        for i in $(seq 1 100); do
            if curl -s -o /dev/null --max-time 2 --resolve "$HOST:$FPM_PORT:127.0.0.1" "http://$HOST:$FPM_PORT/wp-includes/version.php"; then
                log "PHP-FPM ($bin) behind nginx on 127.0.0.1:$FPM_PORT"
                exit 0
            fi
            sleep 0.1
        done
        log "no answer through nginx:"; tail -n 20 "$F/php-fpm.log" "$F/nginx-error.log" >&2 2>/dev/null || true
        stop_all; exit 1
        ;;
    stop) stop_all ;;
    *) echo "usage: $0 start | stop" >&2; exit 2 ;;
esac
