//! The conformance corpus (`tests/corpus/`), loaded once for every Rust test that runs it through a host.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod json;

use json::{Node, Value};
use sendcloud_gate::Request;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One line of `cases.jsonl` or `ambiguous.jsonl`.
pub struct Case {
    pub id: String,
    pub line: usize,
    /// A stem of `policies/`, or `default`.
    pub policy: String,
    /// The request exactly as written, as JSON text.
    pub request_json: String,
    /// The expected decision as canonical decision JSON (`Decision::to_json` key order).
    pub expect_json: String,
}

fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Object(m) => m.iter().find(|m| m.key == key.as_bytes()).map(|m| &m.value),
        _ => None,
    }
}

fn text(node: Option<&Node>) -> Option<String> {
    match node.map(|n| &n.value) {
        Some(Value::String(s)) => {
            Some(String::from_utf8(s.clone()).expect("corpus strings are UTF-8"))
        }
        _ => None,
    }
}

/// Writes a JSON node back as compact JSON text.
pub fn to_json(node: &Node) -> String {
    let mut out = String::new();
    write(&mut out, node);
    out
}

fn write(out: &mut String, node: &Node) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => json::write_bytes(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::write_bytes(out, &m.key);
                out.push(':');
                write(out, &m.value);
            }
            out.push('}');
        }
    }
}

fn canonical_decision(expect: &Node) -> String {
    let mut out = String::from("{");
    for (i, key) in ["action", "reason", "rule", "client_ip", "method"]
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{key}\":"));
        match field(expect, key) {
            Some(n) => write(&mut out, n),
            None => panic!("expect lacks {key}"),
        }
    }
    out.push('}');
    out
}

pub fn load_cases(file: &str) -> Vec<Case> {
    let path = corpus_dir().join(file);
    let text_all =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text_all
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let node =
                json::parse(l.as_bytes()).unwrap_or_else(|e| panic!("{file}:{}: {e}", i + 1));
            Case {
                id: text(field(&node, "id")).expect("id"),
                line: i + 1,
                policy: text(field(&node, "policy")).expect("policy"),
                request_json: to_json(field(&node, "request").expect("request")),
                expect_json: canonical_decision(field(&node, "expect").expect("expect")),
            }
        })
        .collect()
}

/// Policy texts by stem; `default` maps to `None` (no policy given).
pub fn load_policies() -> BTreeMap<String, Option<String>> {
    let mut map = BTreeMap::new();
    map.insert("default".to_string(), None);
    for entry in std::fs::read_dir(corpus_dir().join("policies")).expect("policies dir") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            map.insert(stem, Some(std::fs::read_to_string(&path).unwrap()));
        }
    }
    map
}

/// One line of `bad-policies.jsonl`: the policy text and the path its error must name.
pub struct BadPolicy {
    pub id: String,
    pub text: String,
    pub error_path: Option<String>,
}

/// The objects of one of the corpus's `.jsonl` files, one a line.
fn jsonl(name: &str) -> Vec<Node> {
    std::fs::read_to_string(corpus_dir().join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| json::parse(l.as_bytes()).unwrap())
        .collect()
}

pub fn load_bad_policies() -> Vec<BadPolicy> {
    jsonl("bad-policies.jsonl")
        .into_iter()
        .map(|node| {
            let policy = field(&node, "policy").expect("policy");
            let policy_text = match &policy.value {
                Value::String(s) => String::from_utf8(s.clone()).unwrap(),
                _ => to_json(policy),
            };
            BadPolicy {
                id: text_of(field(&node, "id")),
                text: policy_text,
                error_path: text(field(&node, "error_path")),
            }
        })
        .collect()
}

fn text_of(node: Option<&Node>) -> String {
    text(node).unwrap_or_default()
}

/// One line of `warnings.jsonl`: a valid policy and the JSON paths of its warnings, in order.
pub struct Warned {
    pub id: String,
    pub text: String,
    pub warnings: Vec<String>,
}

pub fn load_warnings() -> Vec<Warned> {
    jsonl("warnings.jsonl")
        .into_iter()
        .map(|node| {
            let warnings = match &field(&node, "warnings").expect("warnings").value {
                Value::Array(items) => items.iter().map(|i| text_of(Some(i))).collect(),
                _ => panic!("warnings must be an array"),
            };
            Warned {
                id: text_of(field(&node, "id")),
                text: to_json(field(&node, "policy").expect("policy")),
                warnings,
            }
        })
        .collect()
}

/// The request a corpus JSON value is, read from the harness's own tree (`json::parse`): `remote_addr` and `method`
/// strings, `uri` and `query` strings or null, `headers` and `form` objects of strings or arrays of strings, other
/// keys ignored. This was the engine's reader before it read requests with serde_json; `tests/conformance.rs` holds
/// the two to the same requests.
pub fn request_from(node: &Node) -> Option<Request<'_>> {
    let Value::Object(members) = &node.value else {
        return None;
    };
    let mut req = Request::default();
    let mut seen = [false; 6];
    for m in members {
        let at = match m.key.as_slice() {
            b"remote_addr" => 0,
            b"method" => 1,
            b"uri" => 2,
            b"headers" => 3,
            b"query" => 4,
            b"form" => 5,
            _ => continue,
        };
        if std::mem::replace(&mut seen[at], true) {
            return None;
        }
        match (at, &m.value.value) {
            (0, Value::String(s)) => req.remote_addr = s,
            (1, Value::String(s)) => req.method = s,
            (2, Value::String(s)) => req.uri = s,
            (4, Value::String(s)) => req.query = s,
            (2..=5, Value::Null) => {}
            (3 | 5, Value::Object(pairs)) => {
                for p in pairs {
                    let values: Vec<&[u8]> = match &p.value.value {
                        Value::String(v) => vec![v],
                        Value::Array(items) => items
                            .iter()
                            .map(|i| match &i.value {
                                Value::String(v) => Some(&v[..]),
                                _ => None,
                            })
                            .collect::<Option<_>>()?,
                        _ => return None,
                    };
                    for v in values {
                        if at == 3 {
                            req.headers.push(&p.key, v);
                        } else {
                            req.form.push(&p.key, v);
                        }
                    }
                }
            }
            _ => return None,
        }
    }
    (seen[0] && seen[1]).then_some(req)
}
