//! The exported server rules against the engine.
//!
//! - Property: the regular expression of any User-Agent pattern matches exactly what the pattern matches, run as
//!   ModSecurity, Apache and nginx run it (PCRE: bytes, ASCII case-insensitive, here the `regex` crate with Unicode
//!   off) and as Cloudflare runs it (Rust's regex over `lower(http.user_agent)`).
//! - Corpus: every conformance case, seen as a server sees it (the client address, the request line's method, one
//!   User-Agent), gets "verified" from the exported regexes and ranges exactly when the engine allows it as partner
//!   traffic. The cases a server rule cannot judge are counted, not compared: site rules (not exported), trusted
//!   proxies (the server's real-IP module resolves the client), two User-Agent headers, and method overrides (the
//!   engine in the application judges those; the comparison uses the request without them).
//!
//! The servers themselves run the exported rules in `tests/export-servers.sh`.

mod common;

use proptest::prelude::*;
use sendcloud_gate::addr::parse_addr;
use sendcloud_gate::export::{
    self, cloudflare_expression, method_regex, user_agent_regex, Case, Format,
};
use sendcloud_gate::json::{self, Node, Value};
use sendcloud_gate::pattern::Pattern;
use sendcloud_gate::{Action, Policy, Reason, Request};

fn pcre(re: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(re)
        .case_insensitive(true)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("{re}: {e}"))
}

fn lower(re: &str) -> regex::bytes::Regex {
    // Cloudflare's fields are bytes; its regexes are Rust's, Unicode on, no flags.
    regex::bytes::Regex::new(re).unwrap_or_else(|e| panic!("{re}: {e}"))
}

#[derive(Clone, Debug)]
enum Tok {
    Lit(char),
    Star,
    Shop,
}

fn tok() -> impl Strategy<Value = Tok> {
    prop_oneof![
        6 => prop::sample::select(vec![
            'a', 'S', 'k', 'Z', '0', '.', '(', ')', '+', '?', '\\', ' ', '"', '\'', '#', '%', ';', '/', '[', '{', '}',
            '|', '^', '$', '-', '_', '\t', 'é', 'ſ',
        ])
        .prop_map(Tok::Lit),
        1 => Just(Tok::Star),
        1 => Just(Tok::Shop),
    ]
}

fn source(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => c.to_string(),
            Tok::Star => "*".into(),
            Tok::Shop => "{shop}".into(),
        })
        .collect()
}

