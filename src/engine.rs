//! The decision logic: every rule of the contract, in its order, and nowhere else.
//!
//! ```text
//! 1 addresses  →  2 client IP  →  3 method  →  4 User-Agent  →  5 site rules  →  6 partners  →  7 no_match
//! ```
//!
//! Each step either hands a value to the next or ends the evaluation with a decision. Failures of input end it
//! with `pass` + `malformed_input`, carrying whatever had been resolved before the failing step (`client_ip` from
//! step 2 on, `method` from step 4 on), so the answer says how far the request got.
//!
//! The same function serves [`decide`] and [`explain`]: the trace is an `Option`, and with `None` no trace text is
//! ever formatted, so the fast path pays one branch per step for it.
//!
//! # Bounds
//!
//! Every input is attacker-controlled. Work is linear in the request size with small constants: header values
//! the engine reads are capped at [`MAX_HEADER_VALUE`] bytes, forwarding lists at [`MAX_HOPS`] entries,
//! User-Agent patterns are matched by an NFA (see [`crate::pattern`]). Oversized input is `malformed_input`.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::addr::{parse_addr_noting_form, parse_hop, trim_ows, Ip};
use crate::decision::{Decision, Explanation, FieldText, Fields, Reason, Verdict};
use crate::json;
use crate::method::Method;
use crate::path;
use crate::pattern::{contains_lower, eq_lower, find_byte, find_either, has_byte, is_ascii};
use crate::policy::{Action, ForwardHeader, Impersonation, Partner, Policy, Rule};
use crate::presets::Provenance;
use crate::request::Request;

/// Longest value of a header the engine reads (forwarding header after joining, User-Agent). Apache and nginx
/// refuse header fields above 8 KiB by default, so nothing legitimate comes near it; the margin keeps unusual
/// front ends working while a 64 KiB header is refused.
pub const MAX_HEADER_VALUE: usize = 32 * 1024;
/// Most entries accepted in a forwarding list header.
pub const MAX_HOPS: usize = 64;

/// Longest excerpt of a request value quoted in a trace.
const TRACE_EXCERPT: usize = 120;

/// Decides one request.
pub fn decide<'p>(policy: &'p Policy, request: &Request<'_>) -> Decision<'p> {
    evaluate(policy, request, &mut NoTrace).0
}

/// Decides one request and returns the decision's [`Fields`]. The same as [`decide`]'s decision's fields, but when
/// the client is the peer and `remote_addr` is already its canonical text (a dotted quad), that text is the value
/// instead of the address written out again: for a PHP host, formatting an address is a tenth of a decision.
pub fn decide_fields<'a>(
    policy: &'a Policy,
    request: &Request<'a>,
    text: &'a mut FieldText,
) -> Fields<'a> {
    let mut out = [None; 5];
    decide_each_field(policy, request, text, |i, value| out[i] = value);
    out
}

/// [`decide_fields`], each field given to `put` with its position (see [`Verdict::each_field`]).
#[inline(always)]
pub(crate) fn decide_each_field<'a>(
    policy: &'a Policy,
    request: &Request<'a>,
    text: &'a mut FieldText,
    put: impl FnMut(usize, Option<&'a [u8]>),
) {
    // Results are borrowed, not moved out of their Options and tuples: in wasm a move is a copy of the whole value.
    let parsed = parse_peer(request, &mut NoTrace);
    let Some((peer, canonical)) = &parsed else {
        return Verdict::malformed(None, None).each_field(text, None, put);
    };
    let mut held = Held::default();
    let (verdict, _) = evaluate_from(policy, request, peer, &mut held, &mut NoTrace);
    // The client is the peer itself (not an equal address from a header): its text is `remote_addr`'s.
    let given = (*canonical && verdict.client_ip.is_some_and(|c| core::ptr::eq(c, peer)))
        .then_some(request.remote_addr);
    verdict.each_field(text, given, put)
}

/// Decides one request and says why, step by step.
pub fn explain<'p>(policy: &'p Policy, request: &Request<'_>) -> Explanation<'p> {
    let mut steps = Vec::new();
    let (decision, provenance) = evaluate(policy, request, &mut Steps(&mut steps));
    Explanation {
        decision,
        trace: steps,
        provenance,
    }
}

