//! Property tests: the engine against straightforward reference models, and against arbitrary input.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use proptest::prelude::*;
use sendcloud_gate::internals::{Cidr, RangeSet};
use sendcloud_gate::Ip;
use sendcloud_gate::{Action, Policy, Reason, Request};

// ---------------------------------------------------------------------------------------------------------------
// Range sets equal a naive scan over the CIDRs as written.

fn v4_cidr() -> impl Strategy<Value = (u32, u8)> {
    // Addresses from a small neighbourhood so that ranges overlap, nest and touch often.
    (0u32..64, 20u8..=32).prop_map(|(n, p)| (0x0a00_0000 | (n << 8) | (n & 7), p))
}

fn v6_cidr() -> impl Strategy<Value = (u128, u8)> {
    (0u128..64, 100u8..=128).prop_map(|(n, p)| ((0x2001_0db8u128 << 96) | (n << 20) | (n & 15), p))
}

fn naive_contains(cidrs: &[Cidr], ip: Ip) -> bool {
    cidrs.iter().any(|c| match (c.addr(), ip) {
        (Ip::V4(net), Ip::V4(x)) => {
            c.prefix() == 0 || (x ^ net) >> (32 - u32::from(c.prefix())) == 0
        }
        (Ip::V6(net), Ip::V6(x)) => {
            c.prefix() == 0 || (x ^ net) >> (128 - u32::from(c.prefix())) == 0
        }
        (Ip::V6(net), Ip::V4(x)) => {
            let mapped = 0xffff_0000_0000u128 | u128::from(x);
            c.prefix() == 0 || (mapped ^ net) >> (128 - u32::from(c.prefix())) == 0
        }
        (Ip::V4(_), Ip::V6(_)) => false,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn range_set_membership_equals_a_naive_scan(
        v4 in prop::collection::vec(v4_cidr(), 0..40),
        v6 in prop::collection::vec(v6_cidr(), 0..20),
        probes4 in prop::collection::vec(0u32..(64 << 8) + 64, 50),
        probes6 in prop::collection::vec(0u128..(64 << 20) + 16, 50),
    ) {
        let mut cidrs = Vec::new();
        for (a, p) in v4 {
            cidrs.push(Cidr::parse(&format!("{}/{p}", std::net::Ipv4Addr::from(a))).unwrap());
        }
        for (a, p) in v6 {
            cidrs.push(Cidr::parse(&format!("{}/{p}", std::net::Ipv6Addr::from(a))).unwrap());
        }
        let set = RangeSet::from_cidrs(&cidrs);
        for p in probes4 {
            let ip = Ip::V4(0x0a00_0000 | p);
            prop_assert_eq!(set.contains(&ip), naive_contains(&cidrs, ip), "{}", ip);
        }
        for p in probes6 {
            let ip = Ip::V6((0x2001_0db8u128 << 96) | p);
            prop_assert_eq!(set.contains(&ip), naive_contains(&cidrs, ip), "{}", ip);
        }
        // The set written back as CIDRs is the same set.
        let again = RangeSet::from_cidrs(&set.to_cidrs());
        prop_assert_eq!(again, set);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// X-Forwarded-For resolution equals a reference model written with std's own parsers.

const TRUSTED: &str = "10.0.0.0/8";

/// The contract's step 2 for X-Forwarded-For (v2), written as plainly as possible: `Err` is malformed input.
fn reference_client(peer: IpAddr, header: Option<&str>) -> Result<IpAddr, ()> {
    let trusted = |ip: IpAddr| matches!(ip, IpAddr::V4(v) if v.octets()[0] == 10);
    let Some(header) = header else {
        return Ok(peer);
    };
    if !trusted(peer) {
        return Ok(peer);
    }
    // Empty elements are skipped and not counted; a header with no entry at all is malformed.
    let entries: Vec<&str> = header
        .split(',')
        .filter(|e| !e.trim_matches([' ', '\t']).is_empty())
        .collect();
    if entries.is_empty() {
        return Err(());
    }
    let parse = |e: &str| -> Option<IpAddr> {
        let e = e.trim_matches([' ', '\t']);
        let ip = IpAddr::from_str(e)
            .ok()
            .or_else(|| {
                SocketAddr::from_str(e)
                    .ok()
                    .filter(|s| s.port() != 0)
                    .map(|s| s.ip())
            })
            .or_else(|| {
                e.strip_prefix('[')?
                    .strip_suffix(']')
                    .and_then(|i| i.parse::<std::net::Ipv6Addr>().ok())
                    .map(IpAddr::V6)
            })?;
        Some(ip.to_canonical())
    };
    let mut leftmost = peer;
    for (walked, e) in entries.iter().rev().enumerate() {
        // More than 64 entries walked without finding the client.
        if walked == 64 {
            return Err(());
        }
        let ip = parse(e).ok_or(())?;
        if !trusted(ip) {
            return Ok(ip);
        }
        leftmost = ip;
    }
    Ok(leftmost)
}

fn hop() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..4).prop_map(|n| format!("10.0.0.{n}")),
        (0u8..4).prop_map(|n| format!("198.51.100.{n}")),
        (0u8..4).prop_map(|n| format!("203.0.113.{n}:{}", 1000 + u16::from(n))),
        (0u8..2).prop_map(|n| format!("203.0.113.{n}:{n}")),
        (0u8..4).prop_map(|n| format!("[2001:db8::{n}]:443")),
        (0u8..4).prop_map(|n| format!("2001:db8::{n}")),
        Just("::ffff:10.1.2.3".to_string()),
        Just("::ffff:198.51.100.9".to_string()),
        Just(String::new()),
        Just("unknown".to_string()),
        Just("10.0.0.300".to_string()),
        Just("010.0.0.1".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn forwarded_for_resolution_equals_the_reference(
        peer_trusted in any::<bool>(),
        hops in prop::collection::vec((hop(), prop_oneof![Just(""), Just(" "), Just("\t")]), 0..70),
        present in any::<bool>(),
    ) {
        let policy = Policy::from_json(format!(r#"{{"trusted_proxies":{{"ranges":["{TRUSTED}"]}},"partners":[]}}"#).as_bytes()).unwrap();
        let peer = if peer_trusted { "10.9.9.9" } else { "192.0.2.1" };
        let header: String = hops.iter().map(|(h, pad)| format!("{pad}{h}{pad}")).collect::<Vec<_>>().join(",");
        let mut req = Request::new(peer.as_bytes(), b"GET", b"/");
        if present {
            req = req.header(b"X-Forwarded-For", header.as_bytes());
        }
        let decision = policy.decide(&req);
        let expected = reference_client(peer.parse().unwrap(), present.then_some(header.as_str()));
        match expected {
            Ok(ip) => {
                prop_assert_eq!(decision.reason, Reason::NoMatch);
                prop_assert_eq!(decision.client_ip.map(|c| c.to_string()), Some(ip.to_string()));
            }
            Err(()) => {
                prop_assert_eq!(decision.reason, Reason::MalformedInput);
                prop_assert_eq!(decision.client_ip, None);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// No input panics, and garbage never gets `allow`.

const POLICIES: &[&str] = &[
    "{}",
    r#"{"impersonation":"deny","trusted_proxies":{"presets":["private","loopback"],"header":"forwarded"}}"#,
    r#"{"trusted_proxies":{"ranges":["1.0.0.0/8","10.0.0.0/8","2001:db8::/32"],"header":"x-real-ip"},
        "rules":[{"id":"p","action":"allow","paths":["/wp-json"],"user_agents":["*a*b*{shop}*"]}]}"#,
];

fn header_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"User-Agent".to_vec()),
        Just(b"x-forwarded-for".to_vec()),
        Just(b"Forwarded".to_vec()),
        Just(b"X-Real-IP".to_vec()),
        Just(b"X-HTTP-Method-Override".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

fn bytes_biased() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(
            prop::sample::select(b"0123456789abcdef.:[]%,;=\"_ ".to_vec()),
            0..64
        ),
        Just(b"94.232.247.10".to_vec()),
        Just(b"SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_requests_never_panic(
        policy_index in 0..POLICIES.len(),
        remote in bytes_biased(),
        method in bytes_biased(),
        uri in bytes_biased(),
        headers in prop::collection::vec((header_name(), bytes_biased()), 0..6),
    ) {
        let policy = Policy::from_json(POLICIES[policy_index].as_bytes()).unwrap();
        let mut req = Request::new(&remote, &method, &uri);
        for (n, v) in &headers {
            req = req.header(n, v);
        }
        let d = policy.decide(&req);
        let e = policy.explain(&req);
        prop_assert_eq!(e.decision, d);
        if d.client_ip.is_none() {
            prop_assert_ne!(d.action, Action::Allow);
        }
        if std::str::from_utf8(&remote).is_err() {
            prop_assert_eq!(d.reason, Reason::MalformedInput);
        }
        // The packed form decides the same.
        let packed = req.to_packed();
        let unpacked = Request::from_packed(&packed).unwrap();
        prop_assert_eq!(policy.decide(&unpacked), d);
    }

    #[test]
    fn arbitrary_policy_text_and_bytes_never_panic(text in prop::collection::vec(any::<u8>(), 0..200), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let _ = Policy::from_json(&text);
        let _ = Request::with_json(&text, |r| r.to_packed());
        let _ = Request::from_packed(&text);
        let _ = Policy::default_policy().decide_json(&text);
        let mut bytes = Policy::from_json(POLICIES[2].as_bytes()).unwrap().to_bytes();
        for (at, x) in flips {
            let i = at % bytes.len();
            bytes[i] ^= x | 1;
        }
        // A flipped byte is caught by the checksum or by validation; nothing panics either way.
        prop_assert!(Policy::from_bytes(&bytes).is_err());
    }
}

#[test]
fn structured_policy_mutations_are_validated_on_load() {
    // Forge bodies with a correct checksum so validation, not the checksum, has to catch the damage.
    let good = Policy::from_json(POLICIES[2].as_bytes())
        .unwrap()
        .to_bytes();
    let body_len = good.len() - 16;
    let fnv = |b: &[u8]| {
        b.iter().fold(0x811c_9dc5u32, |h, &x| {
            (h ^ u32::from(x)).wrapping_mul(0x0100_0193)
        })
    };
    let mut refused = 0;
    for i in 0..body_len {
        for x in [1u8, 0x80, 0xff] {
            let mut b = good.clone();
            b[16 + i] ^= x;
            let sum = fnv(&b[16..]);
            b[12..16].copy_from_slice(&sum.to_le_bytes());
            match Policy::from_bytes(&b) {
                Err(_) => refused += 1,
                // A change that still loads must be a policy that itself round-trips exactly.
                Ok(p) => assert_eq!(Policy::from_bytes(&p.to_bytes()).unwrap(), p),
            }
        }
    }
    assert!(
        refused > body_len,
        "validation refused only {refused} of {} forged bodies",
        body_len * 3
    );
}

// ---------------------------------------------------------------------------------------------------------------
// User-Agent patterns and claims equal naive reference matchers.

/// The contract's pattern semantics as a plain backtracking matcher: exponential in the worst case, which is
/// fine for the short inputs generated here, and obviously right.
fn reference_match(pattern: &[u8], value: &[u8]) -> bool {
    if pattern.is_empty() {
        return value.is_empty();
    }
    if let Some(rest) = pattern.strip_prefix(b"{shop}") {
        let shop = |b: &u8| b.is_ascii_alphanumeric() || b".-_".contains(b);
        return (1..=32.min(value.len()))
            .take_while(|&n| shop(&value[n - 1]))
            .any(|n| reference_match(rest, &value[n..]));
    }
    if pattern[0] == b'*' {
        return (0..=value.len()).any(|n| reference_match(&pattern[1..], &value[n..]));
    }
    !value.is_empty()
        && pattern[0].eq_ignore_ascii_case(&value[0])
        && reference_match(&pattern[1..], &value[1..])
}

fn pattern_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("*"),
            Just("{shop}"),
            Just("a"),
            Just("B"),
            Just("-"),
            Just(" "),
            Just("/"),
            Just("{")
        ],
        0..7,
    )
    .prop_map(|parts| parts.concat())
}

fn ua_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b"aAbB-_ ./{}\xc3\xa9x".to_vec()),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn patterns_equal_a_backtracking_reference(pattern in pattern_text(), ua in ua_text()) {
        // More than four {shop}s is refused by design; the reference has no such limit.
        prop_assume!(pattern.matches("{shop}").count() <= sendcloud_gate::internals::MAX_SHOPS);
        let compiled = sendcloud_gate::internals::Pattern::parse(&pattern).unwrap();
        prop_assert_eq!(compiled.matches(&ua), reference_match(pattern.as_bytes(), &ua), "{:?} vs {:?}", pattern, String::from_utf8_lossy(&ua));
    }

    #[test]
    fn claims_search_equals_a_naive_search(needle in "[a-dA-D]{1,5}", hay in prop::collection::vec(prop::sample::select(b"abcdABCD \xc1\xe1".to_vec()), 0..80)) {
        let lower = needle.to_ascii_lowercase();
        let naive = hay.to_ascii_lowercase().windows(lower.len()).any(|w| w == lower.as_bytes());
        prop_assert_eq!(sendcloud_gate::internals::contains_lower(&hay, lower.as_bytes()), naive);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The hand-written address parsers and printers equal the standard library's (the core wasm module cannot afford
// `core::net`'s code size, so the engine has its own).

fn v6_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Real addresses in every spelling std prints or accepts: compressed, full, upper case, dotted tail.
        (any::<[u16; 8]>(), 0usize..4, any::<bool>()).prop_map(|(g, zeros, upper)| {
            let mut g = g;
            for slot in g.iter_mut().skip(2).take(zeros) {
                *slot = 0;
            }
            let a = std::net::Ipv6Addr::from(g);
            let text = if upper {
                format!("{a}").to_uppercase()
            } else {
                format!("{a}")
            };
            text
        }),
        (any::<[u16; 6]>(), any::<[u8; 4]>()).prop_map(|(g, o)| {
            format!(
                "{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{}.{}.{}.{}",
                g[0], g[1], g[2], g[3], g[4], g[5], o[0], o[1], o[2], o[3]
            )
        }),
        // Near misses: short strings over the alphabet of addresses.
        prop::collection::vec(
            prop::sample::select(b"0123456789abcdefABCDEFg:.".to_vec()),
            1..24
        )
        .prop_map(|b| String::from_utf8(b).unwrap()),
        "(::)?([0-9a-f]{0,5}:){0,9}[0-9a-f]{0,5}(\\.[0-9]{1,4}){0,4}",
    ]
}

/// Dotted quads, some with leading zeros or out-of-range octets, and near misses over the alphabet of IPv4 text.
fn v4_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::array::uniform4(0u32..300),
            prop::array::uniform4(0usize..3)
        )
            .prop_map(|(o, z)| {
                let part = |i: usize| format!("{}{}", "0".repeat(z[i] / 2), o[i]);
                format!("{}.{}.{}.{}", part(0), part(1), part(2), part(3))
            }),
        prop::collection::vec(prop::sample::select(b"0123456789.+- a".to_vec()), 0..20)
            .prop_map(|b| String::from_utf8(b).unwrap()),
        "([0-9]{0,4}\\.){0,5}[0-9]{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn ipv6_parsing_equals_std(text in v6_text()) {
        prop_assume!(text.contains(':'));
        let ours = sendcloud_gate::internals::parse_addr(text.as_bytes());
        let std = std::net::Ipv6Addr::from_str(&text).ok().map(|a| match a.to_ipv4_mapped() {
            Some(v4) => Ip::V4(u32::from(v4)),
            None => Ip::V6(u128::from(a)),
        });
        prop_assert_eq!(ours, std, "{:?}", text);
    }

    #[test]
    fn ipv4_parsing_equals_std(text in v4_text()) {
        let ours = sendcloud_gate::internals::parse_addr(text.as_bytes());
        let std = std::net::Ipv4Addr::from_str(&text).ok().map(|a| Ip::V4(u32::from(a)));
        prop_assert_eq!(ours, std, "{:?}", text);
    }

    #[test]
    fn address_printing_equals_std(v6 in any::<u128>(), v4 in any::<u32>(), zeros in 0u32..128) {
        // Clearing a run of bits makes zero groups (and so `::`) common.
        let v6 = v6 & !(u128::MAX.checked_shr(zeros).unwrap_or(0) & (u128::MAX << (zeros / 2)));
        prop_assert_eq!(Ip::V6(v6).to_string(), std::net::Ipv6Addr::from(v6).to_string());
        prop_assert_eq!(Ip::V4(v4).to_string(), std::net::Ipv4Addr::from(v4).to_string());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Contract v2: ambiguity never helps a client.

/// Deny rules of every kind of condition, an allow rule with a path, a pass rule, and partners with impersonation
/// denied, behind a trusted proxy: what the two properties below are checked against.
const V2_POLICY: &str = r#"{
  "impersonation": "deny",
  "trusted_proxies": {"ranges": ["10.0.0.0/8"]},
  "partners": [{"preset": "sendcloud", "add_ip": ["192.0.2.0/24"]}],
  "rules": [
    {"id": "bad-net", "action": "deny", "ip": ["203.0.113.0/24"]},
    {"id": "no-delete", "action": "deny", "methods": ["DELETE", "TRACE"]},
    {"id": "bots", "action": "deny", "user_agents": ["BadBot/*"]},
    {"id": "admin", "action": "deny", "paths": ["/wp-admin/"]},
    {"id": "office", "action": "allow", "ip": ["198.51.100.0/24"], "paths": ["/wp-json/office/"]},
    {"id": "quiet", "action": "pass", "ip": ["198.51.100.128/25"], "methods": ["GET"]}
  ]
}"#;

