//! The command line as a user runs it: outputs, exit statuses, and error messages that say where.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sendcloud-gate");
const SC_UA: &str = "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)";

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sendcloud-gate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn check_one_request() {
    let o = run(&[
        "check",
        "--json",
        "--remote-addr",
        "94.232.247.10",
        "--method",
        "patch",
        "--uri",
        "/wp-json/wc/v3/orders/1",
        "--ua",
        SC_UA,
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "{\"action\":\"allow\",\"reason\":\"partner_match\",\"rule\":\"sendcloud\",\"client_ip\":\"94.232.247.10\",\"method\":\"PATCH\"}\n"
    );
    let o = run(&[
        "check",
        "--remote-addr",
        "203.0.113.7",
        "--header",
        "User-Agent: Sendcloud/1.0.0",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with("pass   impersonation"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_deny_is_still_exit_zero() {
    let policy = temp("deny.json", br#"{"impersonation":"deny"}"#);
    let o = run(&[
        "check",
        "--json",
        "--policy",
        policy.to_str().unwrap(),
        "--remote-addr",
        "203.0.113.7",
        "--ua",
        "Sendcloud/1.0.0",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("\"action\":\"deny\""));
}

#[test]
fn explain_shows_trace_and_provenance() {
    let o = run(&[
        "explain",
        "--remote-addr",
        "94.232.247.10",
        "--method",
        "PUT",
        "--ua",
        SC_UA,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("pass   method_not_allowed"), "{out}");
    assert!(
        out.contains("not in GET, POST, OPTIONS, PATCH, DELETE"),
        "{out}"
    );
    assert!(out.contains("NOT verified"), "{out}");
    assert!(out.contains("https://support.sendcloud.com/"), "{out}");
    assert!(out.contains("add_methods"), "{out}");
    let o = run(&[
        "explain",
        "--json",
        "--remote-addr",
        "94.232.247.10",
        "--ua",
        SC_UA,
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("\"trace\":[") && out.contains("\"provenance\":{\"preset\":\"sendcloud\""),
        "{out}"
    );
    assert!(out.contains("\"verified\":false"), "{out}");
}

#[test]
fn requests_file_in_order_and_from_stdin() {
    let lines = format!(
        "{}\n\n{}\n{}\n",
        r#"{"remote_addr":"94.232.247.10","method":"GET","headers":{"User-Agent":"Sendcloud/1.0.0"}}"#,
        r#"{"remote_addr":"not-an-ip","method":"GET"}"#,
        r#"{"remote_addr":"198.51.100.1","method":"DELETE","uri":"/?_method=GET","headers":{"X-HTTP-Method-Override":"PATCH"}}"#,
    );
    let file = temp("requests.jsonl", lines.as_bytes());
    for o in [
        run(&["check", "--json", "--requests", file.to_str().unwrap()]),
        run_stdin(&["check", "--json", "--requests", "-"], lines.as_bytes()),
    ] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out: Vec<String> = stdout(&o).lines().map(String::from).collect();
        assert_eq!(out.len(), 3);
        assert!(out[0].contains("partner_match"));
        assert!(out[1].contains("malformed_input") && out[1].contains("\"client_ip\":null"));
        assert!(out[2].contains("ambiguous_method_override"));
    }
}

#[test]
fn a_line_that_is_not_a_request_names_line_and_field() {
    let lines =
        b"{\"remote_addr\":\"94.232.247.10\",\"method\":\"GET\"}\n{\"remote_addr\":\"1.2.3.4\"}\n";
    let o = run_stdin(&["check", "--json", "--requests", "-"], lines);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("<stdin>:2") && err.contains("method"), "{err}");
    let o = run_stdin(&["check", "--requests", "-"], b"not json\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<stdin>:1"), "{}", stderr(&o));
    let o = run_stdin(
        &["check", "--requests", "-"],
        b"{\"remote_addr\":\"1.2.3.4\",\"method\":\"GET\",\"headers\":{\"X\":[1]}}\n",
    );
    assert!(stderr(&o).contains("headers.X"), "{}", stderr(&o));
}

#[test]
fn policy_check_and_show() {
    let good = temp("good.json", br#"{"partners":[{"preset":"sendcloud","add_ip":["198.51.100.0/24"],"add_methods":["put"]}]}"#);
    let o = run(&["policy", "check", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["policy", "show", good.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("\"198.51.100.0/24\"") && out.contains("\"PUT\""),
        "{out}"
    );
    assert!(
        out.contains("\"verified\":false") && out.contains("\"reviewed\":"),
        "{out}"
    );
    let o = run(&["policy", "show"]);
    assert!(stdout(&o).contains("\"94.232.247.0/24\""));

    let bad = temp("bad.json", b"{\n  \"rules\": [\n    {\"id\": \"a\", \"action\": \"deny\"},\n    {\"id\": \"b\", \"action\": \"allow\", \"ip\": [\"10.0.0.0/33\"]}\n  ]\n}\n");
    let o = run(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.json:4:")
            && err.contains("rules[1].ip[0]: \"10.0.0.0/33\" is not an IP range"),
        "{err}"
    );
    // An invalid policy is refused for check too, before any request is read.
    let o = run(&[
        "check",
        "--policy",
        bad.to_str().unwrap(),
        "--remote-addr",
        "1.2.3.4",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
}

#[test]
fn compiled_policy_files_work_everywhere_a_policy_does() {
    let json = temp(
        "c.json",
        br#"{"rules":[{"id":"office","action":"allow","ip":["192.0.2.10"]}]}"#,
    );
    let bin = json.with_extension("bin");
    let o = run(&[
        "policy",
        "compile",
        json.to_str().unwrap(),
        "-o",
        bin.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "check",
        "--json",
        "--policy",
        bin.to_str().unwrap(),
        "--remote-addr",
        "192.0.2.10",
    ]);
    assert!(stdout(&o).contains("\"rule\":\"office\""), "{}", stdout(&o));
    let mut bytes = std::fs::read(&bin).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&bin, &bytes).unwrap();
    let o = run(&[
        "check",
        "--policy",
        bin.to_str().unwrap(),
        "--remote-addr",
        "192.0.2.10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["frobnicate"][..],
        &["check"],
        &["check", "--remote-addr"],
        &["check", "--remote-addr", "1.2.3.4", "--bogus"],
        &["check", "--remote-addr", "1.2.3.4", "--header", "no colon"],
        &["check", "--requests", "-", "--remote-addr", "1.2.3.4"],
        &[
            "check",
            "--policy",
            "/nonexistent/policy.json",
            "--remote-addr",
            "1.2.3.4",
        ],
        &["policy", "check"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).is_empty(), "{args:?}");
    }
    assert_eq!(run(&["--help"]).status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_are_request_bytes_or_a_clear_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let bad = OsStr::from_bytes(b"SendCloud/1.0 (woo\xff; https://www.sendcloud.sc)");
    let o = Command::new(BIN)
        .args(["check", "--json", "--remote-addr", "94.232.247.10", "--ua"])
        .arg(bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(r#""reason":"malformed_input""#),
        "{}",
        stdout(&o)
    );

    // Invalid bytes in a header value reach the engine as they are, too.
    let o = Command::new(BIN)
        .args([
            "check",
            "--json",
            "--remote-addr",
            "94.232.247.10",
            "--header",
        ])
        .arg(OsStr::from_bytes(b"X-Forwarded-For: 1.2.3.4\xc3"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // A flag or command that is not UTF-8 is a usage error naming it, never a panic.
    for args in [
        vec![OsStr::from_bytes(b"che\xffck")],
        vec![OsStr::new("check"), OsStr::from_bytes(b"--j\xffson")],
    ] {
        let o = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            e.contains("is not valid UTF-8") && !e.contains("panicked"),
            "{e}"
        );
    }
}

#[test]
fn policy_warnings_go_to_stderr_with_their_path_and_exit_zero() {
    let file = temp(
        "warn.json",
        br#"{"rules": [{"id": "api", "action": "allow", "paths": ["/wp-json/office"]}]}"#,
    );
    let o = run(&["policy", "check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warn.json: warning: rules[0]: allow rule \"api\" has no ip condition"),
        "{err}"
    );
    assert!(
        err.contains("warn.json: warning: rules[0].paths[0]: \"/wp-json/office\""),
        "{err}"
    );
    assert!(stdout(&o).contains("valid"));
    // A policy without warnings prints none.
    let quiet = temp(
        "quiet.json",
        br#"{"rules": [{"id": "o", "action": "allow", "ip": ["192.0.2.1"]}]}"#,
    );
    let o = run(&["policy", "check", quiet.to_str().unwrap()]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
    // A policy that would let everyone in is an error, not a warning.
    let wide = temp(
        "wide.json",
        br#"{"trusted_proxies": {"ranges": ["0.0.0.0/0"]}}"#,
    );
    let o = run(&["policy", "check", wide.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("trusted_proxies.ranges[0]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn query_and_form_reach_the_engine() {
    let base = [
        "check",
        "--json",
        "--remote-addr",
        "94.232.247.10",
        "--method",
        "POST",
        "--ua",
        "Sendcloud/1.0.0",
    ];
    let o = run(&base);
    assert!(stdout(&o).contains(r#""action":"allow""#), "{}", stdout(&o));
    for extra in [
        ["--query", "_method=PUT"],
        ["--form", "_method=PUT"],
        ["--form", "ps_method=PUT"],
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra).collect();
        let o = run(&args);
        assert!(
            stdout(&o).contains(r#""reason":"method_not_allowed","rule":"sendcloud","client_ip":"94.232.247.10","method":"PUT""#),
            "{extra:?}: {}",
            stdout(&o)
        );
    }
}