/// Where the steps of an explanation go. `evaluate` is generic over it so that `decide` can be compiled with a sink
/// that does nothing: no step's text is ever formatted and no branch is taken per step.
trait Tracer {
    fn step(&mut self, text: impl FnOnce() -> String);
}

/// `decide`: no trace. `evaluate` is compiled twice, and `decide`'s copy has no trace code at all.
struct NoTrace;

impl Tracer for NoTrace {
    #[inline(always)]
    fn step(&mut self, _: impl FnOnce() -> String) {}
}

/// `explain`: every step, in order.
struct Steps<'t>(&'t mut Vec<String>);

impl Tracer for Steps<'_> {
    fn step(&mut self, text: impl FnOnce() -> String) {
        self.0.push(text());
    }
}

/// A name or pattern from the policy, in double quotes for a trace. JSON escapes rather than `{:?}`: Rust's `Debug`
/// for strings brings Unicode printability tables that the size-budgeted core wasm module cannot afford.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        json::write_str(&mut out, self.0);
        f.write_str(&out)
    }
}

/// A request value quoted for a trace (JSON escapes, invalid UTF-8 as U+FFFD), shortened if long.
fn quote(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(TRACE_EXCERPT)];
    let mut out = String::new();
    json::write_bytes(&mut out, shown);
    if bytes.len() > TRACE_EXCERPT {
        out.push_str(&format!(" (… {} bytes in all)", bytes.len()));
    }
    out
}

const OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];
const OVERRIDE_PARAMS: [&str; 2] = ["_method", "ps_method"];

fn is_override_header(name: &[u8]) -> bool {
    OVERRIDE_HEADERS
        .iter()
        .any(|h| eq_lower(name, h.as_bytes()))
}

/// Where the headers the engine reads are, found in one pass over the request's headers. Override headers are only
/// noted as present: nearly no request has one, and then they are looked up again by name. Two slots and a flag
/// stay in locals; an array of slots indexed at run time made the core module build the index in memory and copy
/// it, which a PHP host pays for byte by byte.
#[derive(Default)]
struct HeaderIndex<'a> {
    forward: Slot<'a>,
    user_agent: Slot<'a>,
    any_override: bool,
}

/// Where a header occurs: its first occurrence (position and value) and how many there are.
#[derive(Default, Clone, Copy)]
struct Slot<'a> {
    first: usize,
    first_value: &'a [u8],
    count: usize,
}

impl<'a> Slot<'a> {
    fn saw(&mut self, i: usize, value: &'a [u8]) {
        if self.count == 0 {
            self.first = i;
            self.first_value = value;
        }
        self.count += 1;
    }
}

impl HeaderIndex<'_> {
    // Inlined into the evaluation so that the index is built in locals (measured: fewer wasm instructions).
    #[inline(always)]
    fn build<'a>(req: &Request<'a>, forward: ForwardHeader) -> HeaderIndex<'a> {
        let mut index = HeaderIndex::default();
        let forward_name = forward.name().as_bytes();
        for (i, (name, value)) in req.headers.iter().enumerate() {
            if eq_lower(name, b"user-agent") {
                index.user_agent.saw(i, value);
            } else if eq_lower(name, forward_name) {
                index.forward.saw(i, value);
            } else if !index.any_override && is_override_header(name) {
                index.any_override = true;
            }
        }
        index
    }

    /// The values of a slot's header, in order.
    fn values<'r>(
        slot: Slot<'_>,
        req: &'r Request<'_>,
        name: &'r [u8],
    ) -> impl Iterator<Item = &'r [u8]> + 'r {
        req.headers
            .iter()
            .skip(slot.first)
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .take(slot.count)
            .map(|(_, v)| v)
    }
}

