//! Instructions per decision, counted by callgrind: the figure that stays put on a loaded machine where criterion's
//! times drift by tens of percent. `cargo bench --bench icount` (valgrind must be installed) runs this binary under
//! `valgrind --tool=callgrind`, collecting only inside the decision loop, once with 1 decision and once with 1,001,
//! for the four cases of `decide.rs`, and prints (difference) / 1,000 per case: exact and repeatable, setup and the
//! loop's entry excluded.
//!
//! `icount CASE N` is the measured run (CASE: default-sendcloud, default-browser, large-sendcloud, large-browser);
//! `cargo bench --bench icount -- --compiled-large FILE` writes the large policy's compiled bytes (for a host such as
//! PHP to load: plugin-shim/php/bench/statements.php FILE).
//! To compare two builds, run each build's binary (`target/release/deps/icount-*`) the same way, one after the other.

use std::hint::black_box;
use std::process::Command;

use sendcloud_gate::{Policy, Request};

mod common;

const CASES: [&str; 4] = [
    "default-sendcloud",
    "default-browser",
    "large-sendcloud",
    "large-browser",
];

#[inline(never)]
fn icount_run(policy: &Policy, req: &Request, n: usize) {
    for _ in 0..n {
        black_box(policy.decide(black_box(req)));
    }
}

fn measured(case: &str, n: usize) {
    let policy = if case.starts_with("large") {
        Policy::from_json(common::large_policy_json().as_bytes()).unwrap()
    } else {
        Policy::default_policy()
    };
    let req = if case.ends_with("sendcloud") {
        common::sendcloud()
    } else {
        common::browser()
    };
    icount_run(&policy, &req, n);
}

/// Instructions collected inside `icount_run` for `n` decisions.
fn collected(case: &str, n: usize) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*icount_run*",
        ])
        .arg(exe)
        .args([case, &n.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(' ').next()?.trim().parse().ok()
}

fn main() {
    // `cargo bench` adds `--bench` to whatever follows `--`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.as_slice() {
        [flag, file] if flag == "--compiled-large" => {
            let policy = Policy::from_json(common::large_policy_json().as_bytes()).unwrap();
            std::fs::write(file, policy.to_bytes()).unwrap();
        }
        [case, n] if CASES.contains(&case.as_str()) => measured(case, n.parse().unwrap()),
        // Every case, or those whose name contains the first argument.
        _ => {
            let filter = args.iter().find(|a| !a.starts_with('-'));
            for case in CASES
                .iter()
                .filter(|c| filter.is_none_or(|f| c.contains(f.as_str())))
            {
                match (collected(case, 1), collected(case, 1001)) {
                    (Some(one), Some(many)) => {
                        println!(
                            "icount/{case}: {} instructions per decision",
                            (many - one) / 1000
                        )
                    }
                    _ => {
                        println!("icount: valgrind (callgrind) is needed and did not run; skipped");
                        return;
                    }
                }
            }
        }
    }
}
