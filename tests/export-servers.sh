#!/usr/bin/env bash
# The exported server rules on real servers (`sendcloud-gate export`, docs/hosting-support.md):
#
#   1. Apache 2.4 + ModSecurity 2 + Debian's OWASP Core Rule Set, with the `modsecurity` export, and the same on
#      nginx + ModSecurity 3 (libmodsecurity);
#   2. nginx with a site that refuses PATCH/DELETE and unknown User-Agents, with the `nginx` export;
#   3. Apache with the same restrictions in an .htaccess (AllowOverride All), with the `apache` export: once as
#      Require rules, once as rewrite rules that exempt SENDCLOUD_GATE_PARTNER.
#
# Each server first runs without the export (Sendcloud's PATCH and DELETE are refused: 403), then with it: the
# partner's requests reach the backend, and the impostors are still refused (another client address, a browser or
# almost-right User-Agent, a method outside the policy, Sendcloud's address forwarded by a peer that is not the
# trusted proxy, and under the CRS an SQL injection from Sendcloud itself). Client addresses come through a trusted
# loopback proxy: curl connects from 127.0.0.1 with X-Forwarded-For, which mod_remoteip / nginx's realip trust from
# 127.0.0.1 only.
#
# Everything listens on 127.0.0.1 (ports SCG_EXPORT_PORT, default 18641, and the three after it) and lives in a
# temporary directory, removed at the end, also on failure; no system service is started or touched. Missing
# packages are installed (apache2 libapache2-mod-security2 modsecurity-crs nginx libnginx-mod-http-modsecurity
# curl). SCG_BIN names the
# sendcloud-gate binary (default: built with cargo). Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."

base="${SCG_EXPORT_PORT:-18641}"
APACHE_MODSEC_PORT=$base
NGINX_PORT=$((base + 1))
NGINX_BACKEND_PORT=$((base + 2))
APACHE_HTACCESS_PORT=$((base + 3))

SC=94.232.247.10            # in the Sendcloud preset's ranges
ADDED=198.51.100.7          # in the policy's add_ip
FOREIGN=203.0.113.7
UA1='SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)'
UA2='Sendcloud/1.0.0'
BROWSER='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
ACME=192.0.2.5              # a second partner's address
# Sendcloud with add_ip and add_methods, and a second partner after it whose ranges overlap Sendcloud's (the
# engine tries Sendcloud first).
POLICY='{"partners":[{"preset":"sendcloud","add_ip":["198.51.100.0/24"],"add_methods":["PUT"]},
  {"id":"acme","ip":["192.0.2.0/24","94.232.247.128/25"],"user_agents":["Acme-Sync/*"],"methods":["GET","DELETE"]}]}'

log() { printf 'export-servers: %s\n' "$*" >&2; }

install_packages() {
    local want=(apache2 libapache2-mod-security2 modsecurity-crs nginx libnginx-mod-http-modsecurity curl) missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    # No service may start while packages install: a policy-rc.d that refuses, removed afterwards if it was ours.
    local ours=0 rc=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && ours=1
    fi
    {
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
            apt-get update -qq >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        fi
    } || rc=$?
    [ "$ours" = 1 ] && rm -f /usr/sbin/policy-rc.d
    return "$rc"
}

install_packages

if [ -z "${SCG_BIN:-}" ]; then
    cargo build --quiet -p sendcloud-gate-cli
    SCG_BIN="${CARGO_TARGET_DIR:-target}/debug/sendcloud-gate"
fi

T="$(mktemp -d /tmp/scg-export-servers.XXXXXX)"
chmod 755 "$T"   # Apache's children (www-data) run the backend script from here
started_apache=()
started_nginx=()