fn evaluate<'p>(
    policy: &'p Policy,
    req: &Request<'_>,
    t: &mut impl Tracer,
) -> (Decision<'p>, Option<&'p Provenance>) {
    let parsed = parse_peer(req, t);
    let Some((peer, _)) = &parsed else {
        return (Decision::malformed(None, None), None);
    };
    let mut held = Held::default();
    let (verdict, provenance) = evaluate_from(policy, req, peer, &mut held, t);
    (verdict.decision(), provenance)
}

/// What an evaluation computes and its [`Verdict`] borrows: the client address when a forwarding header gave it,
/// and methods that are not among the common ones (a common one is borrowed from its static value).
#[derive(Default)]
struct Held {
    client: Option<Ip>,
    method: Option<Method>,
    overridden: Option<Method>,
}

/// Step 2's answer: the client is the peer, or another address (from a forwarding header).
enum Resolved {
    Peer,
    Other(Ip),
}

/// Step 1: the peer address, and whether `remote_addr` is its canonical text (see [`parse_addr_noting_form`]).
fn parse_peer(req: &Request<'_>, t: &mut impl Tracer) -> Option<(Ip, bool)> {
    let parsed = parse_addr_noting_form(req.remote_addr);
    match &parsed {
        Some((peer, _)) => t.step(|| format!("remote_addr {} is {peer}", quote(req.remote_addr))),
        None => t.step(|| {
            format!(
                "remote_addr {} is not an IPv4 or IPv6 address: malformed input",
                quote(req.remote_addr)
            )
        }),
    }
    parsed
}

/// Steps 2 to 7, from the peer address.
fn evaluate_from<'p, 'a>(
    policy: &'p Policy,
    req: &Request<'_>,
    peer: &'a Ip,
    held: &'a mut Held,
    t: &mut impl Tracer,
) -> (Verdict<'p, 'a>, Option<&'p Provenance>) {
    let Held {
        client: held_client,
        method: held_method,
        overridden: held_override,
    } = held;
    let headers = HeaderIndex::build(req, policy.proxy_header);

    // 2. Client IP.
    let client: &Ip = match resolve_client(policy, peer, req, headers.forward, t) {
        Some(Resolved::Peer) => peer,
        Some(Resolved::Other(ip)) => held_client.insert(ip),
        None => return (Verdict::malformed(None, None), None),
    };

    // 3. Method.
    // Borrowed, never moved: a method is 34 bytes, and a move is a copy in wasm.
    let Some(request_method) = Method::parse_held(req.method, held_method) else {
        t.step(|| {
            format!(
                "method {} is not a token of 1 to 32 characters: malformed input",
                quote(req.method)
            )
        });
        return (Verdict::malformed(Some(client), None), None);
    };
    let method = match effective_method(request_method, req, headers.any_override, t, held_override)
    {
        Ok(overridden) => overridden.unwrap_or(request_method),
        Err(reason) => {
            let v = Verdict {
                action: Action::Pass,
                reason,
                rule: None,
                client_ip: Some(client),
                method: None,
            };
            return (v, None);
        }
    };

    // 4. User-Agent.
    let ua = match user_agent(headers.user_agent, t) {
        Ok(ua) => ua,
        Err(()) => return (Verdict::malformed(Some(client), Some(method)), None),
    };

    let methods = (request_method, method);
    // 5. Site rules.
    let mut normalised_path: Option<Option<Vec<u8>>> = None;
    for rule in policy.rules.iter() {
        if !rule.enabled {
            t.step(|| format!("rule {} is disabled", Quoted(&rule.id)));
            continue;
        }
        // The address first, here in the loop: most rules fail on it, and then nothing else is looked at.
        if let Some(ranges) = &rule.ip {
            if !ranges.contains(client) {
                t.step(|| format!("rule {}: {client} is not in its ranges", Quoted(&rule.id)));
                continue;
            }
        }
        match rule_matches(rule, ua, methods, req, &mut normalised_path, t) {
            Ok(false) => {}
            Ok(true) => {
                t.step(|| {
                    format!(
                        "rule {} matches: {}",
                        Quoted(&rule.id),
                        rule.action.as_str()
                    )
                });
                let v = Verdict {
                    action: rule.action,
                    reason: Reason::RuleMatch,
                    rule: Some(&rule.id),
                    client_ip: Some(client),
                    method: Some(method),
                };
                return (v, None);
            }
            Err(()) => return (Verdict::malformed(Some(client), Some(method)), None),
        }
    }

    // 6. Partners.
    for partner in policy.partners.iter() {
        if !partner.enabled {
            t.step(|| format!("partner {} is disabled", Quoted(&partner.id)));
            continue;
        }
        let Some((action, reason)) =
            partner_outcome(policy.impersonation, partner, client, ua, methods, t)
        else {
            continue;
        };
        if let Some(p) = &partner.provenance {
            t.step(|| {
                format!(
                    "partner {} comes from the preset {}: source {}, {}, reviewed {}; add addresses with \"add_ip\" or replace the preset with a custom partner",
                    Quoted(&partner.id),
                    Quoted(&p.preset),
                    p.source,
                    if p.verified { "verified" } else { "not verified" },
                    p.reviewed
                )
            });
        }
        let v = Verdict {
            action,
            reason,
            rule: Some(&partner.id),
            client_ip: Some(client),
            method: Some(method),
        };
        return (v, partner.provenance.as_ref());
    }

    // 7. Nothing decided.
    t.step(|| String::from("no rule or partner decided: no opinion"));
    let v = Verdict {
        action: Action::Pass,
        reason: Reason::NoMatch,
        rule: None,
        client_ip: Some(client),
        method: Some(method),
    };
    (v, None)
}

