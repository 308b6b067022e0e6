//! `sendcloud-gate export`: the library's export through the command line.

use std::process::{Command, Output};

use sendcloud_gate::export::Format;
use sendcloud_gate::Policy;

const BIN: &str = env!("CARGO_BIN_EXE_sendcloud-gate");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

#[test]
fn export_prints_the_librarys_rule_for_each_format() {
    for f in Format::ALL {
        let o = run(&["export", "--format", f.name()]);
        assert!(
            o.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            String::from_utf8(o.stdout).unwrap(),
            Policy::default_policy().export(f)
        );
    }
}

#[test]
fn export_reads_the_policy_and_writes_a_file() {
    let dir = std::env::temp_dir().join(format!("scg-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"partners":[{"preset":"sendcloud","add_ip":["198.51.100.0/24"],"add_methods":["PUT"]}]}"#).unwrap();
    let out = dir.join("rule.conf");
    let o = run(&[
        "export",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "nginx",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("    198.51.100.0/24 1;\n") && text.contains("|PUT)$\" 1;"),
        "{text}"
    );
    // A compiled policy gives the same rule.
    let bin = dir.join("policy.bin");
    assert!(run(&[
        "policy",
        "compile",
        policy.to_str().unwrap(),
        "-o",
        bin.to_str().unwrap()
    ])
    .status
    .success());
    let o = run(&[
        "export",
        "--format",
        "nginx",
        "--policy",
        bin.to_str().unwrap(),
    ]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), text);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn export_usage_errors_exit_2() {
    for (args, needle) in [
        (&["export"][..], "export needs --format"),
        (&["export", "--format", "iptables"], "not an export format"),
        (&["export", "--format"], "--format needs a value"),
        (
            &["export", "--format", "nginx", "--bogus"],
            "unknown argument",
        ),
        (
            &[
                "export",
                "--format",
                "nginx",
                "--policy",
                "/nonexistent/p.json",
            ],
            "cannot read /nonexistent/p.json",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}