stop_apache() {
    local conf="$1" pidf="$2" pid i
    [ -f "$pidf" ] || return 0
    pid="$(cat "$pidf")"
    apache2 -f "$conf" -k stop >/dev/null 2>&1 || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

stop_nginx() {
    local pidf="$1" pid i
    [ -f "$pidf" ] || return 0
    pid="$(cat "$pidf")"
    kill -QUIT "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
    local d
    for d in "${started_apache[@]+"${started_apache[@]}"}"; do stop_apache "$d/apache2.conf" "$d/apache2.pid"; done
    for d in "${started_nginx[@]+"${started_nginx[@]}"}"; do stop_nginx "$d/nginx.pid"; done
    rm -rf "$T"
}
trap cleanup EXIT

printf '%s\n' "$POLICY" > "$T/policy.json"
for f in modsecurity apache nginx; do
    "$SCG_BIN" export --format "$f" --policy "$T/policy.json" -o "$T/export.$f"
done

# ---------------------------------------------------------------------------------------------------------------
# Servers

# The backend every Apache site hands requests to: a CGI script that answers any method.
mkdir -p "$T/site"
cat > "$T/site/backend.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nreached backend %s %s from %s\n' "$REQUEST_METHOD" "$REQUEST_URI" "$REMOTE_ADDR"
EOF
chmod 755 "$T/site" "$T/site/backend.cgi"

# write_apache DIR PORT MODE [EXPORT]: MODE modsecurity (CRS, EXPORT before its rules) or htaccess (no WAF; the
# directory's .htaccess has the restrictions).
write_apache() {
    local d="$1" port="$2" mode="$3" export="${4:-}" m=/usr/lib/apache2/modules
    mkdir -p "$d"
    {
        cat <<EOF
ServerRoot /etc/apache2
PidFile $d/apache2.pid
Mutex file:$d default
DefaultRuntimeDir $d
Listen 127.0.0.1:$port
ServerName 127.0.0.1
User www-data
Group www-data
Timeout 20
ErrorLog $d/error.log
LogLevel warn
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule alias_module $m/mod_alias.so
LoadModule cgi_module $m/mod_cgi.so
LoadModule setenvif_module $m/mod_setenvif.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule remoteip_module $m/mod_remoteip.so
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 8
TypesConfig /etc/mime.types
LogFormat "%a (peer %{c}a) \"%r\" %>s \"%{User-Agent}i\"" scg
CustomLog $d/access.log scg
# The trusted loopback proxy: X-Forwarded-For counts only from 127.0.0.1.
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
DocumentRoot $T/site
<Directory />
    AllowOverride None
    Require all denied
</Directory>
ScriptAliasMatch ^/ $T/site/backend.cgi
EOF
        if [ "$mode" = htaccess ]; then
            printf '<Directory %s>\n    AllowOverride All\n    Require all granted\n</Directory>\n' "$T/site"
        else
            printf '<Directory %s>\n    AllowOverride None\n    Require all granted\n</Directory>\n' "$T/site"
            sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' \
                -e "s#^SecAuditLog .*#SecAuditLog $d/modsec_audit.log#" \
                -e "s#^SecDataDir .*#SecDataDir $d#" -e "s#^SecTmpDir .*#SecTmpDir $d#" \
                /etc/modsecurity/modsecurity.conf-recommended > "$d/modsecurity.conf"
            cp /etc/modsecurity/unicode.mapping "$d/unicode.mapping"
            echo "LoadModule unique_id_module $m/mod_unique_id.so"
            echo "LoadModule security2_module $m/mod_security2.so"
            echo "Include $d/modsecurity.conf"
            echo "Include /etc/modsecurity/crs/crs-setup.conf"
            if [ -n "$export" ]; then echo "Include $export"; fi
            echo "IncludeOptional /usr/share/modsecurity-crs/rules/*.conf"
        fi
    } > "$d/apache2.conf"
}

start_apache() {
    local d="$1" port="$2" i
    apache2 -f "$d/apache2.conf" -k start
    started_apache+=("$d")
    for i in $(seq 1 100); do
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    log "Apache ($d) did not start:"; tail -n 20 "$d/error.log" >&2 || true
    return 1
}

# write_nginx DIR [EXPORT]: a site that refuses methods other than GET HEAD POST OPTIONS and User-Agents other than
# browsers'; with EXPORT, verified partner traffic is exempt. The backend is a second server block.
write_nginx() {
    local d="$1" export="${2:-}"
    mkdir -p "$d"
    local include='' exempt=''
    if [ -n "$export" ]; then
        include="include $export;"
        exempt='if ($sendcloud_gate_verified) { set $refuse 0; }'
    fi
    cat > "$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    $include
    server {
        listen 127.0.0.1:$NGINX_BACKEND_PORT;
        location / { return 200 "reached backend \$request_method \$request_uri from \$http_x_real_ip\n"; }
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # The trusted loopback proxy: X-Forwarded-For counts only from 127.0.0.1.
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        # The site's own restrictions.
        set \$refuse 0;
        if (\$request_method !~ ^(GET|HEAD|POST|OPTIONS)\$) { set \$refuse 1; }
        if (\$http_user_agent !~ ^Mozilla/) { set \$refuse 1; }
        $exempt
        if (\$refuse) { return 403; }
        location / {
            proxy_pass http://127.0.0.1:$NGINX_BACKEND_PORT;
            proxy_set_header X-Real-IP \$remote_addr;
        }
    }
}
EOF
}