/// Step 2. `None` means malformed input (already traced).
fn resolve_client(
    policy: &Policy,
    peer: &Ip,
    req: &Request<'_>,
    slot: Slot<'_>,
    t: &mut impl Tracer,
) -> Option<Resolved> {
    let header = policy.proxy_header;
    if !policy.trusted_proxies.contains(peer) {
        t.step(|| format!("{peer} is not a trusted proxy: forwarding headers are ignored, the client is {peer}"));
        return Some(Resolved::Peer);
    }
    if slot.count == 0 {
        t.step(|| {
            format!(
                "{peer} is a trusted proxy but sent no {} header: the client is {peer}",
                header.name()
            )
        });
        return Some(Resolved::Peer);
    }
    let mut values = HeaderIndex::values(slot, req, header.name().as_bytes());
    let value: Cow<'_, [u8]> = if slot.count == 1 {
        Cow::Borrowed(values.next().unwrap_or_default())
    } else {
        // Several occurrences mean one list, joined in order.
        let mut joined = Vec::new();
        for (i, v) in values.enumerate() {
            if i > 0 {
                joined.extend_from_slice(b", ");
            }
            joined.extend_from_slice(v);
            if joined.len() > MAX_HEADER_VALUE {
                break;
            }
        }
        Cow::Owned(joined)
    };
    if value.len() > MAX_HEADER_VALUE {
        t.step(|| {
            format!(
                "{} is longer than {MAX_HEADER_VALUE} bytes: malformed input",
                header.name()
            )
        });
        return None;
    }
    t.step(|| {
        format!(
            "{peer} is a trusted proxy: reading {} {}",
            header.name(),
            quote(&value)
        )
    });
    if !header.is_list() {
        // One address, in the same forms a list entry may take (a port or brackets are tolerated).
        let ip = parse_hop(&value);
        match ip {
            Some(ip) => t.step(|| format!("{} holds {ip}: the client is {ip}", header.name())),
            None => {
                t.step(|| format!("{} is not a single address: malformed input", header.name()))
            }
        }
        return ip.map(Resolved::Other);
    }
    let hops: Vec<&[u8]> = match header {
        ForwardHeader::Forwarded => split_outside_quotes(&value, b','),
        _ => value.split(|&b| b == b',').collect(),
    };
    if hops.len() > MAX_HOPS {
        t.step(|| {
            format!(
                "{} has {} entries, more than {MAX_HOPS}: malformed input",
                header.name(),
                hops.len()
            )
        });
        return None;
    }
    let total = hops.len();
    let mut leftmost = *peer;
    for (i, hop) in hops.iter().enumerate().rev() {
        let address = match header {
            ForwardHeader::Forwarded => forwarded_for(hop).and_then(|v| parse_hop(&v)),
            _ => parse_hop(hop),
        };
        let Some(ip) = address else {
            t.step(|| {
                format!(
                    "entry {} of {total} {} is not an address: malformed input",
                    i + 1,
                    quote(trim_ows(hop))
                )
            });
            return None;
        };
        if policy.trusted_proxies.contains(&ip) {
            t.step(|| {
                format!(
                    "entry {} of {total} is {ip}, a trusted proxy: skipped",
                    i + 1
                )
            });
            leftmost = ip;
            continue;
        }
        t.step(|| {
            format!(
                "entry {} of {total} is {ip}, not a trusted proxy: the client is {ip}",
                i + 1
            )
        });
        return Some(Resolved::Other(ip));
    }
    t.step(|| format!("every entry is a trusted proxy: the leftmost, {leftmost}, is the client"));
    Some(Resolved::Other(leftmost))
}

