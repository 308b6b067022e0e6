//! The conformance corpus through the native engine: every decision equal to the expected one, every bad policy
//! rejected with its path named. The other hosts (wasm, Node, browser, PHP) run the same files.

mod common;

use std::collections::BTreeMap;

use common::json;
use sendcloud_gate::{FieldText, Policy, Request};

fn compile_all() -> BTreeMap<String, Policy> {
    common::load_policies()
        .into_iter()
        .map(|(stem, text)| {
            let policy = match text {
                None => Policy::default_policy(),
                Some(t) => Policy::from_json(t.as_bytes())
                    .unwrap_or_else(|e| panic!("policies/{stem}.json: {e}")),
            };
            (stem, policy)
        })
        .collect()
}

fn decide(policies: &BTreeMap<String, Policy>, case: &common::Case) -> String {
    let policy = policies
        .get(&case.policy)
        .unwrap_or_else(|| panic!("{}: no policy {}", case.id, case.policy));
    let node = json::parse(case.request_json.as_bytes()).unwrap();
    let request =
        common::request_from(&node).unwrap_or_else(|| panic!("{}: not a request", case.id));
    policy.decide(&request).to_json()
}

#[test]
fn every_case_decides_as_expected() {
    let policies = compile_all();
    let cases = common::load_cases("cases.jsonl");
    assert!(
        cases.len() >= 300,
        "the corpus should hold at least 300 cases, has {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let got = decide(&policies, case);
        if got != case.expect_json {
            failures.push(format!(
                "{} (line {}):\n  expected {}\n  got      {}",
                case.id, case.line, case.expect_json, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn explain_gives_the_same_decision_as_decide() {
    let policies = compile_all();
    for case in common::load_cases("cases.jsonl") {
        let policy = &policies[&case.policy];
        let node = json::parse(case.request_json.as_bytes()).unwrap();
        let request = common::request_from(&node).unwrap();
        let explained = policy.explain(&request);
        assert_eq!(explained.decision, policy.decide(&request), "{}", case.id);
        assert!(!explained.trace.is_empty(), "{}: empty trace", case.id);
    }
}

/// The fields form the core module returns takes a shortcut for the client address (the peer's own text when it
/// is canonical): on every case, and on every case again with its remote address spelled in each other form the
/// contract accepts, it must equal the decision written out in full.
#[test]
fn fields_form_equals_the_decision_written_out() {
    let policies = compile_all();
    let spellings = |addr: &str| -> Vec<String> {
        let mut v = vec![addr.to_string()];
        if addr.parse::<std::net::Ipv4Addr>().is_ok() {
            v.extend([
                format!("::ffff:{addr}"),
                format!("[::ffff:{addr}]"),
                format!("0::FFFF:{addr}"),
            ]);
        }
        v
    };
    let mut checked = 0;
    for case in common::load_cases("cases.jsonl") {
        let policy = &policies[&case.policy];
        let node = json::parse(case.request_json.as_bytes()).unwrap();
        let request = common::request_from(&node).unwrap();
        let addr = String::from_utf8_lossy(request.remote_addr).into_owned();
        for spelled in spellings(&addr) {
            let mut r = request.clone();
            r.remote_addr = spelled.as_bytes();
            let (mut fast, mut full) = (FieldText::new(), FieldText::new());
            let decision = policy.decide(&r);
            let written_out = decision.fields(&mut full);
            assert_eq!(
                policy.decide_fields(&r, &mut fast),
                written_out,
                "{} with remote_addr {spelled}",
                case.id
            );
            // And the fields are the decision's JSON values.
            let json = decision.to_json();
            let parsed = json::parse(json.as_bytes()).unwrap();
            let json::Value::Object(members) = parsed.value else {
                panic!("{json}")
            };
            let from_json: Vec<Option<&[u8]>> = members
                .iter()
                .map(|m| match &m.value.value {
                    json::Value::String(s) => Some(&s[..]),
                    _ => None,
                })
                .collect();
            assert_eq!(from_json, written_out, "{}: {json}", case.id);
            checked += 1;
        }
    }
    assert!(checked > 600, "only {checked} requests checked");
}

#[test]
fn compiled_bytes_decide_the_same() {
    let policies = compile_all();
    let loaded: BTreeMap<&String, Policy> = policies
        .iter()
        .map(|(k, p)| (k, Policy::from_bytes(&p.to_bytes()).expect("round trip")))
        .collect();
    for case in common::load_cases("cases.jsonl") {
        assert_eq!(&loaded[&case.policy], &policies[&case.policy]);
        let node = json::parse(case.request_json.as_bytes()).unwrap();
        let request = common::request_from(&node).unwrap();
        assert_eq!(
            loaded[&case.policy].decide(&request),
            policies[&case.policy].decide(&request),
            "{}",
            case.id
        );
    }
}

#[test]
fn every_bad_policy_is_rejected_naming_its_path() {
    let bad = common::load_bad_policies();
    let mut failures = Vec::new();
    for b in &bad {
        match Policy::from_json(b.text.as_bytes()) {
            Ok(_) => failures.push(format!("{}: accepted", b.id)),
            Err(e) => {
                if let Some(path) = &b.error_path {
                    if !e.to_string().contains(path.as_str()) {
                        failures.push(format!(
                            "{}: error {:?} does not name {path}",
                            b.id,
                            e.to_string()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad policies:\n{}",
        failures.len(),
        bad.len(),
        failures.join("\n")
    );
}

#[test]
fn every_policy_warns_exactly_as_listed() {
    let warned = common::load_warnings();
    assert!(
        warned.len() > 20,
        "warnings.jsonl has {} policies",
        warned.len()
    );
    let mut failures = Vec::new();
    for w in &warned {
        match Policy::from_json(w.text.as_bytes()) {
            Err(e) => failures.push(format!("{}: refused: {e}", w.id)),
            Ok(p) => {
                let paths: Vec<String> = p.warnings().into_iter().map(|w| w.path).collect();
                // The same warnings from the compiled bytes: a host that loads bytes shows them too.
                let loaded = Policy::from_bytes(&p.to_bytes()).unwrap().warnings();
                let loaded: Vec<String> = loaded.into_iter().map(|w| w.path).collect();
                if paths != w.warnings || loaded != paths {
                    failures.push(format!(
                        "{}: expected {:?}, got {paths:?} (from bytes {loaded:?})",
                        w.id, w.warnings
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        warned.len(),
        failures.join("\n")
    );
}

/// The ambiguous cases are the corpus writer's guesses where the contract is silent; they are reported, not
/// asserted, so a reader sees where this engine chose differently.
#[test]
fn report_ambiguous_cases() {
    let policies = compile_all();
    let cases = common::load_cases("ambiguous.jsonl");
    let differing: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let got = decide(&policies, c);
            (got != c.expect_json)
                .then(|| format!("{}: guessed {} / engine {}", c.id, c.expect_json, got))
        })
        .collect();
    println!(
        "ambiguous cases: {} of {} differ from the corpus writer's guess",
        differing.len(),
        cases.len()
    );
    for d in &differing {
        println!("  {d}");
    }
}

/// `Request::with_json` (serde_json: what `decide_json`, the CLI and the JS package read requests with) reads every
/// corpus request as the tree reader this harness uses does.
#[test]
fn every_request_reads_the_same_through_serde() {
    for case in common::load_cases("cases.jsonl") {
        let node = json::parse(case.request_json.as_bytes()).unwrap();
        let tree = common::request_from(&node).unwrap().to_packed();
        let serde = Request::with_json(case.request_json.as_bytes(), |r| r.to_packed())
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        assert_eq!(serde, tree, "{}", case.id);
    }
}

/// `with_json` (serde_json) reads every text as the tree reader does: the same request, or no request.
#[test]
fn serde_reader_reads_what_the_tree_reader_reads() {
    for text in [
        &br#"{"remote_addr":"1.2.3.4","method":"get","uri":"/x","headers":{"A":"1","B":["2","3"]},"id":7}"#[..],
        br#"{"remote_addr":"1.2.3.4","method":"GET","uri":null,"query":null,"headers":null,"form":null}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","query":"a=1","form":{"_method":["PUT","DELETE"],"x":"y"}}"#,
        br#"{"remote_addr":"1.2.3.4","method":"G\u00c9T","headers":{"User-Agent":"a\ud800b","X\n":"\ud83d\ude00"}}"#,
        b"{\"remote_addr\":\"1.2.3.\xff\",\"method\":\"GET\",\"headers\":{\"\xfe\":\"\xff\"}}",
        br#"{"remote_addr":"1.2.3.4","method":"GET","headers":{"X":[]},"other":{"a":[1,2.5,{"b":null}]}}"#,
        br#"{"method":"GET"}"#,
        br#"{"remote_addr":"1.2.3.4"}"#,
        br#"{"remote_addr":1,"method":"GET"}"#,
        br#"{"remote_addr":null,"method":"GET"}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","uri":5}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","headers":{"X":1}}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","headers":{"X":["a",null]}}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","headers":{"X":[["a"]]}}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","headers":[]}"#,
        br#"{"remote_addr":"1.2.3.4","method":"GET","form":"a=1"}"#,
        br#"{"remote_addr":"1.2.3.4","remote_addr":"1.2.3.4","method":"GET"}"#,
        br#"[]"#,
        b"",
        b"{",
        br#"{"remote_addr":"1.2.3.4","method":"GET"} x"#,
    ] {
        let tree = json::parse(text)
            .ok()
            .and_then(|n| common::request_from(&n).map(|r| r.to_packed()));
        let serde = Request::with_json(text, |r| r.to_packed()).ok();
        assert_eq!(serde, tree, "{}", String::from_utf8_lossy(text));
    }
    let why = |text: &[u8]| Request::with_json(text, |_| ()).unwrap_err().to_string();
    assert_eq!(
        why(br#"{"remote_addr":"1.2.3.4"}"#),
        "not a request: method: is required"
    );
    assert_eq!(
        why(br#"{"remote_addr":"1.2.3.4","method":"GET","headers":{"X":1}}"#),
        "not a request: headers.X: must be a string or an array of strings"
    );
    assert_eq!(
        why(br#"{"remote_addr":"1.2.3.4","method":"GET","headers":[]}"#),
        "not a request: headers: must be an object of header names to values"
    );
    assert_eq!(
        why(br#"{"remote_addr":1,"method":"GET"}"#),
        "not a request: remote_addr: must be a string"
    );
}
