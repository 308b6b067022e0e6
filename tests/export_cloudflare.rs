//! The Cloudflare export, parsed and executed by `wirefilter-engine` (Cloudflare's open-source filter engine) over
//! the conformance corpus: a skip rule's expression must match exactly the requests the engine allows as partner
//! traffic, for every case a CDN edge can see.
//!
//! `wirefilter-engine` 0.6.1 (the release on crates.io) has the Rules language's fields, `in {…}` lists of
//! addresses, CIDRs and strings, `matches`, `not`, `and`, `or`, but neither functions nor raw strings. So two
//! spellings of the export are translated for it, and nothing else: `lower(http.user_agent)` becomes a field holding
//! the User-Agent with ASCII upper case lowered (what Cloudflare documents `lower()` to do), and a raw string
//! `r"REGEX"` becomes `"REGEX"`, which 0.6.1's regex lexer reads the same way (backslashes kept; the export's
//! regexes hold no `"`).
//!
//! Cases an edge cannot see, counted apart: site rules (not exported), two User-Agent headers, decisions that depend
//! on forwarding headers (at the edge `ip.src` is the connecting client; proxies behind the CDN are the origin's
//! business), method overrides or path readings (the application's engine judges those), addresses that are not IP addresses (no TCP peer has
//! one), and request-line methods not in upper case (Cloudflare compares methods as sent; the engine upper-cases).

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::json::{self, Node, Value};
use sendcloud_gate::export::cloudflare_expression;
use sendcloud_gate::internals::parse_addr;
use sendcloud_gate::{Action, Ip, Policy, Reason, Request};
use wirefilter::{ExecutionContext, Scheme, Type};

fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Object(m) => m
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case(key.as_bytes()))
            .map(|m| &m.value),
        _ => None,
    }
}

fn bytes(node: &Node) -> Vec<Vec<u8>> {
    match &node.value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(bytes).collect(),
        _ => vec![],
    }
}

/// The two spellings wirefilter-engine 0.6.1 lacks (see above).
fn for_wirefilter(expression: &str) -> String {
    assert_eq!(
        expression.matches(" matches r\"").count(),
        expression.matches(" matches ").count()
    );
    expression
        .replace("lower(http.user_agent)", "http.user_agent.lower")
        .replace(" matches r\"", " matches \"")
}

fn scheme() -> Scheme {
    let mut s = Scheme::new();
    for (name, ty) in [
        ("ip.src", Type::Ip),
        ("http.request.method", Type::Bytes),
        ("http.user_agent", Type::Bytes),
        ("http.user_agent.lower", Type::Bytes),
    ] {
        s.add_field(name.into(), ty).unwrap();
    }
    s
}

fn std_ip(ip: Ip) -> IpAddr {
    match ip {
        Ip::V4(v) => IpAddr::from(v.to_be_bytes()),
        Ip::V6(v) => IpAddr::from(v.to_be_bytes()),
    }
}

fn trim(ua: &[u8]) -> &[u8] {
    let start = ua
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(ua.len());
    let end = ua
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &ua[start..end.max(start)]
}

#[test]
fn wirefilter_runs_the_cloudflare_export_like_the_engine_decides() {
    let policies = common::load_policies();
    let mut compared = 0;
    let mut allowed = 0;
    let mut not_seen = BTreeMap::<&str, usize>::new();
    for file in ["cases.jsonl", "ambiguous.jsonl"] {
        for case in common::load_cases(file) {
            let policy = match &policies[&case.policy] {
                None => Policy::default_policy(),
                Some(text) => Policy::from_json(text.as_bytes()).unwrap(),
            };
            let expression = for_wirefilter(&cloudflare_expression(&policy));
            let node = json::parse(case.request_json.as_bytes()).unwrap();
            let remote = bytes(field(&node, "remote_addr").unwrap()).remove(0);
            let method = bytes(field(&node, "method").unwrap()).remove(0);
            let uas: Vec<Vec<u8>> = field(&node, "headers")
                .and_then(|h| field(h, "user-agent"))
                .map(bytes)
                .unwrap_or_default();
            let full = policy.decide(&common::request_from(&node).unwrap());
            let mut seen = Request::new(&remote, &method, b"/");
            if let Some(ua) = uas.first() {
                seen = seen.header(b"User-Agent", ua);
            }
            let engine = policy.decide(&seen);
            let client = parse_addr(&remote);
            let why = if full.reason == Reason::RuleMatch || engine.reason == Reason::RuleMatch {
                Some("site rule")
            } else if uas.len() > 1 {
                Some("two User-Agents")
            } else if full.to_json() != engine.to_json() {
                Some("forwarding header, method override or path")
            } else if client.is_none() {
                Some("not an IP address")
            } else if method != method.to_ascii_uppercase() {
                Some("method not in upper case")
            } else {
                None
            };
            if let Some(why) = why {
                *not_seen.entry(why).or_default() += 1;
                continue;
            }
            let ua = uas.first().map(|u| trim(u));
            let lower = ua.map(<[u8]>::to_ascii_lowercase).unwrap_or_default();
            // The scheme after the values: a context borrows them for the scheme's lifetime.
            let scheme = scheme();
            let filter = scheme
                .parse(&expression)
                .unwrap_or_else(|e| panic!("{}: {e}\n{expression}", case.policy))
                .compile();
            let mut ctx = ExecutionContext::new(&scheme);
            ctx.set_field_value("ip.src", std_ip(client.unwrap()))
                .unwrap();
            ctx.set_field_value("http.request.method", &method[..])
                .unwrap();
            ctx.set_field_value("http.user_agent", ua.unwrap_or_default())
                .unwrap();
            ctx.set_field_value("http.user_agent.lower", &lower[..])
                .unwrap();
            let got = filter.execute(&ctx).unwrap();
            let want = engine.action == Action::Allow && engine.reason == Reason::PartnerMatch;
            assert_eq!(
                got,
                want,
                "{file}:{} {} ({}): engine {}\n{expression}",
                case.line,
                case.id,
                case.policy,
                engine.to_json()
            );
            compared += 1;
            allowed += usize::from(want);
        }
    }
    eprintln!("wirefilter: compared {compared} cases ({allowed} partner traffic); not seen by an edge: {not_seen:?}");
    assert!(compared > 400 && allowed > 100, "{compared} {allowed}");
}

#[test]
fn wirefilter_parses_every_corpus_policys_export() {
    let scheme = scheme();
    for (name, text) in common::load_policies() {
        let policy = match text {
            None => Policy::default_policy(),
            Some(t) => Policy::from_json(t.as_bytes()).unwrap(),
        };
        let expression = for_wirefilter(&cloudflare_expression(&policy));
        assert!(scheme.parse(&expression).is_ok(), "{name}: {expression}");
    }
}