/// Splits on `sep` where it stands outside a quoted string (RFC 7239 values may quote commas and semicolons).
fn split_outside_quotes(value: &[u8], sep: u8) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            parts.push(&value[start..i]);
            start = i + 1;
            if parts.len() > MAX_HOPS {
                // Enough to know the list is too long; stop so the work stays bounded by the cap.
                break;
            }
        }
    }
    if parts.len() <= MAX_HOPS {
        parts.push(&value[start..]);
    }
    parts
}

/// The `for=` value of one RFC 7239 element, unquoted. `None` when the element is not well-formed or has no
/// (or more than one) `for` parameter.
fn forwarded_for(element: &[u8]) -> Option<Cow<'_, [u8]>> {
    let mut found = None;
    for pair in split_outside_quotes(element, b';') {
        let pair = trim_ows(pair);
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (name, raw) = (&pair[..eq], &pair[eq + 1..]);
        let value = unquote(raw)?;
        if name.eq_ignore_ascii_case(b"for") {
            if found.is_some() {
                return None;
            }
            found = Some(value);
        }
    }
    found
}

fn unquote(raw: &[u8]) -> Option<Cow<'_, [u8]>> {
    let Some(inner) = raw.strip_prefix(b"\"") else {
        return (!raw.is_empty() && !has_byte(raw, b'"')).then_some(Cow::Borrowed(raw));
    };
    let inner = inner.strip_suffix(b"\"")?;
    if !has_byte(inner, b'\\') {
        return (!has_byte(inner, b'"')).then_some(Cow::Borrowed(inner));
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => out.push(*bytes.next()?),
            b'"' => return None,
            _ => out.push(b),
        }
    }
    Some(Cow::Owned(out))
}

/// Step 3: the effective method after overrides; `None` when it is the request method (no override).
fn effective_method<'a, T: Tracer>(
    request_method: &Method,
    req: &Request<'_>,
    any_override_header: bool,
    t: &mut T,
    slot: &'a mut Option<Method>,
) -> Result<Option<&'a Method>, Reason> {
    // The filter runs on everything after the `?`, fragment included: a superset of the query, so it rules out no
    // less, and the `#` is only looked for when the query has to be read.
    let after_mark = after_query_mark(req.uri);
    if !any_override_header && !may_name_an_override(after_mark) {
        t.step(|| format!("method {request_method}, no override"));
        return Ok(None);
    }
    let query = before_fragment(after_mark);
    let mut first: Option<Cow<'_, [u8]>> = None;
    let mut conflict = false;
    // A generic function, not a closure taking `&dyn Fn`: a trait object would keep the trace's formatting code in
    // decide's copy of the evaluation (and so in the size-budgeted decision module) although it never runs there.
    fn consider<T: Tracer>(
        first: &mut Option<Cow<'_, [u8]>>,
        conflict: &mut bool,
        source: impl FnOnce() -> String,
        value: Cow<'_, [u8]>,
        t: &mut T,
    ) {
        t.step(|| format!("method override {} = {}", source(), quote(&value)));
        match first {
            None => *first = Some(Cow::Owned(value.into_owned())),
            Some(f) if f.eq_ignore_ascii_case(&value) => {}
            Some(_) => *conflict = true,
        }
    }
    for name in OVERRIDE_HEADERS.iter() {
        let values = req
            .headers
            .iter()
            .filter(|(n, _)| eq_lower(n, name.as_bytes()));
        for (_, v) in values {
            let source = || format!("header {name}");
            consider(
                &mut first,
                &mut conflict,
                source,
                Cow::Borrowed(trim_ows(v)),
                t,
            );
        }
    }
    for (name, value) in query_overrides(query) {
        let source = || format!("query parameter {name}");
        consider(&mut first, &mut conflict, source, Cow::Owned(value), t);
    }
    match first {
        None => {
            t.step(|| format!("method {request_method}, no override"));
            Ok(None)
        }
        Some(_) if conflict => {
            t.step(|| String::from("method overrides disagree: ambiguous"));
            Err(Reason::AmbiguousMethodOverride)
        }
        Some(value) => match Method::parse_held(&value, slot) {
            Some(m) => {
                t.step(|| format!("request method {request_method}, effective method {m}"));
                Ok(Some(m))
            }
            None => {
                t.step(|| {
                    format!(
                        "method override {} is not a valid method: malformed input",
                        quote(&value)
                    )
                });
                Err(Reason::MalformedInput)
            }
        },
    }
}

