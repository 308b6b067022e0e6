//! The exported server rules against the engine.
//!
//! - Property: the regular expression of any User-Agent pattern matches exactly what the pattern matches, run as
//!   ModSecurity, Apache and nginx run it (PCRE: bytes, ASCII case-insensitive, here the `regex` crate with Unicode
//!   off) and as Cloudflare runs it (Rust's regex over `lower(http.user_agent)`).
//! - Corpus: every conformance case, seen as a server sees it (the client address, the request line's method, one
//!   User-Agent), gets "verified" from the nginx export (its text evaluated as nginx evaluates `geo` and `map`)
//!   exactly when the engine allows it as partner traffic, with the same partner. The cases a server rule cannot judge are counted, not compared: site rules (not exported), trusted
//!   proxies (the server's real-IP module resolves the client), two User-Agent headers, and method overrides (the
//!   engine in the application judges those; the comparison uses the request without them).
//!
//! The servers themselves run the exported rules in `tests/export-servers.sh`.

mod common;

use common::json::{self, Node, Value};
use proptest::prelude::*;
use sendcloud_gate::export::{self, cloudflare_expression, user_agent_regex, Case, Format};
use sendcloud_gate::internals::parse_addr;
use sendcloud_gate::internals::Pattern;
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
        let flag = user_agent_regex([src.as_str()], Case::Flag);
        prop_assert_eq!(pcre(&flag).is_match(ua.as_bytes()), want, "{} vs {:?}", flag, ua);
        let low = user_agent_regex([src.as_str()], Case::Lower);
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

/// The nginx export, evaluated as nginx evaluates it: `geo` blocks over the client address, `map` blocks over
/// variables (regexes `~*` ASCII case-insensitive, `~` sensitive, exact strings otherwise; the first regex that
/// matches wins), for `$sendcloud_gate_partner`.
struct Nginx {
    geos: Vec<(String, Vec<sendcloud_gate::internals::Cidr>)>,
    maps: Vec<NginxMap>,
}

/// A `map` block: (variable, source, default, entries).
type NginxMap = (String, String, String, Vec<(Match, String)>);

enum Match {
    Exact(String),
    Regex(regex::bytes::Regex),
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

impl Nginx {
    fn parse(text: &str) -> Nginx {
        let mut n = Nginx {
            geos: vec![],
            maps: vec![],
        };
        let mut lines = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty());
        while let Some(line) = lines.next() {
            let head: Vec<&str> = line.trim_end_matches(" {").splitn(3, ' ').collect();
            let body: Vec<(String, String)> = lines
                .by_ref()
                .take_while(|l| *l != "}")
                .map(|l| {
                    let l = l.trim().strip_suffix(';').unwrap();
                    let (k, v) = l.rsplit_once(' ').unwrap();
                    (k.to_string(), unquote(v).to_string())
                })
                .collect();
            let default = body
                .iter()
                .find(|(k, _)| k == "default")
                .map(|(_, v)| v.clone())
                .unwrap();
            let entries = body.into_iter().filter(|(k, _)| k != "default");
            match head[..] {
                ["geo", var] => {
                    assert_eq!(default, "0");
                    let cidrs = entries
                        .map(|(k, v)| {
                            assert_eq!(v, "1");
                            sendcloud_gate::internals::Cidr::parse(&k).unwrap()
                        })
                        .collect();
                    n.geos.push((var.to_string(), cidrs));
                }
                ["map", source, var] => {
                    let entries = entries
                        .map(|(k, v)| {
                            let k = unquote(&k);
                            let m = if let Some(re) = k.strip_prefix("~*") {
                                Match::Regex(
                                    regex::bytes::RegexBuilder::new(re)
                                        .case_insensitive(true)
                                        .unicode(false)
                                        .build()
                                        .unwrap(),
                                )
                            } else if let Some(re) = k.strip_prefix('~') {
                                Match::Regex(
                                    regex::bytes::RegexBuilder::new(re)
                                        .unicode(false)
                                        .build()
                                        .unwrap(),
                                )
                            } else {
                                Match::Exact(k.to_string())
                            };
                            (m, v)
                        })
                        .collect();
                    n.maps.push((
                        var.to_string(),
                        unquote(source).to_string(),
                        default,
                        entries,
                    ));
                }
                _ => panic!("unexpected line {line:?}"),
            }
        }
        n
    }