# write_nginx_modsecurity DIR [EXPORT]: nginx with ModSecurity 3 (libmodsecurity, Debian's connector module) and
# the CRS, and no restrictions of its own; EXPORT before the CRS rules.
write_nginx_modsecurity() {
    local d="$1" export="${2:-}"
    mkdir -p "$d/modsec"
    chmod 1777 "$d/modsec"   # nginx's workers (nobody) write ModSecurity's temporary files here
    sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' -e 's/^SecAuditEngine .*/SecAuditEngine Off/' \
        -e 's/^SecStatusEngine .*/SecStatusEngine Off/' \
        -e "s#^SecDataDir .*#SecDataDir $d/modsec#" -e "s#^SecTmpDir .*#SecTmpDir $d/modsec#" \
        /etc/nginx/modsecurity.conf > "$d/modsecurity.conf"
    cp /etc/nginx/unicode.mapping "$d/unicode.mapping"
    {
        echo "Include $d/modsecurity.conf"
        echo "Include /etc/modsecurity/crs/crs-setup.conf"
        if [ -n "$export" ]; then echo "Include $export"; fi
        echo "Include /usr/share/modsecurity-crs/rules/*.conf"
    } > "$d/modsec-rules.conf"
    cat > "$d/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen 127.0.0.1:$NGINX_BACKEND_PORT;
        location / { return 200 "reached backend \$request_method \$request_uri from \$http_x_real_ip\n"; }
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        modsecurity on;
        modsecurity_rules_file $d/modsec-rules.conf;
        location / {
            proxy_pass http://127.0.0.1:$NGINX_BACKEND_PORT;
            proxy_set_header X-Real-IP \$remote_addr;
        }
    }
}
EOF
}

start_nginx() {
    local d="$1" i
    nginx -t -q -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
    started_nginx+=("$d")
    for i in $(seq 1 100); do
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_BACKEND_PORT/" && return 0
        sleep 0.1
    done
    log "nginx ($d) did not start:"; tail -n 20 "$d/error.log" >&2 || true
    return 1
}

# ---------------------------------------------------------------------------------------------------------------
# Checks

failures=0
checks=0