/// Everything after the first `?` of a request target (the query and any fragment); empty when there is none.
fn after_query_mark(uri: &[u8]) -> &[u8] {
    match find_byte(uri, b'?') {
        Some(i) => &uri[i + 1..],
        None => b"",
    }
}

/// The part before any `#`.
fn before_fragment(s: &[u8]) -> &[u8] {
    &s[..find_byte(s, b'#').unwrap_or(s.len())]
}

/// Whether any parameter of `query` can decode to `_method` or `ps_method`: only if the query says `method`
/// literally or percent-encodes something. Most queries (`?page=2`) are ruled out here, in one pass over them,
/// without splitting and decoding them.
fn may_name_an_override(query: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = find_either(&query[at..], b'%', b'm') {
        let p = at + i;
        if query[p] == b'%' || query[p..].starts_with(b"method") {
            return true;
        }
        at = p + 1;
    }
    false
}

/// `_method` and `ps_method` query parameters, decoded the way PHP fills `$_GET` (which is what WordPress and
/// PrestaShop read): `+` is a space, `%XX` a byte, and in the name leading spaces are dropped and `.` and ` `
/// become `_` — so `?.method=DELETE` is an override too. Array forms (`_method[]=…`) are not strings and are
/// ignored, as the shop would not use them as a method.
fn query_overrides(query: &[u8]) -> impl Iterator<Item = (&'static str, Vec<u8>)> + '_ {
    query.split(|&b| b == b'&').filter_map(|pair| {
        let eq = pair.iter().position(|&b| b == b'=').unwrap_or(pair.len());
        let raw_name = &pair[..eq];
        // Cheap filter before decoding: the name must contain "method" in some spelling.
        if raw_name.len() < 6 {
            return None;
        }
        let mut name = url_decode(raw_name);
        let skip = name.iter().take_while(|&&b| b == b' ').count();
        name.drain(..skip);
        if has_byte(&name, b'[') {
            return None;
        }
        for b in name.iter_mut() {
            if *b == b' ' || *b == b'.' {
                *b = b'_';
            }
        }
        let which = OVERRIDE_PARAMS
            .iter()
            .find(|p| p.as_bytes() == name.as_slice())?;
        let value = if eq < pair.len() {
            url_decode(&pair[eq + 1..])
        } else {
            Vec::new()
        };
        Some((*which, value))
    })
}

fn url_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Step 4: the trimmed User-Agent, `None` when absent or empty; `Err` when malformed.
fn user_agent<'r>(slot: Slot<'r>, t: &mut impl Tracer) -> Result<Option<&'r [u8]>, ()> {
    match slot.count {
        0 => {
            t.step(|| String::from("no User-Agent"));
            Ok(None)
        }
        1 => {
            let raw = slot.first_value;
            // The cap applies to the header as sent: padding is no way around it.
            if raw.len() > MAX_HEADER_VALUE {
                t.step(|| {
                    format!("User-Agent is longer than {MAX_HEADER_VALUE} bytes: malformed input")
                });
                return Err(());
            }
            let ua = trim_ows(raw);
            if !is_ascii(ua) && core::str::from_utf8(ua).is_err() {
                t.step(|| {
                    format!(
                        "User-Agent {} is not valid UTF-8: malformed input",
                        quote(ua)
                    )
                });
                return Err(());
            }
            if ua.is_empty() {
                t.step(|| String::from("empty User-Agent: treated as none"));
                return Ok(None);
            }
            t.step(|| format!("User-Agent {}", quote(ua)));
            Ok(Some(ua))
        }
        n => {
            t.step(|| format!("{n} User-Agent headers: malformed input"));
            Err(())
        }
    }
}