/// A User-Agent built from the pattern with random choices: often a match, often a near miss.
fn instance(toks: &[Tok], noise: &[u8]) -> String {
    let mut out = String::new();
    let mut n = noise.iter().copied().cycle();
    let mut next = || n.next().unwrap_or(0);
    for t in toks {
        match t {
            Tok::Lit(c) => match next() % 10 {
                0 => {}                                           // dropped
                1 => out.push_str(&c.to_uppercase().to_string()), // case (Unicode's, which the engine ignores)
                2 => out.push('x'),                               // replaced
                _ => out.push(*c),
            },
            Tok::Star => {
                for _ in 0..next() % 4 {
                    out.push(['a', ' ', '(', '\\', 'é'][usize::from(next()) % 5]);
                }
            }
            Tok::Shop => {
                let len = usize::from(next()) % 35;
                for _ in 0..len {
                    out.push(['w', 'O', '3', '.', '_', '-', ' ', '/'][usize::from(next()) % 8]);
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn regexes_match_exactly_what_patterns_match(
        toks in prop::collection::vec(tok(), 0..12)
            .prop_filter("at most 4 {shop}", |t| t.iter().filter(|t| matches!(t, Tok::Shop)).count() <= 4),
        noise in prop::collection::vec(any::<u8>(), 1..40),
    ) {
        let src = source(&toks);
        let pattern = Pattern::parse(&src).unwrap();
        let ua = instance(&toks, &noise);
        let want = pattern.matches(ua.as_bytes());
        let flag = user_agent_regex(std::slice::from_ref(&pattern), Case::Flag);
        prop_assert_eq!(pcre(&flag).is_match(ua.as_bytes()), want, "{} vs {:?}", flag, ua);
        let low = user_agent_regex(std::slice::from_ref(&pattern), Case::Lower);
        prop_assert_eq!(lower(&low).is_match(ua.to_ascii_lowercase().as_bytes()), want, "{} vs {:?}", low, ua);
        // The source itself always matches, as the engine says.
        if !src.contains('*') && !src.contains("{shop}") {
            prop_assert!(pcre(&flag).is_match(src.as_bytes()));
        }
    }
}

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

/// What a server rule exported from `policy` says about a request the server sees as (client, method, UA): the
/// id of the first partner whose ranges, patterns and methods all match.
fn server_verified<'p>(
    policy: &'p Policy,
    client: &[u8],
    method: &[u8],
    ua: Option<&[u8]>,
) -> Option<&'p str> {
    let ip = parse_addr(client)?;
    policy
        .partners
        .iter()
        .filter(|p| p.enabled && !p.user_agents.is_empty() && !p.methods.is_empty())
        .find(|p| {
            // The ranges as exported (text), parsed back.
            let ranges: Vec<_> = sendcloud_gate::addr::cidrs_to_strings(&p.ranges)
                .iter()
                .map(|r| sendcloud_gate::addr::Cidr::parse(r).unwrap())
                .collect();
            sendcloud_gate::addr::RangeSet::from_cidrs(&ranges).contains(&ip)
                && pcre(&method_regex(p.methods.iter())).is_match(method)
                && ua.is_some_and(|ua| {
                    // Servers strip the spaces and tabs around a header value, as the engine trims.
                    let ua = ua.trim_ascii_start();
                    let ua = ua
                        .iter()
                        .rposition(|b| !matches!(b, b' ' | b'\t'))
                        .map_or(&ua[..0], |end| &ua[..=end]);
                    pcre(&user_agent_regex(&p.user_agents, Case::Flag)).is_match(ua)
                        && lower(&user_agent_regex(&p.user_agents, Case::Lower))
                            .is_match(&ua.to_ascii_lowercase())
                })
        })
        .map(|p| p.id.as_str())
}

#[test]
fn the_corpus_seen_by_a_server_gets_the_engines_verdict() {
    let policies = common::load_policies();
    let mut compared = 0;
    let mut allowed = 0;
    let mut not_comparable = std::collections::BTreeMap::<&str, usize>::new();
    for file in ["cases.jsonl", "ambiguous.jsonl"] {
        for case in common::load_cases(file) {
            let policy = match &policies[&case.policy] {
                None => Policy::default_policy(),
                Some(text) => Policy::from_json(text.as_bytes()).unwrap(),
            };
            let node = json::parse(case.request_json.as_bytes()).unwrap();
            let remote = bytes(field(&node, "remote_addr").unwrap()).remove(0);
            let method = bytes(field(&node, "method").unwrap()).remove(0);
            let uas: Vec<Vec<u8>> = field(&node, "headers")
                .and_then(|h| field(h, "user-agent"))
                .map(bytes)
                .unwrap_or_default();
            let full = policy.decide(&Request::from_json(&node).unwrap());
            let mut skip = None;
            if full.reason == Reason::RuleMatch {
                skip = Some("site rule");
            } else if parse_addr(&remote).is_some_and(|ip| policy.trusted_proxies.contains(&ip)) {
                skip = Some("trusted proxy");
            } else if uas.len() > 1 {
                skip = Some("two User-Agents");
            }
            // The request as a server sees it: no overrides, no query, no form.
            let mut seen = Request::new(&remote, &method, b"/");
            if let Some(ua) = uas.first() {
                seen = seen.header(b"User-Agent", ua);
            }
            let engine = policy.decide(&seen);
            if skip.is_none() && engine.reason == Reason::RuleMatch {
                skip = Some("site rule");
            }
            if skip.is_none() && full.to_json() != engine.to_json() {
                skip = Some("method override or path (the application's engine judges)");
            }
            if let Some(why) = skip {
                *not_comparable.entry(why).or_default() += 1;
                continue;
            }
            let want = engine.action == Action::Allow && engine.reason == Reason::PartnerMatch;
            let got = server_verified(&policy, &remote, &method, uas.first().map(Vec::as_slice));
            if got.is_some() && !want && engine.rule.is_some_and(|r| Some(r) != got) {
                // An earlier partner's ranges or User-Agent decided first (partner order is not exported).
                *not_comparable
                    .entry("an earlier partner decides")
                    .or_default() += 1;
                continue;
            }
            let got = got.is_some();
            assert_eq!(
                got,
                want,
                "{file}:{} {} ({}): engine {}",
                case.line,
                case.id,
                case.policy,
                engine.to_json()
            );
            compared += 1;
            allowed += usize::from(want);
        }
    }
    eprintln!(
        "compared {compared} cases ({allowed} partner traffic); not comparable: {not_comparable:?}"
    );
    assert!(compared > 450 && allowed > 100, "{compared} {allowed}");
}

#[test]
fn every_format_exports_every_corpus_policy() {
    for (name, text) in common::load_policies() {
        let policy = match text {
            None => Policy::default_policy(),
            Some(t) => Policy::from_json(t.as_bytes()).unwrap(),
        };
        for f in Format::ALL {
            let out = export::export(&policy, f);
            assert!(out.starts_with("# sendcloud-gate "), "{name} {f}");
            // Every partner that can match is in it.
            for p in policy
                .partners
                .iter()
                .filter(|p| p.enabled && !p.ranges.to_cidrs().is_empty())
            {
                for r in sendcloud_gate::addr::cidrs_to_strings(&p.ranges) {
                    assert!(out.contains(&r), "{name} {f}: {r}");
                }
            }
        }
        let cf = cloudflare_expression(&policy);
        assert!(cf.starts_with('(') && cf.ends_with(')'), "{name}: {cf}");
    }
}