/// A request as owned parts, so that strategies can build it and the tests can add to it.
#[derive(Clone, Debug)]
struct Parts {
    remote: String,
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    query: String,
    form: Vec<(String, String)>,
}

impl Parts {
    fn request(&self) -> Request<'_> {
        let mut r = Request::new(
            self.remote.as_bytes(),
            self.method.as_bytes(),
            self.uri.as_bytes(),
        )
        .query(self.query.as_bytes());
        for (n, v) in &self.headers {
            r = r.header(n.as_bytes(), v.as_bytes());
        }
        for (n, v) in &self.form {
            r = r.form_param(n.as_bytes(), v.as_bytes());
        }
        r
    }
}

fn v2_request() -> impl Strategy<Value = Parts> {
    let remote = prop::sample::select(vec![
        "94.232.247.10",
        "192.0.2.7",
        "198.51.100.7",
        "198.51.100.200",
        "203.0.113.9",
        "10.0.0.2",
        "2001:db8::1",
    ]);
    let method = prop::sample::select(vec!["GET", "POST", "PATCH", "DELETE", "TRACE", "PUT"]);
    let uri = prop::sample::select(vec![
        "/",
        "/wp-json/office/x",
        "/wp-json/office/..%2f..%2fwp-admin/",
        "/wp-admin/",
        "/WP-Admin/x",
        "/wp-json/wc/v3/orders?x=1",
        "/x//../wp-admin/",
        "/shop?page=2",
    ]);
    let ua = prop::sample::select(vec![
        "",
        "Sendcloud/1.0.0",
        "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)",
        "BadBot/2",
        "Mozilla/5.0",
    ]);
    let xff = prop::option::of(prop::sample::select(vec![
        "94.232.247.10",
        "203.0.113.9",
        "198.51.100.7, 10.0.0.3",
    ]));
    (remote, method, uri, ua, xff).prop_map(|(remote, method, uri, ua, xff)| {
        let mut headers = Vec::new();
        if !ua.is_empty() {
            headers.push(("User-Agent".to_string(), ua.to_string()));
        }
        if let Some(x) = xff {
            headers.push(("X-Forwarded-For".to_string(), x.to_string()));
        }
        Parts {
            remote: remote.into(),
            method: method.into(),
            uri: uri.into(),
            headers,
            query: String::new(),
            form: Vec::new(),
        }
    })
}