fn methods_allowed(
    set: &crate::method::MethodSet,
    (request, effective): (&Method, &Method),
) -> bool {
    set.contains(request) && set.contains(effective)
}

/// Step 5 for one rule whose `ip` condition (checked by the caller) held. Conditions are checked in the order ip,
/// user_agents, methods, paths; the first that fails ends the check, so a path is only normalised (and can only be
/// malformed) when everything else held.
fn rule_matches(
    rule: &Rule,
    ua: Option<&[u8]>,
    methods: (&Method, &Method),
    req: &Request<'_>,
    normalised_path: &mut Option<Option<Vec<u8>>>,
    t: &mut impl Tracer,
) -> Result<bool, ()> {
    if let Some(patterns) = &rule.user_agents {
        if !ua.is_some_and(|ua| patterns.iter().any(|p| p.matches(ua))) {
            t.step(|| {
                format!(
                    "rule {}: the User-Agent matches none of its patterns",
                    Quoted(&rule.id)
                )
            });
            return Ok(false);
        }
    }
    if let Some(set) = &rule.methods {
        if !methods_allowed(set, methods) {
            t.step(|| {
                format!(
                    "rule {}: method {} / {} is not in its methods",
                    Quoted(&rule.id),
                    methods.0,
                    methods.1
                )
            });
            return Ok(false);
        }
    }
    if let Some(prefixes) = &rule.paths {
        let normal = normalised_path.get_or_insert_with(|| path::normalise(path::path_of(req.uri)));
        let Some(normal) = normal.as_deref() else {
            t.step(|| {
                format!(
                    "rule {}: the path of {} cannot be normalised: malformed input",
                    Quoted(&rule.id),
                    quote(req.uri)
                )
            });
            return Err(());
        };
        if !prefixes.iter().any(|p| normal.starts_with(p.as_bytes())) {
            t.step(|| {
                format!(
                    "rule {}: path {} does not start with any of its prefixes",
                    Quoted(&rule.id),
                    quote(normal)
                )
            });
            return Ok(false);
        }
    }
    Ok(true)
}