# check NAME PORT EXPECT METHOD CLIENT UA [PATH [curl args...]]: EXPECT is `backend` (200 from the backend) or a
# status code. CLIENT is the address forwarded by the trusted proxy; `peer:ADDR` connects from ADDR instead
# (forwarding Sendcloud's address from an untrusted peer).
check() {
    local name="$1" port="$2" expect="$3" method="$4" client="$5" ua="$6" path="${7:-/wp-json/wc/v3/orders/12}"
    shift 6; [ $# -gt 0 ] && shift
    local args=(-s -o "$T/body" -w '%{http_code}' --max-time 10 -X "$method" -A "$ua")
    if [[ "$client" == peer:* ]]; then
        args+=(--interface "${client#peer:}" -H "X-Forwarded-For: $SC")
    else
        args+=(-H "X-Forwarded-For: $client")
    fi
    local code
    code="$(curl "${args[@]}" "$@" "http://127.0.0.1:$port$path" || true)"
    checks=$((checks + 1))
    local ok=0
    if [ "$expect" = backend ]; then
        [ "$code" = 200 ] && grep -q "^reached backend $method " "$T/body" && ok=1
    else
        [ "$code" = "$expect" ] && ! grep -q '^reached backend' "$T/body" && ok=1
    fi
    if [ "$ok" = 1 ]; then
        printf 'ok    %-28s %-8s from %-22s %-58s -> %s\n' "$name" "$method" "$client" "\"$ua\"" "$code"
    else
        printf 'FAIL  %-28s %-8s from %-22s %-58s -> %s (expected %s): %s\n' "$name" "$method" "$client" "\"$ua\"" \
            "$code" "$expect" "$(head -c 200 "$T/body" | tr '\n' ' ')"
        failures=$((failures + 1))
    fi
}

# before NAME PORT: without the export, Sendcloud's PATCH and DELETE are refused.
before() {
    check "$1 (no export)" "$2" 403 PATCH "$SC" "$UA1"
    check "$1 (no export)" "$2" 403 DELETE "$SC" "$UA2"
}

# matrix NAME PORT: with the export.
matrix() {
    local n="$1" p="$2"
    check "$n" "$p" backend PATCH "$SC" "$UA1" /wp-json/wc/v3/orders/12 -H 'Content-Type: application/json' --data '{"status":"completed"}'
    check "$n" "$p" backend DELETE "$SC" "$UA2"
    check "$n" "$p" backend GET "$SC" "$UA1"
    check "$n" "$p" backend POST "$SC" "$UA2" /wp-json/wc/v3/orders -H 'Content-Type: application/json' --data '{"id":12}'
    check "$n" "$p" backend PATCH "$SC" 'sendcloud/1.0 (PrestaShop-8_1.x; HTTPS://WWW.SENDCLOUD.SC)'
    check "$n" "$p" backend PUT "$ADDED" "$UA2"                    # add_ip + add_methods
    check "$n" "$p" 403 PATCH "$FOREIGN" "$UA1"                    # another client address
    check "$n" "$p" 403 DELETE "$FOREIGN" "$UA2"
    check "$n" "$p" 403 PATCH "peer:127.0.0.2" "$UA1"              # Sendcloud's address from an untrusted peer
    check "$n" "$p" 403 PATCH "$SC" "$BROWSER"                     # a browser User-Agent
    check "$n" "$p" 403 DELETE "$SC" 'curl/8.0'
    check "$n" "$p" 403 PATCH "$SC" "$UA1 extra"                   # almost right: anchored
    check "$n" "$p" 403 PATCH "$SC" 'SendCloud/1.0 (woo commerce; https://www.sendcloud.sc)'
    check "$n" "$p" 403 PATCH "$SC" 'Sendcloud/1x0x0'              # `.` is literal
    check "$n" "$p" 403 PROPFIND "$SC" "$UA1"                      # a method outside the policy
    check "$n" "$p" 403 PUT "$SC" "$UA1/"                          # a trailing byte (PUT is in the policy)
    check "$n" "$p" backend DELETE "$ACME" 'Acme-Sync/2.1'           # the second partner
    check "$n" "$p" 403 PATCH "$ACME" 'Acme-Sync/2.1'                # not one of its methods
    check "$n" "$p" 403 DELETE 94.232.247.200 'Acme-Sync/2.1'        # in both partners' ranges: Sendcloud decides first
    check "$n" "$p" 403 DELETE "$ACME" 'Acme-Sync/2.1 (SendCloud)'   # claims Sendcloud: Sendcloud decides first
}

log "versions: $(apache2 -v | head -n 1); ModSecurity 2 $(dpkg-query -W -f='${Version}' libapache2-mod-security2); ModSecurity 3 $(dpkg-query -W -f='${Version}' libmodsecurity3) (nginx connector $(dpkg-query -W -f='${Version}' libnginx-mod-http-modsecurity)); CRS $(dpkg-query -W -f='${Version}' modsecurity-crs); $(nginx -v 2>&1)"

# 1. Apache + ModSecurity + CRS.
write_apache "$T/modsec-before" "$APACHE_MODSEC_PORT" modsecurity
start_apache "$T/modsec-before" "$APACHE_MODSEC_PORT"
before "apache+modsecurity+crs" "$APACHE_MODSEC_PORT"
stop_apache "$T/modsec-before/apache2.conf" "$T/modsec-before/apache2.pid"
write_apache "$T/modsec" "$APACHE_MODSEC_PORT" modsecurity "$T/export.modsecurity"
start_apache "$T/modsec" "$APACHE_MODSEC_PORT"
matrix "apache+modsecurity+crs" "$APACHE_MODSEC_PORT"
# The rest of the CRS still applies to Sendcloud's own requests.
check "apache+modsecurity+crs" "$APACHE_MODSEC_PORT" 403 GET "$SC" "$UA1" "/wp-json/wc/v3/orders?id=1%27%20UNION%20SELECT%20password%20FROM%20wp_users--"
check "apache+modsecurity+crs" "$APACHE_MODSEC_PORT" 403 PATCH "$SC" "$UA1" /wp-json/wc/v3/orders/12 \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "status=1' OR '1'='1' --"
grep -q '41400' "$T/modsec/error.log" && { log "a rule of the export was logged: it must stay silent"; failures=$((failures + 1)); }
stop_apache "$T/modsec/apache2.conf" "$T/modsec/apache2.pid"

# 2. nginx.
write_nginx "$T/nginx-before"
start_nginx "$T/nginx-before"
before "nginx" "$NGINX_PORT"
check "nginx (no export)" "$NGINX_PORT" backend GET "$SC" "$BROWSER"
stop_nginx "$T/nginx-before/nginx.pid"
write_nginx "$T/nginx" "$T/export.nginx"
start_nginx "$T/nginx"
matrix "nginx" "$NGINX_PORT"
check "nginx" "$NGINX_PORT" backend GET "$FOREIGN" "$BROWSER"     # the site's own traffic is unchanged
check "nginx" "$NGINX_PORT" 403 PATCH "$FOREIGN" "$BROWSER"
stop_nginx "$T/nginx/nginx.pid"

# 1b. nginx + ModSecurity 3 + CRS, the same export.
write_nginx_modsecurity "$T/nginx-modsec-before"
start_nginx "$T/nginx-modsec-before"
before "nginx+modsecurity3+crs" "$NGINX_PORT"
stop_nginx "$T/nginx-modsec-before/nginx.pid"
write_nginx_modsecurity "$T/nginx-modsec" "$T/export.modsecurity"
start_nginx "$T/nginx-modsec"
matrix "nginx+modsecurity3+crs" "$NGINX_PORT"
check "nginx+modsecurity3+crs" "$NGINX_PORT" 403 GET "$SC" "$UA1" "/wp-json/wc/v3/orders?id=1%27%20UNION%20SELECT%20password%20FROM%20wp_users--"
check "nginx+modsecurity3+crs" "$NGINX_PORT" 403 PATCH "$SC" "$UA1" /wp-json/wc/v3/orders/12 \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "status=1' OR '1'='1' --"
stop_nginx "$T/nginx-modsec/nginx.pid"

# 3. Apache, .htaccess mode: the site's restrictions in .htaccess, the export appended to it.
cat > "$T/site/.htaccess" <<'EOF'
# The site's own restrictions: common methods only, browsers only.
<RequireAll>
    Require all granted
    Require method GET HEAD POST OPTIONS
    Require expr "%{HTTP_USER_AGENT} =~ m#^Mozilla/#"
</RequireAll>
EOF
chmod 644 "$T/site/.htaccess"
write_apache "$T/htaccess" "$APACHE_HTACCESS_PORT" htaccess
start_apache "$T/htaccess" "$APACHE_HTACCESS_PORT"
before "apache .htaccess" "$APACHE_HTACCESS_PORT"
check "apache .htaccess (no export)" "$APACHE_HTACCESS_PORT" backend GET "$SC" "$BROWSER"
{ echo; cat "$T/export.apache"; } >> "$T/site/.htaccess"   # .htaccess is read on every request: no restart
matrix "apache .htaccess" "$APACHE_HTACCESS_PORT"
check "apache .htaccess" "$APACHE_HTACCESS_PORT" backend GET "$FOREIGN" "$BROWSER"
check "apache .htaccess" "$APACHE_HTACCESS_PORT" 403 PATCH "$FOREIGN" "$BROWSER"
# 3b. The same with restrictions written as rewrite rules, exempting SENDCLOUD_GATE_PARTNER as the export says.
cat > "$T/site/.htaccess" <<'EOF'
# The site's own restrictions, as rewrite rules: common methods only, browsers only.
RewriteEngine On
RewriteCond %{ENV:SENDCLOUD_GATE_PARTNER} ^$
RewriteCond %{REQUEST_METHOD} !^(GET|HEAD|POST|OPTIONS)$ [OR]
RewriteCond %{HTTP_USER_AGENT} !^Mozilla/
RewriteRule ^ - [F]
EOF
check "apache .htaccess rewrite (no export)" "$APACHE_HTACCESS_PORT" 403 PATCH "$SC" "$UA1"
check "apache .htaccess rewrite (no export)" "$APACHE_HTACCESS_PORT" 403 DELETE "$SC" "$UA2"
check "apache .htaccess rewrite (no export)" "$APACHE_HTACCESS_PORT" backend GET "$SC" "$BROWSER"
{ echo; cat "$T/export.apache"; } >> "$T/site/.htaccess"
matrix "apache .htaccess rewrite" "$APACHE_HTACCESS_PORT"
check "apache .htaccess rewrite" "$APACHE_HTACCESS_PORT" backend GET "$FOREIGN" "$BROWSER"
if grep -q 'AH00526\|Syntax error' "$T/htaccess/error.log"; then
    log "the .htaccess did not parse:"; grep 'AH00526\|Syntax error' "$T/htaccess/error.log" >&2; failures=$((failures + 1))
fi
stop_apache "$T/htaccess/apache2.conf" "$T/htaccess/apache2.pid"

if [ "$failures" -gt 0 ]; then
    log "$failures of $checks checks failed; logs:"
    for f in "$T"/*/error.log; do echo "== $f" >&2; tail -n 15 "$f" >&2; done
    exit 1
fi
log "all $checks checks passed"