/// One thing a client can add to a request: an override anywhere it is read, a second User-Agent, a malformed
/// forwarding entry, a `rest_route`, a query or form parameter.
#[derive(Clone, Debug)]
enum Addition {
    Header(&'static str, &'static str),
    /// A forwarding entry the client sends: a trusted proxy appends what it saw to the right of it, so the client's
    /// entries always stand left of the proxy's.
    ForwardedLeft(&'static str),
    TargetParam(&'static str),
    Query(&'static str),
    Form(&'static str, &'static str),
}

fn addition() -> impl Strategy<Value = Addition> {
    let value = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "", "P T", "patch"]);
    prop_oneof![
        value
            .clone()
            .prop_map(|v| Addition::Header("X-HTTP-Method-Override", v)),
        value
            .clone()
            .prop_map(|v| Addition::Header("X-Method-Override", v)),
        Just(Addition::Header("User-Agent", "Mozilla/5.0")),
        Just(Addition::Header("User-Agent", "BadBot/1")),
        Just(Addition::ForwardedLeft("not-an-address")),
        Just(Addition::ForwardedLeft("")),
        Just(Addition::ForwardedLeft("10.0.0.9")),
        prop::sample::select(vec![
            "_method=DELETE",
            "_method=",
            "_method=GET&ps_method=POST",
            "ps[method=PUT",
            "_method%00=PUT",
            "_method[]=PATCH",
            "rest_route=/wp/v2/users/1",
            "rest_route=/office/x",
            "x=%zz",
        ])
        .prop_map(Addition::TargetParam),
        prop::sample::select(vec![
            "_method=PUT",
            "ps_method=DELETE",
            "rest_route=/wp/v2/users",
            "a=1"
        ])
        .prop_map(Addition::Query),
        prop::sample::select(vec![
            ("_method", "DELETE"),
            ("ps_method", "PUT"),
            ("rest_route", "/wp/v2/users"),
            ("_method[]", "GET"),
        ])
        .prop_map(|(n, v)| Addition::Form(n, v)),
    ]
}

fn with(parts: &Parts, add: &Addition) -> Parts {
    let mut p = parts.clone();
    match *add {
        Addition::Header(n, v) => p.headers.push((n.into(), v.into())),
        Addition::ForwardedLeft(v) => {
            match p.headers.iter_mut().find(|(n, _)| n == "X-Forwarded-For") {
                Some((_, existing)) => *existing = format!("{v}, {existing}"),
                // Straight from the client to the shop: the header is the client's alone (and ignored).
                None if !p.remote.starts_with("10.") => {
                    p.headers.push(("X-Forwarded-For".into(), v.into()))
                }
                None => {}
            }
        }
        Addition::TargetParam(q) => {
            p.uri.push(if p.uri.contains('?') { '&' } else { '?' });
            p.uri.push_str(q);
        }
        Addition::Query(q) => {
            if !p.query.is_empty() {
                p.query.push('&');
            }
            p.query.push_str(q);
        }
        Addition::Form(n, v) => p.form.push((n.into(), v.into())),
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// (1) A deny rule never stops matching when an override, a second User-Agent or a malformed header is added to
    /// a request it matched (the rule that decides may become an earlier deny rule, never anything else).
    #[test]
    fn deny_rules_hold_under_additions(parts in v2_request(), adds in prop::collection::vec(addition(), 1..4)) {
        let policy = Policy::from_json(V2_POLICY.as_bytes()).unwrap();
        let before = policy.decide(&parts.request());
        if before.action == Action::Deny && before.reason == Reason::RuleMatch {
            let mut p = parts.clone();
            for add in &adds {
                p = with(&p, add);
                let after = policy.decide(&p.request());
                prop_assert_eq!(after.action, Action::Deny, "{:?} + {:?}: {:?}", parts, adds, after);
            }
        }
    }

    /// (2) Adding any override, `query`, `form` or `rest_route` to a request never turns a non-`allow` into `allow`.
    #[test]
    fn additions_never_create_an_allow(parts in v2_request(), adds in prop::collection::vec(addition(), 1..4)) {
        let policy = Policy::from_json(V2_POLICY.as_bytes()).unwrap();
        let mut p = parts.clone();
        let mut allowed = policy.decide(&p.request()).action == Action::Allow;
        for add in &adds {
            p = with(&p, add);
            let now = policy.decide(&p.request()).action == Action::Allow;
            prop_assert!(allowed || !now, "{:?} + {:?} became allow", parts, adds);
            allowed = now;
        }
    }
}

#[test]
fn explain_shows_the_candidates() {
    let policy = Policy::from_json(V2_POLICY.as_bytes()).unwrap();
    let req = Request::new(
        b"94.232.247.10",
        b"POST",
        b"/wp-json/office/x?rest_route=/wp/v2/users",
    )
    .header(b"User-Agent", b"Sendcloud/1.0.0")
    .form_param(b"_method", b"PUT");
    let e = policy.explain(&req);
    let trace = e.trace.join("\n");
    assert!(
        trace.contains(r#"methods: "POST" (request), "PUT" (_method in the form)"#),
        "{trace}"
    );
    assert!(
        trace.contains(r#"paths: "/wp-json/office/x", "/wp-json/wp/v2/users""#),
        "{trace}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The decision's rule filter (src/rules.rs) passes over no rule that could decide: `decide`, which visits only the
// rules the client may meet, equals `explain`, which visits every rule, on policies of many rules (disabled ones,
// ones without an ip condition, IPv4 and IPv6 ranges, more rules than the filter covers) and clients near their
// ranges; the same after a round trip through compiled bytes, where the filter is built again on load.

fn rule_json(i: usize, action: u8, ip: &Option<Vec<(bool, u8, u8, u8)>>, enabled: bool) -> String {
    let action = ["deny", "allow", "pass", "deny"][usize::from(action)];
    let mut rule = format!(r#"{{"id":"r{i}","action":"{action}","enabled":{enabled}"#);
    if let Some(ranges) = ip {
        let cidrs: Vec<String> = ranges
            .iter()
            .map(|&(v6, k, last, form)| match (v6, form % 3) {
                (false, 0) => format!(r#""10.0.{k}.0/24""#),
                (false, 1) => format!(r#""10.0.{k}.{}/30""#, 4 * (last % 5)),
                (false, _) => format!(r#""10.0.{k}.{last}/32""#),
                (true, 0) => format!(r#""2001:db8:{k}::/48""#),
                (true, _) => format!(r#""2001:db8:{k}::{last}/128""#),
            })
            .collect();
        rule.push_str(&format!(r#","ip":[{}]"#, cidrs.join(",")));
    }
    // Every rule has a methods condition (an allow rule needs a condition); a GET request meets it.
    rule.push_str(r#","methods":["GET","POST"]}"#);
    rule
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_rule_filter_passes_over_no_rule_that_could_decide(
        rules in prop::collection::vec(
            (0u8..4, prop::option::of(prop::collection::vec((any::<bool>(), 0u8..12, 0u8..20, any::<u8>()), 1..4)), prop::bool::weighted(0.8)),
            1..80,
        ),
        clients in prop::collection::vec((any::<bool>(), 0u8..13, 0u8..22), 1..8),
        method in prop::sample::select(vec!["GET", "PUT"]),
    ) {
        let list: Vec<String> = rules.iter().enumerate().map(|(i, (a, ip, en))| rule_json(i, *a, ip, *en)).collect();
        let json = format!(r#"{{"rules":[{}]}}"#, list.join(","));
        let policy = Policy::from_json(json.as_bytes()).unwrap();
        let loaded = Policy::from_bytes(&policy.to_bytes()).unwrap();
        for (v6, k, j) in clients {
            let client = if v6 { format!("2001:db8:{k}::{j}") } else { format!("10.0.{k}.{j}") };
            let req = Request::new(client.as_bytes(), method.as_bytes(), b"/");
            let d = policy.decide(&req);
            prop_assert_eq!(&policy.explain(&req).decision, &d, "{} {}", json, client);
            prop_assert_eq!(&loaded.decide(&req), &d, "{} {}", json, client);
        }
    }
}