    fn var(
        &self,
        name: &str,
        client: Option<sendcloud_gate::Ip>,
        method: &[u8],
        ua: &[u8],
    ) -> Vec<u8> {
        match name {
            "$request_method" => return method.to_vec(),
            "$http_user_agent" => return ua.to_vec(),
            _ => {}
        }
        if let Some((_, cidrs)) = self.geos.iter().find(|(v, _)| v == name) {
            let hit = client.is_some_and(|ip| {
                sendcloud_gate::internals::RangeSet::from_cidrs(cidrs).contains(&ip)
            });
            return if hit { b"1".to_vec() } else { b"0".to_vec() };
        }
        let (_, source, default, entries) = self
            .maps
            .iter()
            .find(|(v, ..)| v == name)
            .unwrap_or_else(|| panic!("{name}"));
        // The source: variables ($name, up to the next `$`) and text.
        let mut value = Vec::new();
        for (i, part) in source.split('$').enumerate() {
            if i == 0 {
                value.extend_from_slice(part.as_bytes());
            } else {
                value.extend(self.var(&format!("${part}"), client, method, ua));
            }
        }
        let exact = entries
            .iter()
            .find(|(m, _)| matches!(m, Match::Exact(s) if s.as_bytes() == value));
        let hit = exact.or_else(|| {
            entries
                .iter()
                .find(|(m, _)| matches!(m, Match::Regex(re) if re.is_match(&value)))
        });
        hit.map_or(default, |(_, v)| v).as_bytes().to_vec()
    }
}

/// What the nginx export of `policy` says about a request the server sees as (client, method, User-Agent): the
/// partner's id, or `None`.
fn server_verified(
    policy: &Policy,
    client: &[u8],
    method: &[u8],
    ua: Option<&[u8]>,
) -> Option<String> {
    let nginx = Nginx::parse(&export::export(policy, Format::Nginx));
    // nginx strips the spaces and tabs around a header value, as the engine trims.
    let ua = ua.unwrap_or_default();
    let start = ua
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(ua.len());
    let end = ua
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    let ua = &ua[start..end.max(start)];
    let partner = nginx.var("$sendcloud_gate_partner", parse_addr(client), method, ua);
    let verified = nginx.var("$sendcloud_gate_verified", parse_addr(client), method, ua);
    assert_eq!(verified == b"1", !partner.is_empty());
    (!partner.is_empty()).then(|| String::from_utf8(partner).unwrap())
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
            let full = policy.decide(&common::request_from(&node).unwrap());
            let mut skip = None;
            if full.reason == Reason::RuleMatch {
                skip = Some("site rule");
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
                // Forwarding headers (the server's real-IP module resolves the client), method overrides and path
                // readings (the application's engine judges those).
                skip = Some("forwarding header, method override or path");
            }
            if let Some(why) = skip {
                *not_comparable.entry(why).or_default() += 1;
                continue;
            }
            let want = engine.action == Action::Allow && engine.reason == Reason::PartnerMatch;
            let got = server_verified(&policy, &remote, &method, uas.first().map(Vec::as_slice));
            if want {
                assert_eq!(
                    got.as_deref(),
                    engine.rule,
                    "{file}:{} {}",
                    case.line,
                    case.id
                );
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

/// The ranges of the enabled partners, from `policy show`.
fn enabled_ranges(policy: &Policy) -> Vec<String> {
    let shown = json::parse(policy.show_json().as_bytes()).unwrap();
    let Some(Value::Array(partners)) = field(&shown, "partners").map(|n| &n.value) else {
        panic!("no partners")
    };
    partners
        .iter()
        .filter(|p| {
            matches!(
                field(p, "enabled").map(|n| &n.value),
                Some(Value::Bool(true))
            )
        })
        .flat_map(|p| bytes(field(p, "ip").unwrap()))
        .map(|r| String::from_utf8(r).unwrap())
        .collect()
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
            // Every enabled partner's ranges are in it (as `policy show` lists them).
            for r in enabled_ranges(&policy) {
                assert!(out.contains(&r), "{name} {f}: {r}");
            }
        }
        let cf = cloudflare_expression(&policy);
        assert!(cf.starts_with('(') && cf.ends_with(')'), "{name}: {cf}");
    }
}
