//! `sendcloud-gate replay` as a user runs it: the summary, --json, --only, gzip and standard input, errors that
//! say what is wrong, and the access logs of a real nginx and a real Apache (`nginx_access_log`,
//! `apache_access_logs`), each answering the same five requests on a loopback port.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sendcloud-gate");
const LOGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/logs");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn log(name: &str) -> String {
    format!("{LOGS}/{name}")
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scg-replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn summary_counts_refused_partner_requests() {
    let o = run(&["replay", &log("combined.log")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("13 lines: 9 decided (allow 4, deny 0, pass 5), 4 not understood"),
        "{out}"
    );
    assert!(
        out.contains("Partner traffic (sendcloud): 6 requests"),
        "{out}"
    );
    assert!(
        out.contains("Refused by the server: 4 of 5 requests"),
        "{out}"
    );
    assert!(
        out.contains("by status: 403 x1, 405 x1, 429 x1, 501 x1"),
        "{out}"
    );
    assert!(
        out.contains("first 23/Nov/2025:10:00:03 +0100  last 23/Nov/2025:10:00:12 +0100"),
        "{out}"
    );
    assert!(out.contains("403     PATCH   /wp-json/wc"), "{out}");
    assert!(
        out.contains(":9: request line \"-\" has no method and target"),
        "{out}"
    );
    // Not a terminal: no progress bar, nothing on standard error.
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn json_lines_then_summary() {
    let o = run(&["replay", "--json", &log("combined.log")]);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10, "{out}");
    assert_eq!(
        lines[1],
        r#"{"line":2,"status":403,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.10","method":"PATCH","uri":"/wp-json/wc/v3/orders/12","time":"23/Nov/2025:10:00:03 +0100"}"#
    );
    assert!(
        lines[9].starts_with(r#"{"summary":{"lines":13,"decided":9,"not_understood":4,"#),
        "{}",
        lines[9]
    );
    assert!(
        lines[9].contains(r#""by_status":{"403":1,"405":1,"429":1,"501":1}"#),
        "{}",
        lines[9]
    );
}

#[test]
fn only_filters() {
    let only = |what: &str| -> Vec<String> {
        let o = run(&["replay", "--json", "--only", what, &log("combined.log")]);
        assert_eq!(o.status.code(), Some(0));
        let out = text(&o.stdout);
        out.lines()
            .filter(|l| !l.starts_with("{\"summary\""))
            .map(|l| l[..l.find(',').unwrap()].to_string())
            .collect()
    };
    // Sendcloud's own requests (its ranges, its User-Agent, any method) with an error status: not the impostor (5).
    assert_eq!(
        only("sendcloud-refused"),
        ["{\"line\":2", "{\"line\":3", "{\"line\":4", "{\"line\":13"]
    );
    assert_eq!(only("not-allowed"), ["{\"line\":4", "{\"line\":5"]);
    assert_eq!(only("impersonation"), ["{\"line\":5"]);
    assert_eq!(only("all").len(), 9);
    // Text mode: the matching lines, then the summary.
    let o = run(&["replay", "--only", "impersonation", &log("combined.log")]);
    let out = text(&o.stdout);
    assert!(
        out.starts_with(&format!("{}:5  403  pass ", log("combined.log"))),
        "{out}"
    );
}

#[test]
fn a_site_rule_does_not_hide_sendcloud_s_refused_requests() {
    // A deny rule decides before partners; the request is still Sendcloud's own (its range, its User-Agent).
    let dir = tempdir("rule");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"rules":[{"id":"no-delete","action":"deny","methods":["DELETE"]}]}"#,
    )
    .unwrap();
    let o = run(&[
        "replay",
        "--json",
        "--only",
        "sendcloud-refused",
        "--policy",
        policy.to_str().unwrap(),
        &log("combined.log"),
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains(
            r#"{"line":3,"status":405,"action":"deny","reason":"rule_match","rule":"no-delete""#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"{"action":"deny","reason":"rule_match","rule":"no-delete","count":1}"#),
        "{out}"
    );
}

#[test]
fn forwarded_for_counts_only_from_trusted_proxies() {
    let dir = tempdir("xff");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"trusted_proxies":{"presets":["loopback","private"]}}"#,
    )
    .unwrap();
    let o = run(&[
        "replay",
        "--json",
        "--policy",
        policy.to_str().unwrap(),
        &log("nginx_main.log"),
    ]);
    let out = text(&o.stdout);
    assert!(out.contains(r#"{"line":1,"status":403,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.10","method":"PATCH""#), "{out}");
    assert!(out.contains(r#"{"line":5,"status":403,"action":"pass","reason":"impersonation","rule":"sendcloud","client_ip":"203.0.113.50","method":"DELETE""#), "{out}");
    // Without trusting the proxy the header is ignored: the client is the proxy.
    let o = run(&["replay", "--json", &log("nginx_main.log")]);
    assert!(text(&o.stdout).contains(r#"{"line":1,"status":403,"action":"pass","reason":"impersonation","rule":"sendcloud","client_ip":"127.0.0.1""#));
}

#[test]
fn gzip_standard_input_and_several_files() {
    let dir = tempdir("gz");
    let plain = std::fs::read(log("combined.log")).unwrap();
    let gz = dir.join("access.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let want = text(&run(&["replay", "--json", &log("combined.log")]).stdout);
    assert_eq!(
        text(&run(&["replay", "--json", gz.to_str().unwrap()]).stdout)
            .replace(gz.to_str().unwrap(), ""),
        want.replace(&log("combined.log"), "")
    );
    let mut child = Command::new(BIN)
        .args(["replay", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&plain).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        text(&o.stdout).replace("<stdin>", ""),
        want.replace(&log("combined.log"), "")
    );
    // Two files: one summary, lines carry the file.
    let o = run(&["replay", "--json", &log("combined.log"), &log("common.log")]);
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "{{\"file\":\"{}\",\"line\":2,\"status\":403,",
            log("common.log")
        )),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .contains(r#""lines":20,"decided":14"#),
        "{out}"
    );
}

#[test]
fn custom_log_format() {
    let dir = tempdir("custom");
    let f = dir.join("apache.log");
    // tests/export-servers.sh's Apache layout: %a (peer %{c}a) "%r" %>s "%{User-Agent}i"
    std::fs::write(&f, "94.232.247.10 (peer 127.0.0.1) \"PATCH /wp-json/wc/v3/orders/1 HTTP/1.1\" 403 \"Sendcloud/1.0.0\"\nnonsense\n").unwrap();
    let re = r#"^(?P<remote_addr>\S+) \(peer \S+\) "(?P<method>\S+) (?P<uri>\S+)[^"]*" (?P<status>\S+) "(?P<user_agent>(?:[^"\\]|\\.)*)"$"#;
    let o = run(&["replay", "--json", "--log-format", re, f.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(
        out.starts_with(r#"{"line":1,"status":403,"action":"allow","reason":"partner_match""#),
        "{out}"
    );
    assert!(
        out.contains(r#""line":2,"error":"does not match --log-format""#),
        "{out}"
    );
}

#[test]
fn errors_say_what_is_wrong() {
    let o = run(&["replay", "/nonexistent/access.log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("cannot read /nonexistent/access.log:"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&[
        "replay",
        "--log-format",
        "(?P<remote_addr>",
        &log("combined.log"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--log-format: not a regular expression"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&[
        "replay",
        "--log-format",
        r"(?P<remote_addr>\S+) (?P<method>\S+)",
        &log("combined.log"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no group named uri"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&["replay"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["replay", "--only", "everything", &log("combined.log")]);
    assert!(text(&o.stderr).contains("--only \"everything\""));
}

#[test]
fn summary_maps_stay_bounded() {
    // 3,000 distinct refused paths: the summary lists 20 groups and folds the rest into "other".
    let dir = tempdir("bounded");
    let f = dir.join("many.log");
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!(
            "94.232.247.10 - - [t{i}] \"PATCH /p{i}/x HTTP/1.1\" 403 0 \"-\" \"Sendcloud/1.0.0\"\n"
        ));
    }
    std::fs::write(&f, s).unwrap();
    let o = run(&[
        "replay",
        "--json",
        "--only",
        "impersonation",
        f.to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    assert_eq!(out.matches("\"partner\":").count(), 20, "{out}");
    assert!(out.contains(r#""other":2980}"#), "{out}");
    assert!(out.contains(r#""first":"t0","last":"t2999""#), "{out}");
}

/// The path of a server binary, installed with apt-get when missing (`packages`, tried in order); None, said loudly,
/// when that is impossible.
fn server_binary(test: &str, paths: &[&str], packages: &[&str]) -> Option<String> {
    let find = || {
        paths
            .iter()
            .find(|p| Path::new(p).exists())
            .map(|p| p.to_string())
    };
    if let Some(found) = find() {
        return Some(found);
    }
    for package in packages {
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        if let Some(found) = find() {
            return Some(found);
        }
    }
    eprintln!("\n!!!!!!!! {test} SKIPPED: {packages:?} not installed and apt-get could not install it !!!!!!!!\n");
    None
}

/// A port the system just gave out and nobody holds: less likely taken than one derived from the process id.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until the server answers (the readiness probe is the logs' first line); false when it never does.
fn wait_up(port: u16) -> bool {
    for _ in 0..100 {
        if Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                &format!("http://127.0.0.1:{port}/ready"),
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// The five requests both servers answer (through a loopback proxy: X-Forwarded-For names the client), and their
/// status codes: Sendcloud's GET and PATCH, its DELETE on a shop page, an impostor's PATCH, a browser's GET.
fn send_five_requests(port: u16) -> Vec<String> {
    let sc = "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)";
    let mut codes = vec![];
    for (method, path, ua, xff) in [
        ("GET", "/wp-json/wc/v3/orders", sc, "94.232.247.10"),
        ("PATCH", "/wp-json/wc/v3/orders/12", sc, "94.232.247.10"),
        ("DELETE", "/shop/item", "Sendcloud/1.0.0", "94.232.247.11"),
        (
            "PATCH",
            "/wp-json/wc/v3/orders/13",
            "Sendcloud/1.0.0",
            "203.0.113.7",
        ),
        ("GET", "/", "Mozilla/5.0", "198.51.100.2"),
    ] {
        let url = format!("http://127.0.0.1:{port}{path}");
        let o = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                method,
                "-A",
                ua,
            ])
            .args(["-H", &format!("X-Forwarded-For: {xff}"), &url])
            .output()
            .unwrap();
        codes.push(text(&o.stdout));
    }
    codes
}

/// Waits until each log has its six lines (the probe and five requests): a server may write a request's line after
/// its response has gone out, and a loaded machine would lose the last one when it is stopped too early.
fn wait_logged(dir: &Path, logs: &[&str]) {
    let lines = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    for _ in 0..100 {
        if logs.iter().all(|l| lines(l) >= 6) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A log with the forwarded clients in a trailing `"X-Forwarded-For"` field, the loopback proxy trusted: Sendcloud's
/// PATCH (403) and DELETE (405) are the requests the server refused that the policy allows.
fn assert_forwarded_log_replayed(dir: &Path, log: &Path) {
    let policy = dir.join("trust-loopback.json");
    std::fs::write(&policy, r#"{"trusted_proxies":{"presets":["loopback"]}}"#).unwrap();
    let (policy, log) = (policy.to_str().unwrap(), log.to_str().unwrap());
    let o = run(&["replay", "--policy", policy, log]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(out.contains("6 lines: 6 decided"), "{out}");
    assert!(
        out.contains("Refused by the server: 2 of 3 requests"),
        "{out}"
    );
    assert!(out.contains("by status: 403 x1, 405 x1"), "{out}");
    assert!(out.contains("403     PATCH   /wp-json/wc"), "{out}");
    assert!(out.contains("405     DELETE  /shop/item"), "{out}");
    assert!(out.contains("Not understood: 0 lines"), "{out}");
    let o = run(&[
        "replay",
        "--json",
        "--only",
        "sendcloud-refused",
        "--policy",
        policy,
        log,
    ]);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with(r#"{"line":3,"status":403,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.10","method":"PATCH","uri":"/wp-json/wc/v3/orders/12""#), "{out}");
    assert!(lines[1].starts_with(r#"{"line":4,"status":405,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.11","method":"DELETE""#), "{out}");
}

/// A log without the forwarding header (combined, or Apache's vhost_combined): with the loopback address added to
/// Sendcloud's, every request with Sendcloud's User-Agent is its own (the "impostor" too: it came from 127.0.0.1).
fn assert_loopback_log_replayed(dir: &Path, log: &Path) {
    let policy = dir.join("loopback-is-sendcloud.json");
    std::fs::write(
        &policy,
        r#"{"partners":[{"preset":"sendcloud","add_ip":["127.0.0.1"]}]}"#,
    )
    .unwrap();
    let o = run(&[
        "replay",
        "--json",
        "--only",
        "not-allowed",
        "--policy",
        policy.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains(r#""refused":{"own_requests":4,"count":3,"first":"#),
        "{}: {out}",
        log.display()
    );
    assert_eq!(
        out.lines().count(),
        1,
        "every Sendcloud request is allowed by the policy: {out}"
    );
}

/// A real nginx on a loopback port, its combined access log and nginx's `main` layout (with X-Forwarded-For),
/// replayed. nginx is installed with apt-get when missing; when that is impossible the test says so loudly.
#[test]
fn nginx_access_log() {
    let Some(nginx) = server_binary(
        "nginx_access_log",
        &["/usr/sbin/nginx", "/usr/bin/nginx"],
        &["nginx-light", "nginx"],
    ) else {
        return;
    };
    if server_binary("nginx_access_log", &["/usr/bin/curl"], &["curl"]).is_none() {
        return;
    }
    let dir = tempdir("nginx");
    let port = free_port();
    let d = dir.display();
    std::fs::write(dir.join("ok.txt"), "ok\n").unwrap();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log {d}/combined.log combined;
    access_log {d}/main.log main;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d};
        # The site's own restriction, as many hosts have it: only GET, POST and OPTIONS.
        location /wp-json/ {{
            limit_except GET POST OPTIONS {{ deny all; }}
            try_files /ok.txt =404;
        }}
        location / {{
            if ($request_method = DELETE) {{ return 405; }}
            return 200 "ok\n";
        }}
    }}
}}
"#
        ),
    )
    .unwrap();
    let mut server = Command::new(&nginx)
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let up = wait_up(port);
    let codes = if up { send_five_requests(port) } else { vec![] };
    if up {
        wait_logged(&dir, &["main.log", "combined.log"]);
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        up,
        "nginx did not answer: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
    assert_eq!(codes, ["200", "403", "405", "403", "200"]);
    assert_forwarded_log_replayed(&dir, &dir.join("main.log"));
    assert_loopback_log_replayed(&dir, &dir.join("combined.log"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real Apache httpd on a loopback port (one process, `-X`), its `combined` and `vhost_combined` logs as Debian
/// defines them and `combined` with a trailing `"%{X-Forwarded-For}i"`, replayed. The site refuses PATCH under
/// /wp-json/ (`LimitExcept`: 403) and DELETE on a static page (Apache's own 405).
#[test]
fn apache_access_logs() {
    let Some(apache) = server_binary("apache_access_logs", &["/usr/sbin/apache2"], &["apache2"])
    else {
        return;
    };
    if server_binary("apache_access_logs", &["/usr/bin/curl"], &["curl"]).is_none() {
        return;
    }
    let dir = tempdir("apache");
    let port = free_port();
    let d = dir.display();
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("site/ok.txt"), "ok\n").unwrap();
    // Debian's LogFormat lines (/etc/apache2/apache2.conf), and the forwarded variant.
    std::fs::write(
        dir.join("apache2.conf"),
        format!(
            r#"ServerRoot /etc/apache2
PidFile {d}/apache2.pid
Mutex file:{d} default
DefaultRuntimeDir {d}
Listen 127.0.0.1:{port}
ServerName shop.test
User www-data
Group www-data
ErrorLog {d}/error.log
LogLevel warn
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{{Referer}}i\" \"%{{User-Agent}}i\"" vhost_combined
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{{Referer}}i\" \"%{{User-Agent}}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{{Referer}}i\" \"%{{User-Agent}}i\" \"%{{X-Forwarded-For}}i\"" forwarded
CustomLog {d}/combined.log combined
CustomLog {d}/vhost.log vhost_combined
CustomLog {d}/forwarded.log forwarded
DocumentRoot {d}/site
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {d}/site>
    Require all granted
</Directory>
<Location /wp-json/>
    <LimitExcept GET POST OPTIONS>
        Require all denied
    </LimitExcept>
</Location>
RewriteEngine On
RewriteRule !^/ok\.txt$ /ok.txt [L]
"#
        ),
    )
    .unwrap();
    let mut server = Command::new(&apache)
        .args(["-X", "-f", &format!("{d}/apache2.conf")])
        .stderr(Stdio::null())
        .spawn()
        .expect("apache2 starts");
    let up = wait_up(port);
    let codes = if up { send_five_requests(port) } else { vec![] };
    let logs = ["combined.log", "vhost.log", "forwarded.log"];
    if up {
        wait_logged(&dir, &logs);
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        up,
        "Apache did not answer: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
    assert_eq!(codes, ["200", "403", "405", "403", "200"]);
    assert!(
        std::fs::read_to_string(dir.join("vhost.log"))
            .unwrap()
            .starts_with("shop.test:80 127.0.0.1 - - ["),
        "vhost_combined as Apache writes it (%p: the server's canonical port)"
    );
    assert_forwarded_log_replayed(&dir, &dir.join("forwarded.log"));
    assert_loopback_log_replayed(&dir, &dir.join("combined.log"));
    assert_loopback_log_replayed(&dir, &dir.join("vhost.log"));
    let _ = std::fs::remove_dir_all(&dir);
}
