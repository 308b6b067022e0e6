//! `sendcloud-gate replay` as a user runs it: the summary, --json, --only, gzip and standard input, errors that
//! say what is wrong, and the access log of a real nginx (`nginx_access_log`).

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

/// A real nginx on a loopback port, its combined access log and nginx's `main` layout (with X-Forwarded-For),
/// replayed. nginx is installed with apt-get when missing; when that is impossible the test says so loudly.
#[test]
fn nginx_access_log() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let nginx = match nginx {
        Some(n) => n.to_string(),
        None => {
            let ok = Command::new("apt-get")
                .args(["install", "-y", "-q", "nginx-light"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
                || Command::new("apt-get")
                    .args(["install", "-y", "-q", "nginx"])
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
            if !ok || !Path::new("/usr/sbin/nginx").exists() {
                eprintln!("\n!!!!!!!! nginx_access_log SKIPPED: nginx is not installed and apt-get could not install it !!!!!!!!\n");
                return;
            }
            "/usr/sbin/nginx".to_string()
        }
    };
    let curl = Path::new("/usr/bin/curl").exists();
    if !curl {
        eprintln!("\n!!!!!!!! nginx_access_log SKIPPED: curl is missing !!!!!!!!\n");
        return;
    }
    let dir = tempdir("nginx");
    // A port the system just gave out and nobody holds: less likely taken than one derived from the process id.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
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
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let mut up = false;
    for _ in 0..100 {
        if Command::new("curl")
            .args(["-s", "-o", "/dev/null", &url("/ready")])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
        {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
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
        if !up {
            break;
        }
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
                "-H",
                &format!("X-Forwarded-For: {xff}"),
                &url(path),
            ])
            .output()
            .unwrap();
        codes.push(text(&o.stdout));
    }
    // nginx writes a request's log line after its response has gone out: wait for the six lines (the readiness
    // probe and five requests) before stopping it, or a loaded machine loses the last one.
    let logged = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    for _ in 0..100 {
        if !up || (logged("main.log") >= 6 && logged("combined.log") >= 6) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        up,
        "nginx did not answer: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
    assert_eq!(codes, ["200", "403", "405", "403", "200"]);

    // nginx's main layout with X-Forwarded-For, the loopback proxy trusted: the clients are the forwarded ones.
    let policy = dir.join("trust-loopback.json");
    std::fs::write(&policy, r#"{"trusted_proxies":{"presets":["loopback"]}}"#).unwrap();
    let main_log = dir.join("main.log");
    let o = run(&[
        "replay",
        "--policy",
        policy.to_str().unwrap(),
        main_log.to_str().unwrap(),
    ]);
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
        policy.to_str().unwrap(),
        main_log.to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with(r#"{"line":3,"status":403,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.10","method":"PATCH","uri":"/wp-json/wc/v3/orders/12""#), "{out}");
    assert!(lines[1].starts_with(r#"{"line":4,"status":405,"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.11","method":"DELETE""#), "{out}");

    // The combined log (no forwarding header): with the loopback address added to Sendcloud's, every request with
    // Sendcloud's User-Agent is its own (the "impostor" too: it came from 127.0.0.1).
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
        dir.join("combined.log").to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains(r#""refused":{"own_requests":4,"count":3,"first":"#),
        "{out}"
    );
    assert_eq!(
        out.lines().count(),
        1,
        "every Sendcloud request is allowed by the policy: {out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