/// Step 6 for one partner; `None` is `no_match`.
fn partner_outcome(
    impersonation: Impersonation,
    partner: &Partner,
    client: &Ip,
    ua: Option<&[u8]>,
    methods: (&Method, &Method),
    t: &mut impl Tracer,
) -> Option<(Action, Reason)> {
    let in_ranges = partner.ranges.contains(client);
    let pattern = ua.and_then(|ua| partner.user_agents.iter().find(|p| p.matches(ua)));
    let id = Quoted(&partner.id);
    match (in_ranges, pattern) {
        (true, Some(p)) => {
            if methods_allowed(&partner.methods, methods) {
                t.step(|| format!("partner {id}: {client} is in its ranges, the User-Agent matches {}, method {} is allowed: allow", Quoted(p.as_str()), methods.1));
                Some((Action::Allow, Reason::PartnerMatch))
            } else {
                t.step(|| {
                    let allowed: Vec<&str> = partner.methods.iter().map(Method::as_str).collect();
                    format!(
                        "partner {id}: {client} is in its ranges and the User-Agent matches {}, but method {} / {} is not in {}: no opinion",
                        Quoted(p.as_str()), methods.0, methods.1, allowed.join(", ")
                    )
                });
                Some((Action::Pass, Reason::MethodNotAllowed))
            }
        }
        (true, None) => {
            t.step(|| format!("partner {id}: {client} is in its ranges but the User-Agent matches none of its patterns: no opinion"));
            Some((Action::Pass, Reason::UaMismatch))
        }
        (false, matched) => {
            let claim = if matched.is_some() {
                None
            } else {
                ua.and_then(|ua| {
                    partner
                        .claims
                        .iter()
                        .find(|c| contains_lower(ua, c.as_bytes()))
                })
            };
            if matched.is_none() && claim.is_none() {
                t.step(|| format!("partner {id}: {client} is not in its ranges and the User-Agent does not claim to be it"));
                return None;
            }
            let action = match impersonation {
                Impersonation::Deny => Action::Deny,
                Impersonation::Log => Action::Pass,
            };
            t.step(|| {
                let why = match (matched, claim) {
                    (Some(p), _) => format!("the User-Agent matches {}", Quoted(p.as_str())),
                    (None, Some(c)) => format!("the User-Agent contains {}", Quoted(c)),
                    (None, None) => String::new(),
                };
                format!(
                    "partner {id}: {why} but {client} is not in its ranges: impersonation ({})",
                    match impersonation {
                        Impersonation::Deny => "deny, as the policy says",
                        Impersonation::Log =>
                            "logged, no opinion; set \"impersonation\": \"deny\" to block",
                    }
                )
            });
            Some((action, Reason::Impersonation))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effective(uri: &str) -> (Reason, Option<String>) {
        let policy = Policy::default_policy();
        let d = decide(
            &policy,
            &Request::new(b"198.51.100.7", b"POST", uri.as_bytes()),
        );
        (d.reason, d.method.map(|m| String::from(m.as_str())))
    }

    #[test]
    fn query_overrides_are_found_however_their_names_are_spelled() {
        // PHP decodes names, drops leading spaces and turns `.` and ` ` into `_`: all of these are `_method` or
        // `ps_method`, and the shortcut that skips queries without `method` or `%` must not hide them.
        for uri in [
            "/?_method=PATCH",
            "/?%5Fmethod=PATCH",
            "/?%5fmethod=PATCH",
            "/?_%6Dethod=PATCH",
            "/?.method=PATCH",
            "/?ps%5Fmethod=PATCH",
            "/?ps.method=PATCH",
            "/?a=1&_method=patch#x",
        ] {
            assert_eq!(
                effective(uri),
                (Reason::NoMatch, Some(String::from("PATCH"))),
                "{uri}"
            );
        }
        for uri in [
            "/?page=2",
            "/?",
            "/",
            "/?methods=PATCH",
            "/?_METHOD=PATCH",
            "/?%41=PATCH",
        ] {
            assert_eq!(
                effective(uri),
                (Reason::NoMatch, Some(String::from("POST"))),
                "{uri}"
            );
        }
    }

    /// The one-pass query scans against their plain definitions, on every target made of a few pieces that matter
    /// to them (`?`, `#`, `%`, `method` and parts of it).
    #[test]
    fn query_scans_match_their_definitions() {
        let pieces: [&[u8]; 9] = [
            b"?", b"#", b"%", b"method", b"meth", b"m", b"od", b"x=", b"&",
        ];
        let mut targets: Vec<Vec<u8>> = alloc::vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = targets
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| [t.as_slice(), p].concat()))
                .collect();
            targets.extend(longer);
        }
        assert!(targets.len() > 7000);
        for t in &targets {
            let q = match t.iter().position(|&b| b == b'?') {
                None => &b""[..],
                Some(i) => {
                    let q = &t[i + 1..];
                    &q[..q.iter().position(|&b| b == b'#').unwrap_or(q.len())]
                }
            };
            assert_eq!(before_fragment(after_query_mark(t)), q, "{t:?}");
            let may = q.contains(&b'%') || q.windows(6).any(|w| w == b"method");
            assert_eq!(may_name_an_override(q), may, "{q:?}");
        }
    }
}
