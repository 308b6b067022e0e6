//! Hostile and broken input: each case is `pass` with `malformed_input`, never `allow`, never a panic.
//! The sizes are the ones named in the engine's issue: headers of 64 KiB, 10,000 forwarded entries, invalid
//! UTF-8. Their cost is measured in `benches/decide.rs` (`hostile/*`); here they must simply come back right.

use sendcloud_gate::{Action, Decision, Policy, Reason, Request};

const SENDCLOUD_IP: &[u8] = b"94.232.247.10";
const SENDCLOUD_UA: &[u8] = b"SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)";

fn trusting(header: &str) -> Policy {
    Policy::from_json(
        format!(r#"{{"trusted_proxies":{{"presets":["private"],"header":"{header}"}}}}"#)
            .as_bytes(),
    )
    .unwrap()
}

fn assert_malformed(d: Decision<'_>, what: &str) {
    assert_eq!(
        (d.action, d.reason),
        (Action::Pass, Reason::MalformedInput),
        "{what}: {d:?}"
    );
}

#[test]
fn malformed_peer_addresses() {
    let policy = Policy::default_policy();
    for addr in [
        &b""[..],
        b"94.232.247",
        b"94.232.247.010",
        b"94.232.247.256",
        b"094.232.247.10",
        b"94.232.247.10 ",
        b"94.232.247.10:443",
        b"[94.232.247.10]",
        b"sendcloud.sc",
        b"::ffff:94.232.247.010",
        b"2001:db8::1::2",
        b"fe80::1%",
        b"94.232.247.10\0",
        b"\xff\xfe",
        &[b'9'; 65536],
    ] {
        let req = Request::new(addr, b"GET", b"/").header(b"User-Agent", SENDCLOUD_UA);
        let d = policy.decide(&req);
        assert_malformed(d, &String::from_utf8_lossy(&addr[..addr.len().min(40)]));
        // Contract v2: the request is unclean, but the method is still determined (deny rules may need it).
        assert_eq!(d.client_ip, None);
        assert_eq!(d.method.map(|m| m.to_string()).as_deref(), Some("GET"));
    }
}

#[test]
fn headers_of_64_kib() {
    let big = vec![b'a'; 64 * 1024];
    let policy = Policy::default_policy();
    let req = Request::new(SENDCLOUD_IP, b"GET", b"/").header(b"User-Agent", &big);
    assert_malformed(policy.decide(&req), "64 KiB User-Agent");

    // A Sendcloud User-Agent padded to 64 KiB with spaces is still 64 KiB of header.
    let mut padded = SENDCLOUD_UA.to_vec();
    padded.resize(64 * 1024, b' ');
    let req = Request::new(SENDCLOUD_IP, b"GET", b"/").header(b"User-Agent", &padded);
    let d = policy.decide(&req);
    assert_ne!(d.action, Action::Allow);

    // A 64 KiB forwarding list is read from the right only (contract v2: a long header whose client is found
    // within 64 entries is fine); a single-address header holding it is malformed.
    let xff = "198.51.100.1,".repeat(64 * 1024 / 13);
    let policy = trusting("x-forwarded-for");
    let req = Request::new(b"10.0.0.1", b"GET", b"/")
        .header(b"x-forwarded-for", xff.as_bytes())
        .header(b"User-Agent", SENDCLOUD_UA);
    let d = policy.decide(&req);
    assert_eq!((d.action, d.reason), (Action::Pass, Reason::Impersonation));
    assert_eq!(
        d.client_ip.map(|c| c.to_string()).as_deref(),
        Some("198.51.100.1")
    );
    let forwarded = "for=198.51.100.1,".repeat(64 * 1024 / 17);
    let policy = trusting("forwarded");
    let req = Request::new(b"10.0.0.1", b"GET", b"/")
        .header(b"forwarded", forwarded.as_bytes())
        .header(b"User-Agent", SENDCLOUD_UA);
    assert_eq!(policy.decide(&req).reason, Reason::Impersonation);
    let policy = trusting("x-real-ip");
    let req = Request::new(b"10.0.0.1", b"GET", b"/")
        .header(b"x-real-ip", xff.as_bytes())
        .header(b"User-Agent", SENDCLOUD_UA);
    assert_malformed(policy.decide(&req), "x-real-ip");
}

#[test]
fn a_one_mib_user_agent() {
    let big = vec![b'x'; 1 << 20];
    let policy = Policy::default_policy();
    let d = policy.decide(&Request::new(SENDCLOUD_IP, b"GET", b"/").header(b"User-Agent", &big));
    assert_malformed(d, "1 MiB User-Agent");
}

#[test]
fn ten_thousand_forwarded_entries() {
    let policy = trusting("x-forwarded-for");
    let list = vec!["10.0.0.2"; 10_000].join(", ");
    let req = Request::new(b"10.0.0.1", b"GET", b"/").header(b"X-Forwarded-For", list.as_bytes());
    assert_malformed(policy.decide(&req), "10,000 X-Forwarded-For entries");

    // 10,000 header occurrences whose rightmost is the client: found at once.
    let mut req = Request::new(b"10.0.0.1", b"GET", b"/");
    for _ in 0..10_000 {
        req = req.header(b"x-forwarded-for", b"94.232.247.10");
    }
    assert_eq!(policy.decide(&req).reason, Reason::UaMismatch);

    let policy = trusting("forwarded");
    let list = vec!["for=10.0.0.2"; 10_000].join(", ");
    let req = Request::new(b"10.0.0.1", b"GET", b"/").header(b"Forwarded", list.as_bytes());
    assert_malformed(policy.decide(&req), "10,000 Forwarded elements");

    // 64 entries are fine, 65 are not.
    let policy = trusting("x-forwarded-for");
    let at = |n: usize| {
        let mut hops = vec!["10.0.0.2"; n - 1];
        hops.insert(0, "94.232.247.10");
        hops.join(",")
    };
    let ok = at(64);
    let req = Request::new(b"10.0.0.1", b"GET", b"/")
        .header(b"X-Forwarded-For", ok.as_bytes())
        .header(b"User-Agent", SENDCLOUD_UA);
    assert_eq!(policy.decide(&req).reason, Reason::PartnerMatch);
    let too_many = at(65);
    let req = Request::new(b"10.0.0.1", b"GET", b"/")
        .header(b"X-Forwarded-For", too_many.as_bytes())
        .header(b"User-Agent", SENDCLOUD_UA);
    assert_malformed(policy.decide(&req), "65 entries");
}

#[test]
fn invalid_utf8() {
    let policy = Policy::default_policy();
    let mut ua = SENDCLOUD_UA.to_vec();
    ua.insert(20, 0xff);
    let d = policy.decide(&Request::new(SENDCLOUD_IP, b"GET", b"/").header(b"User-Agent", &ua));
    assert_malformed(d, "User-Agent with invalid UTF-8");
    assert_eq!(
        d.client_ip.map(|c| c.to_string()).as_deref(),
        Some("94.232.247.10")
    );
    assert_eq!(d.method.map(|m| m.to_string()).as_deref(), Some("GET"));

    let d = policy.decide(
        &Request::new(SENDCLOUD_IP, b"G\xc3\x89T", b"/").header(b"User-Agent", SENDCLOUD_UA),
    );
    assert_malformed(d, "method with non-ASCII");
    let policy = trusting("x-forwarded-for");
    let d = policy.decide(
        &Request::new(b"10.0.0.1", b"GET", b"/").header(b"X-Forwarded-For", b"94.232.247.\xff"),
    );
    assert_malformed(d, "X-Forwarded-For with invalid UTF-8");

    // JSON requests: raw invalid bytes inside strings are carried through, a lone surrogate escape likewise.
    let json = b"{\"remote_addr\":\"94.232.247.10\",\"method\":\"GET\",\"headers\":{\"User-Agent\":\"Sendcloud/1.0.0\xff\"}}";
    assert!(Policy::default_policy()
        .decide_json(json)
        .contains("malformed_input"));
    let json = br#"{"remote_addr":"94.232.247.10","method":"GET","headers":{"User-Agent":"Sendcloud/1.0.0\ud800"}}"#;
    assert!(Policy::default_policy()
        .decide_json(json)
        .contains("malformed_input"));
}

#[test]
fn requests_that_are_not_requests_decide_malformed() {
    let policy = Policy::default_policy();
    for text in [
        &b""[..],
        b"null",
        b"[]",
        b"{",
        br#"{"remote_addr":"94.232.247.10"}"#,
        br#"{"remote_addr":1,"method":"GET"}"#,
    ] {
        assert_eq!(
            policy.decide_json(text),
            r#"{"action":"pass","reason":"malformed_input","rule":null,"client_ip":null,"method":null}"#
        );
        assert!(policy.explain_json(text).contains("not a request"));
    }
}

#[test]
fn pathological_patterns_and_paths_stay_linear() {
    let policy = Policy::from_json(
        br#"{"rules":[{"id":"r","action":"deny","user_agents":["*a*a*a*a*a*a*a*a*a*a*b"],"paths":["/x"]}]}"#,
    )
    .unwrap();
    let ua = vec![b'a'; 30 * 1024];
    let uri = "/..".repeat(100_000);
    let d = policy
        .decide(&Request::new(b"198.51.100.1", b"GET", uri.as_bytes()).header(b"User-Agent", &ua));
    // The pattern needs a final "b", so the rule does not match and nothing else claims the request.
    assert_eq!((d.action, d.reason), (Action::Pass, Reason::NoMatch));
    let mut ua_b = ua.clone();
    ua_b.push(b'b');
    let uri = format!("/x{uri}");
    let d = policy.decide(
        &Request::new(b"198.51.100.1", b"GET", uri.as_bytes()).header(b"User-Agent", &ua_b),
    );
    // "/x/../../…" normalises to "/", which does not start with "/x".
    assert_eq!((d.action, d.reason), (Action::Pass, Reason::NoMatch));
    let d =
        policy.decide(&Request::new(b"198.51.100.1", b"GET", b"/x/y").header(b"User-Agent", &ua_b));
    assert_eq!(
        (d.action, d.reason, d.rule),
        (Action::Deny, Reason::RuleMatch, Some("r"))
    );
}
