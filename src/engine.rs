//! The decision logic: every rule of the contract (revision 2), in its order, and nowhere else.
//!
//! ```text
//! read the request (1 addresses, 2 client IP, 3 methods, 4 User-Agents, paths)  →  5 site rules
//!   clean:    allow / deny / pass rules  →  6 partners  →  7 no_match
//!   unclean:  deny rules only  →  impersonation (when denied)  →  pass, malformed_input / ambiguous_method_override
//! ```
//!
//! The request is read once, whole, into a [`Reading`]: the contract's *candidates* (the client, the request method
//! and every override, every User-Agent; the paths a server or WordPress may route to are built when a rule first
//! needs them) and whether the request is *clean*. Nothing ends early on bad input, because a `deny` rule must still see every candidate of an unclean
//! request ("ambiguity never helps a client"): `allow` and `pass` rules need a clean request and every candidate,
//! `deny` rules any candidate. The candidates nearly every request has one of are held as values; the rest are read
//! again from the request on the rare paths that need them, so a plain request costs what it did before.
//!
//! The same function serves [`decide`] and [`explain`]: the trace is an `Option`, and with `None` no trace text is
//! ever formatted, so the fast path pays one branch per step for it.
//!
//! # Bounds
//!
//! Every input is attacker-controlled. Work is linear in the request size with small constants: header values
//! the engine reads are capped at [`MAX_HEADER_VALUE`] bytes (the User-Agent), forwarding lists are walked for at most
//! [`MAX_HOPS`] entries from the right (however long they are),
//! User-Agent patterns are matched by an NFA (see [`crate::pattern`]). An oversized User-Agent is malformed.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::addr::{parse_addr_noting_form, parse_hop, trim_ows, Ip};
use crate::decision::{Decision, Explanation, FieldText, Fields, Reason, Verdict};
use crate::json_out as json;
use crate::method::Method;
use crate::path;
use crate::pattern::{contains_lower, eq_lower, find_byte, find_either, has_byte, is_ascii};
use crate::policy::{Action, ForwardHeader, Impersonation, Partner, Policy, Rule};
use crate::presets::Provenance;
use crate::request::Request;

/// Longest User-Agent the engine reads. Apache and nginx refuse header fields above 8 KiB by default, so nothing legitimate comes near it; the margin keeps unusual
/// front ends working while a 64 KiB header is refused.
pub const MAX_HEADER_VALUE: usize = 32 * 1024;
/// Most entries of a forwarding list walked (from the right) to find the client.
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
    let peer = parsed.as_ref().map(|(ip, _)| ip);
    let mut held = Held::default();
    let (verdict, _) = evaluate_from(policy, request, peer, &mut held, &mut NoTrace);
    // The client is the peer itself (not an equal address from a header): its text is `remote_addr`'s.
    let given = match (&parsed, verdict.client_ip) {
        (Some((peer, true)), Some(c)) if core::ptr::eq(c, peer) => Some(request.remote_addr),
        _ => None,
    };
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
    /// Whether steps are kept: then every rule is visited, to say why each did not apply.
    const TRACES: bool;
    fn step(&mut self, text: impl FnOnce() -> String);
}

/// `decide`: no trace. `evaluate` is compiled twice, and `decide`'s copy has no trace code at all.
struct NoTrace;

impl Tracer for NoTrace {
    const TRACES: bool = false;
    #[inline(always)]
    fn step(&mut self, _: impl FnOnce() -> String) {}
}

/// `explain`: every step, in order.
struct Steps<'t>(&'t mut Vec<String>);

impl Tracer for Steps<'_> {
    const TRACES: bool = true;
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

pub(crate) const OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];
pub(crate) const OVERRIDE_PARAMS: [&str; 2] = ["_method", "ps_method"];
/// WordPress routes a request by this parameter (query or form) whatever its path says.
pub(crate) const ROUTE_PARAM: &str = "rest_route";

/// The parameters one pass over a request's parameters looks for, and a word every one of their names contains: a
/// raw name can only be read as one of them when it says that word literally or percent-encodes something, so other
/// names are passed over without being decoded.
struct Wanted {
    names: &'static [&'static str],
    word: &'static [u8],
}

const OVERRIDES: Wanted = Wanted {
    names: &OVERRIDE_PARAMS,
    word: b"method",
};
const ROUTE: Wanted = Wanted {
    names: &[ROUTE_PARAM],
    word: b"route",
};

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
    let peer = parsed.as_ref().map(|(ip, _)| ip);
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

/// Steps 1 to 4 and the paths of step 5, read once: the candidates of the contract's "Ambiguity" section and whether
/// the request is clean. Candidates that nearly every request has just one of are held directly (the client, the
/// request method, the effective method, the User-Agent); the rest (every override value, every User-Agent of an
/// unclean request) are read again from the request on the rare paths that need them.
struct Reading<'a, 'r> {
    /// The resolved client; `None` when `remote_addr` is malformed or the forwarding header could not be walked.
    client: Option<&'a Ip>,
    /// The request method, when it is a valid token.
    request_method: Option<&'a Method>,
    /// The effective method, when it could be determined: a valid request method and, if any override is present,
    /// override values that are all valid and equal (then it is their value).
    method: Option<&'a Method>,
    /// Whether any override is present (the method candidates are then more than the request method).
    overridden: bool,
    /// The trimmed User-Agent when there is exactly one, non-empty, well-formed.
    ua: Option<&'r [u8]>,
    ua_slot: Slot<'r>,
    /// The path of the request target, when it is one (else the request is malformed).
    target_path: Option<&'r [u8]>,
    /// The query of the request target (the part after its first `?`).
    target_query: &'r [u8],
    malformed: bool,
    ambiguous: bool,
}

impl Reading<'_, '_> {
    fn is_clean(&self) -> bool {
        !self.malformed && !self.ambiguous
    }

    /// The reason of an unclean request that nothing decided: malformed input wins over disagreeing overrides.
    fn unclean_reason(&self) -> Reason {
        if self.malformed {
            Reason::MalformedInput
        } else {
            Reason::AmbiguousMethodOverride
        }
    }
}

/// Steps 2 to 7, from the peer address (`None` when `remote_addr` is malformed: the request is then unclean, but deny
/// rules still apply to it).
#[inline(always)]
fn evaluate_from<'p, 'a, 'r, T: Tracer>(
    policy: &'p Policy,
    req: &Request<'r>,
    peer: Option<&'a Ip>,
    held: &'a mut Held,
    t: &mut T,
) -> (Verdict<'p, 'a>, Option<&'p Provenance>) {
    let r = read_request(policy, req, peer, held, t);

    // 5. Site rules. Path candidates are built the first time a rule reaches its paths.
    let mut paths: Option<Vec<Vec<u8>>> = None;
    let clean = r.is_clean();
    // The rules the client may meet, in order (`Rules::candidates`: enabled, and without an ip condition or with
    // ranges whose span holds the client), then the rules past the filter's reach one by one. An explanation visits
    // every rule, to say why each did not apply. A policy without rules (the default) skips all of it.
    let rules = &policy.rules;
    if !rules.is_empty() {
        let (mut candidates, mut next) = if T::TRACES {
            (0, 0)
        } else {
            (rules.candidates(r.client), rules.indexed())
        };
        loop {
            let i = if candidates != 0 {
                let i = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                i
            } else if next < rules.len() {
                next += 1;
                next - 1
            } else {
                break;
            };
            let Some(rule) = rules.get(i) else {
                break;
            };
            if !rule.enabled {
                t.step(|| format!("rule {} is disabled", Quoted(&rule.id)));
                continue;
            }
            let deny = rule.action == Action::Deny;
            if !deny && !clean {
                t.step(|| {
                    format!(
                        "rule {}: not considered, the request is unclean ({} rules need a clean request)",
                        Quoted(&rule.id),
                        rule.action.as_str()
                    )
                });
                continue;
            }
            // The ip condition first, for every action: there is one client candidate, so "every candidate" and "any
            // candidate" agree, and most rules a request meets fail here (measured: 8% fewer instructions per
            // decision on a 20-rule policy than deciding the action first).
            if !ip_condition_holds(rule, &r, t) {
                continue;
            }
            let matched = if deny {
                deny_rule_matches(rule, &r, req, &mut paths, t)
            } else {
                rule_matches_every(rule, &r, req, &mut paths, t)
            };
            if matched {
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
                    client_ip: r.client,
                    method: r.method,
                };
                return (v, None);
            }
        }
    }

    if !r.is_clean() {
        return (unclean_outcome(policy, &r, req, t), None);
    }
    // A clean request has all of these (the reading marks the request unclean otherwise).
    let (Some(client), Some(request_method), Some(method)) = (r.client, r.request_method, r.method)
    else {
        return (Verdict::malformed(r.client, r.method), None);
    };

    // 6. Partners.
    let methods = (request_method, method);
    for partner in policy.partners.iter() {
        if !partner.enabled {
            t.step(|| format!("partner {} is disabled", Quoted(&partner.id)));
            continue;
        }
        let Some((action, reason)) =
            partner_outcome(policy.impersonation, partner, client, r.ua, methods, t)
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

/// Steps 2 to 4, and whether step 5's path candidates normalise (they are built later, when a rule reaches its
/// paths). Every step runs whatever an earlier one found: a deny rule needs every candidate of an unclean request too.
#[inline(always)]
fn read_request<'a, 'r>(
    policy: &Policy,
    req: &Request<'r>,
    peer: Option<&'a Ip>,
    held: &'a mut Held,
    t: &mut impl Tracer,
) -> Reading<'a, 'r> {
    let Held {
        client: held_client,
        method: held_method,
        overridden: held_override,
    } = held;
    let headers = HeaderIndex::build(req, policy.proxy_header);
    let mut malformed = peer.is_none();

    // 2. Client IP.
    let client: Option<&Ip> = match peer {
        None => None,
        // Checked here rather than in `resolve_client`: the forwarding header's slot goes to that call through memory,
        // which a PHP host pays for statement by statement, and nearly no peer is a trusted proxy.
        Some(peer) if !policy.trusted_proxies.contains(peer) => {
            t.step(|| format!("{peer} is not a trusted proxy: forwarding headers are ignored, the client is {peer}"));
            Some(peer)
        }
        Some(peer) => match resolve_client(policy, peer, req, headers.forward, t) {
            Some(Resolved::Peer) => Some(peer),
            Some(Resolved::Other(ip)) => Some(held_client.insert(ip)),
            None => {
                malformed = true;
                None
            }
        },
    };

    // The request target: its query is read for overrides on every request, its path for `paths` conditions.
    // Whether its path has a `%` is noted in the same scan as its `?` natively, where a word search for two bytes
    // costs less than memchr for one. In the core module (`scg_small_code`) only when the policy has rules: for a
    // PHP host each word of the search costs two more statements, which pays only when a rule may need the answer.
    let note_escapes = !cfg!(scg_small_code) || !policy.rules.is_empty();
    let target = path::split_target(req.uri, note_escapes);
    if target.is_none() {
        malformed = true;
        t.step(|| {
            format!(
                "request target {} is not a path, \"*\" or an absolute URI: malformed input",
                quote(req.uri)
            )
        });
    }
    let path::Target {
        path: target_path,
        query: target_query,
        escaped,
    } = target.unwrap_or(path::Target::EMPTY);

    // 3. Method.
    // Borrowed, never moved: a method is 34 bytes, and a move is a copy in wasm.
    let request_method = Method::parse_held(req.method, held_method);
    if request_method.is_none() {
        malformed = true;
        t.step(|| {
            format!(
                "method {} is not a token of 1 to 32 characters: malformed input",
                quote(req.method)
            )
        });
    }
    let may_override = headers.any_override
        || (!target_query.is_empty() && may_name_an_override(target_query))
        || (!req.query.is_empty() && may_name_an_override(req.query))
        || !req.form.is_empty();
    let overrides = if may_override {
        read_overrides(req, target_query, held_override, t)
    } else {
        Overrides::default()
    };
    malformed |= overrides.invalid;
    let ambiguous = overrides.conflict;
    let method = match (request_method, overrides.value) {
        _ if overrides.invalid || overrides.conflict => None,
        (Some(m), None) => {
            t.step(|| format!("method {m}, no override"));
            Some(m)
        }
        (Some(m), Some(o)) => {
            t.step(|| format!("request method {m}, effective method {o}"));
            Some(o)
        }
        (None, _) => None,
    };

    // 4. User-Agent.
    let (ua, ua_malformed) = user_agent(headers.user_agent, t);
    malformed |= ua_malformed;

    // 5, before any rule: the path candidates, when some rule will look at them. Whether a broken path makes the
    // request unclean must not depend on which rule comes first. Nearly every path normalises, so that is asked
    // before which rules have paths (a pass over them all); a path without `%` normalises (the target's split
    // noted it), and a request without a query or form has no `rest_route`, so a plain request makes no call here.
    if target.is_some()
        && !policy.rules.is_empty()
        && (escaped || !target_query.is_empty() || !req.query.is_empty() || !req.form.is_empty())
        && !paths_normalise(req, target_path, escaped, target_query)
        && policy.rules.iter().any(|r| r.enabled && r.paths.is_some())
    {
        malformed = true;
        t.step(|| {
            format!(
                "the path of {} (or a rest_route) cannot be normalised: malformed input",
                quote(req.uri)
            )
        });
    }

    let reading = Reading {
        client,
        request_method,
        method,
        overridden: overrides.present,
        ua,
        ua_slot: headers.user_agent,
        target_path: target.map(|target| target.path),
        target_query,
        malformed,
        ambiguous,
    };
    if !reading.is_clean() {
        t.step(|| {
            format!(
                "the request is unclean ({}): only deny rules apply, and nothing can allow it",
                reading.unclean_reason().as_str()
            )
        });
    }
    reading
}

/// Whether every path candidate of step 5 can be normalised (the target's path and each `rest_route`).
// Kept out of the evaluation's body (never inlined): only policies with `paths` conditions need it.
#[inline(never)]
fn paths_normalise(
    req: &Request<'_>,
    target_path: &[u8],
    escaped: bool,
    target_query: &[u8],
) -> bool {
    // A path without `%` normalises.
    let mut ok = !escaped || path::normalises(target_path);
    // Empty queries (most) are ruled out here rather than in a call.
    if (!target_query.is_empty() && may_name_a_route(target_query))
        || (!req.query.is_empty() && may_name_a_route(req.query))
        || !req.form.is_empty()
    {
        for_each_param_of(req, target_query, &ROUTE, &mut |_, _, value| {
            ok &= path::normalises(value);
        });
    }
    ok
}

/// The path candidates of step 5, built the first time a rule reaches its `paths` condition: the target's path
/// normalised both ways (and with `%2F` decoded), and `/wp-json` + each `rest_route`. Candidates that cannot be
/// normalised are left out (the request is then unclean, which [`paths_normalise`] found before any rule ran).
// Given the two values it needs rather than the `Reading`: a struct whose reference goes to a call is kept in memory,
// which a PHP host pays for field by field on every request, rules or not.
fn path_candidates<'x>(
    target_path: Option<&[u8]>,
    target_query: &[u8],
    req: &Request<'_>,
    held: &'x mut Option<Vec<Vec<u8>>>,
    t: &mut impl Tracer,
) -> &'x [Vec<u8>] {
    held.get_or_insert_with(|| {
        let mut paths = Vec::new();
        // The target was split when the request was read; a target that is not a path has no candidates (the
        // request is unclean then).
        if let Some(target_path) = target_path {
            path::candidates(target_path, true, &mut paths);
        }
        if may_name_a_route(target_query) || may_name_a_route(req.query) || !req.form.is_empty() {
            for_each_param_of(req, target_query, &ROUTE, &mut |source, _, value| {
                t.step(|| format!("{} = {}", source.describe(ROUTE_PARAM), quote(value)));
                let route = [&b"/wp-json"[..], value].concat();
                path::candidates(&route, false, &mut paths);
            });
        }
        t.step(|| {
            let shown: Vec<String> = paths.iter().map(|p| quote(p)).collect();
            format!("paths: {}", shown.join(", "))
        });
        paths
    })
}

/// An unclean request that no deny rule matched: impersonation when the policy denies it, else no opinion.
// Inlined: it borrows the `Reading`, and a struct whose reference goes to a call is kept in memory, which a PHP
// host pays for field by field on every request (measured: fewer wasm instructions per decision this way).
#[inline(always)]
fn unclean_outcome<'p, 'a>(
    policy: &'p Policy,
    r: &Reading<'a, '_>,
    req: &Request<'_>,
    t: &mut impl Tracer,
) -> Verdict<'p, 'a> {
    if policy.impersonation == Impersonation::Deny {
        if let Some(client) = r.client {
            let claimed = policy.partners.iter().find(|partner| {
                partner.enabled
                    && !partner.ranges.contains(client)
                    && user_agents_of(r, req).any(|ua| {
                        partner.user_agents.iter().any(|p| p.matches(ua))
                            || partner
                                .claims
                                .iter()
                                .any(|c| contains_lower(ua, c.as_bytes()))
                    })
            });
            if let Some(partner) = claimed {
                t.step(|| {
                    format!(
                        "partner {}: a User-Agent claims to be it but {client} is not in its ranges: impersonation (deny, as the policy says)",
                        Quoted(&partner.id)
                    )
                });
                return Verdict {
                    action: Action::Deny,
                    reason: Reason::Impersonation,
                    rule: Some(&partner.id),
                    client_ip: r.client,
                    method: r.method,
                };
            }
        }
    }
    let reason = r.unclean_reason();
    t.step(|| {
        format!(
            "no deny rule matched the unclean request: no opinion ({})",
            reason.as_str()
        )
    });
    Verdict {
        action: Action::Pass,
        reason,
        rule: None,
        client_ip: r.client,
        method: r.method,
    }
}

/// The User-Agent candidates: the one User-Agent of a clean request, or every `User-Agent` header (trimmed, empty
/// ones left out) of an unclean one.
#[inline(always)]
fn user_agents_of<'x>(
    r: &'x Reading<'_, '_>,
    req: &'x Request<'_>,
) -> impl Iterator<Item = &'x [u8]> + 'x {
    let all = (!r.is_clean()).then(|| {
        HeaderIndex::values(r.ua_slot, req, b"user-agent")
            .map(trim_ows)
            .filter(|ua| !ua.is_empty())
    });
    let one = if all.is_none() { r.ua } else { None };
    one.into_iter().chain(all.into_iter().flatten())
}

/// Step 2, for a peer that is a trusted proxy (the caller checked). `None` means malformed input (already traced).
fn resolve_client(
    policy: &Policy,
    peer: &Ip,
    req: &Request<'_>,
    slot: Slot<'_>,
    t: &mut impl Tracer,
) -> Option<Resolved> {
    let header = policy.proxy_header;
    if slot.count == 0 {
        t.step(|| {
            format!(
                "{peer} is a trusted proxy but sent no {} header: the client is {peer}",
                header.name()
            )
        });
        return Some(Resolved::Peer);
    }
    if !header.is_list() && slot.count > 1 {
        t.step(|| {
            format!(
                "{} appears {} times but holds a single address: malformed input",
                header.name(),
                slot.count
            )
        });
        return None;
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
        }
        Cow::Owned(joined)
    };
    // No length cap here: however long the list, the walk reads at most MAX_HOPS entries from the right (the
    // contract: a longer header whose client is found within them is fine).
    if trim_ows(&value).is_empty() {
        t.step(|| format!("{} is present but empty: malformed input", header.name()));
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
        let ip = if has_byte(&value, b',') {
            None
        } else {
            parse_hop(&value)
        };
        match ip {
            Some(ip) => t.step(|| format!("{} holds {ip}: the client is {ip}", header.name())),
            None => {
                t.step(|| format!("{} is not a single address: malformed input", header.name()))
            }
        }
        return ip.map(Resolved::Other);
    }
    match header {
        ForwardHeader::Forwarded => {
            let elements = last_elements(&value);
            walk_hops(policy, elements.into_iter().rev(), header, t, |element| {
                forwarded_for(element).and_then(|v| parse_hop(&v))
            })
        }
        _ => walk_hops(policy, value.rsplit(|&b| b == b','), header, t, parse_hop),
    }
}

/// Walks a forwarding list from the right (`hops` is already reversed): empty elements are skipped and not counted,
/// trusted proxies are skipped, the first other address is the client; the leftmost entry when all are trusted.
/// A malformed entry met before the client, no entry at all, or more than [`MAX_HOPS`] entries walked without
/// finding the client: `None` (malformed input). Entries left of the client are never read.
// Kept out of the evaluation's body (never inlined): a request rarely needs it, and a PHP host compiles a function on its first call.
#[inline(never)]
fn walk_hops<'h>(
    policy: &Policy,
    hops: impl Iterator<Item = &'h [u8]>,
    header: ForwardHeader,
    t: &mut impl Tracer,
    parse: impl Fn(&[u8]) -> Option<Ip>,
) -> Option<Resolved> {
    let mut walked = 0;
    let mut leftmost = None;
    for hop in hops {
        if trim_ows(hop).is_empty() {
            continue;
        }
        walked += 1;
        if walked > MAX_HOPS {
            t.step(|| {
                format!(
                    "{} has more than {MAX_HOPS} entries from the right without a client: malformed input",
                    header.name()
                )
            });
            return None;
        }
        let Some(ip) = parse(hop) else {
            t.step(|| {
                format!(
                    "entry {walked} from the right, {}, is not an address: malformed input",
                    quote(trim_ows(hop))
                )
            });
            return None;
        };
        if policy.trusted_proxies.contains(&ip) {
            t.step(|| format!("entry {walked} from the right is {ip}, a trusted proxy: skipped"));
            leftmost = Some(ip);
            continue;
        }
        t.step(|| {
            format!(
                "entry {walked} from the right is {ip}, not a trusted proxy: the client is {ip}"
            )
        });
        return Some(Resolved::Other(ip));
    }
    match leftmost {
        Some(ip) => {
            t.step(|| format!("every entry is a trusted proxy: the leftmost, {ip}, is the client"));
            Some(Resolved::Other(ip))
        }
        None => {
            t.step(|| format!("{} has no entries: malformed input", header.name()));
            None
        }
    }
}

/// The last `MAX_HOPS + 1` non-empty elements of a `Forwarded` list, in order: all the walk can read, kept in bounded
/// memory however long the header (quotes are only known from the left, so the list is scanned from there).
fn last_elements(value: &[u8]) -> alloc::collections::VecDeque<&[u8]> {
    let mut kept = alloc::collections::VecDeque::with_capacity(MAX_HOPS + 1);
    for_each_outside_quotes(value, b',', |element| {
        if !trim_ows(element).is_empty() {
            if kept.len() > MAX_HOPS {
                kept.pop_front();
            }
            kept.push_back(element);
        }
    });
    kept
}

/// Splits on `sep` where it stands outside a quoted string (RFC 7239 values may quote commas and semicolons).
fn split_outside_quotes(value: &[u8], sep: u8) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    for_each_outside_quotes(value, sep, |part| parts.push(part));
    parts
}

/// Calls `f` with each part of `value` between `sep`s that stand outside quoted strings.
fn for_each_outside_quotes<'v>(value: &'v [u8], sep: u8, mut f: impl FnMut(&'v [u8])) {
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            f(&value[start..i]);
            start = i + 1;
        }
    }
    f(&value[start..]);
}

/// The `for=` value of one RFC 7239 element, unquoted. `None` when the element is not well-formed (whitespace
/// around `=`, a bad quoted string) or has no (or more than one) `for` parameter. Empty pairs (`for=a;;proto=b`) are
/// allowed by the RFC's grammar and skipped.
fn forwarded_for(element: &[u8]) -> Option<Cow<'_, [u8]>> {
    let mut found = None;
    for pair in split_outside_quotes(element, b';') {
        let pair = trim_ows(pair);
        if pair.is_empty() {
            continue;
        }
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (name, raw) = (&pair[..eq], &pair[eq + 1..]);
        if trim_ows(name).len() != name.len() || trim_ows(raw).len() != raw.len() {
            return None;
        }
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

/// Where a method override or a `rest_route` was read, for the trace.
#[derive(Clone, Copy)]
enum Source {
    Header(&'static str),
    Target,
    Query,
    Form,
}

impl Source {
    fn describe(self, name: &str) -> String {
        match self {
            Source::Header(h) => format!("header {h}"),
            Source::Target => format!("{name} in the request target's query"),
            Source::Query => format!("{name} in the query string"),
            Source::Form => format!("{name} in the form"),
        }
    }
}

/// Step 3's overrides: whether any is present, their value when they are all valid and equal, and what is wrong
/// with them otherwise.
#[derive(Default)]
struct Overrides<'a> {
    present: bool,
    value: Option<&'a Method>,
    /// A value is empty, not a token or longer than 32 characters.
    invalid: bool,
    /// Two values differ.
    conflict: bool,
}

/// Reads every override: the three headers (each occurrence) and the `_method` and `ps_method` parameters of the
/// target's query, of `query` and of `form`, names read as PHP reads them.
// Kept out of the evaluation's body (never inlined): a request rarely needs it, and a PHP host compiles a function on its first call.
#[inline(never)]
fn read_overrides<'a, T: Tracer>(
    req: &Request<'_>,
    target_query: &[u8],
    slot: &'a mut Option<Method>,
    t: &mut T,
) -> Overrides<'a> {
    let mut first: Option<Method> = None;
    let (mut present, mut invalid, mut conflict) = (false, false, false);
    let mut shown: Vec<String> = Vec::new();
    for_each_override(req, target_query, &mut |source, name, value| {
        present = true;
        t.step(|| {
            shown.push(format!("{} ({})", quote(value), source.describe(name)));
            format!(
                "method override {} = {}",
                source.describe(name),
                quote(value)
            )
        });
        match Method::parse(value) {
            None => invalid = true,
            Some(m) => match &first {
                None => first = Some(m),
                Some(f) if *f == m => {}
                Some(_) => conflict = true,
            },
        }
    });
    if !present {
        return Overrides::default();
    }
    t.step(|| {
        format!(
            "methods: {} (request), {}",
            quote(req.method),
            shown.join(", ")
        )
    });
    if invalid {
        t.step(|| String::from("a method override is empty, not a token or longer than 32 characters: malformed input"));
    } else if conflict {
        t.step(|| String::from("method overrides disagree: ambiguous"));
    }
    let value = match first {
        Some(m) if !invalid && !conflict => Some(&*slot.insert(m)),
        _ => None,
    };
    Overrides {
        present,
        value,
        invalid,
        conflict,
    }
}

/// Calls `f` with every override value: header values trimmed, parameter values percent-decoded.
fn for_each_override(
    req: &Request<'_>,
    target_query: &[u8],
    f: &mut impl FnMut(Source, &'static str, &[u8]),
) {
    for name in OVERRIDE_HEADERS {
        for (n, v) in req.headers.iter() {
            if eq_lower(n, name.as_bytes()) {
                f(Source::Header(name), name, trim_ows(v));
            }
        }
    }
    for_each_param_of(req, target_query, &OVERRIDES, &mut |source, name, value| {
        f(source, name, value)
    });
}

/// Calls `f` with each `wanted` parameter of the target's query, of `query` and of `form`: its name as the engine
/// knows it (read as PHP reads names) and its value percent-decoded.
fn for_each_param_of(
    req: &Request<'_>,
    target_query: &[u8],
    wanted: &Wanted,
    f: &mut impl FnMut(Source, &'static str, &[u8]),
) {
    for (source, query) in [(Source::Target, target_query), (Source::Query, req.query)] {
        for pair in query.split(|&b| b == b'&') {
            let eq = find_byte(pair, b'=').unwrap_or(pair.len());
            let value = pair.get(eq + 1..).unwrap_or_default();
            param(&pair[..eq], value, wanted, &mut |name, value| {
                f(source, name, value)
            });
        }
    }
    for (name, value) in req.form.iter() {
        param(name, value, wanted, &mut |name, value| {
            f(Source::Form, name, value)
        });
    }
}

/// One parameter, raw: `f` gets the wanted name it is read as and its decoded value, when it is one.
fn param(
    raw_name: &[u8],
    raw_value: &[u8],
    wanted: &Wanted,
    f: &mut impl FnMut(&'static str, &[u8]),
) {
    // Cheap filter before decoding (nearly every parameter stops here). Decoding allocates only when there is
    // something to decode.
    if raw_name.len() < wanted.word.len()
        || !(has_byte(raw_name, b'%') || contains(raw_name, wanted.word))
    {
        return;
    }
    let decoded = url_decode(raw_name);
    let name = php_name(&decoded);
    if let Some(known) = wanted.names.iter().find(|n| n.as_bytes() == &*name) {
        f(known, &url_decode(raw_value));
    }
}

/// A parameter name (already percent-decoded) as PHP registers it in `$_GET`, `$_POST` and `$_REQUEST`: cut at the
/// first NUL, leading spaces dropped, `.` and space turned into `_`; at the first `[`, the name of an array parameter
/// (`name[...]`, when a `]` follows) ends, and an unmatched `[` becomes `_` (as do `.`, space and `[` after it,
/// which PHP 8 does and which no name the engine reads can tell apart from PHP 7's). Empty when PHP ignores the
/// parameter (an empty name, or one starting with `[`).
fn php_name(decoded: &[u8]) -> Cow<'_, [u8]> {
    let name = &decoded[..find_byte(decoded, 0).unwrap_or(decoded.len())];
    let skip = name.iter().take_while(|&&b| b == b' ').count();
    let name = &name[skip..];
    if !name.iter().any(|b| matches!(b, b'[' | b' ' | b'.')) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(php_name_folded(name))
}

/// [`php_name`] of a name that has a `[`, space or `.` to fold.
fn php_name_folded(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for (i, &b) in name.iter().enumerate() {
        match b {
            b'[' if out.is_empty() => return out,
            b'[' if has_byte(&name[i + 1..], b']') => return out,
            b'[' => {
                out.push(b'_');
                out.extend(name[i + 1..].iter().map(|&c| match c {
                    b' ' | b'.' | b'[' => b'_',
                    c => c,
                }));
                return out;
            }
            b' ' | b'.' => out.push(b'_'),
            b => out.push(b),
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut at = 0;
    while let Some(i) = find_byte(&haystack[at..], first) {
        let p = at + i + 1;
        if haystack[p..].starts_with(rest) {
            return true;
        }
        at = p;
    }
    false
}

/// Whether any parameter of `query` can be named `_method` or `ps_method` as PHP reads names: only if the query
/// says `method` literally or percent-encodes something. Most queries (`?page=2`) are ruled out here, in one pass
/// over them, without splitting and decoding them.
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

/// [`may_name_an_override`] for `rest_route` (only asked when a rule has a `paths` condition).
fn may_name_a_route(query: &[u8]) -> bool {
    has_byte(query, b'%') || contains(query, b"route")
}

/// Percent-decodes as PHP's `urldecode` does: `+` is a space, `%XX` a byte, and a broken `%` sequence is kept.
fn url_decode(s: &[u8]) -> Cow<'_, [u8]> {
    // Not `find_either`: a second caller makes the compiler stop inlining it into `may_name_an_override`, which every
    // request runs (measured: 37 more PHP statements per decision).
    if !s.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(url_decode_escapes(s))
}

/// [`url_decode`] of a value that has a `%` or `+`.
fn url_decode_escapes(s: &[u8]) -> Vec<u8> {
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

/// Step 4: the trimmed User-Agent, `None` when absent or empty (or when the request is malformed here), and whether
/// it is malformed: several `User-Agent` headers, one longer than [`MAX_HEADER_VALUE`] or not UTF-8.
#[inline(always)]
fn user_agent<'r>(slot: Slot<'r>, t: &mut impl Tracer) -> (Option<&'r [u8]>, bool) {
    match slot.count {
        0 => {
            t.step(|| String::from("no User-Agent"));
            (None, false)
        }
        1 => {
            let raw = slot.first_value;
            // The cap applies to the header as sent: padding is no way around it.
            if raw.len() > MAX_HEADER_VALUE {
                t.step(|| {
                    format!("User-Agent is longer than {MAX_HEADER_VALUE} bytes: malformed input")
                });
                return (None, true);
            }
            let ua = trim_ows(raw);
            if !is_ascii(ua) && core::str::from_utf8(ua).is_err() {
                t.step(|| {
                    format!(
                        "User-Agent {} is not valid UTF-8: malformed input",
                        quote(ua)
                    )
                });
                return (None, true);
            }
            if ua.is_empty() {
                t.step(|| String::from("empty User-Agent: treated as none"));
                return (None, false);
            }
            t.step(|| format!("User-Agent {}", quote(ua)));
            (Some(ua), false)
        }
        n => {
            t.step(|| format!("{n} User-Agent headers: malformed input"));
            (None, true)
        }
    }
}

fn methods_allowed(
    set: &crate::method::MethodSet,
    (request, effective): (&Method, &Method),
) -> bool {
    set.contains(request) && set.contains(effective)
}

/// A rule's `ip` condition, the same for every kind of rule: there is one client candidate, so "every" and "any"
/// agree; an unresolved client meets no range. Holds when the rule has no `ip` condition.
#[inline(always)]
fn ip_condition_holds(rule: &Rule, r: &Reading<'_, '_>, t: &mut impl Tracer) -> bool {
    let Some(ranges) = &rule.ip else {
        return true;
    };
    let holds = r.client.is_some_and(|c| ranges.contains(c));
    if !holds {
        t.step(|| match r.client {
            Some(c) => format!("rule {}: {c} is not in its ranges", Quoted(&rule.id)),
            None => format!(
                "rule {}: no client address to compare with its ranges",
                Quoted(&rule.id)
            ),
        });
    }
    holds
}

/// Step 5 for an `allow` or `pass` rule on a clean request whose ip condition holds: every other condition holds for
/// every candidate. Conditions are checked in the order user_agents, methods, paths (ip before them, in the rule
/// loop); the first that fails ends the check.
// Inlined: it borrows the `Reading`, and a struct whose reference goes to a call is kept in memory, which a PHP
// host pays for field by field on every request (measured: fewer wasm instructions per decision this way).
#[inline(always)]
fn rule_matches_every(
    rule: &Rule,
    r: &Reading<'_, '_>,
    req: &Request<'_>,
    paths: &mut Option<Vec<Vec<u8>>>,
    t: &mut impl Tracer,
) -> bool {
    let id = Quoted(&rule.id);
    if let Some(patterns) = &rule.user_agents {
        if !r
            .ua
            .is_some_and(|ua| patterns.iter().any(|p| p.matches(ua)))
        {
            t.step(|| format!("rule {id}: the User-Agent matches none of its patterns"));
            return false;
        }
    }
    if let Some(set) = &rule.methods {
        let every = match (r.request_method, r.method) {
            (Some(a), Some(b)) => methods_allowed(set, (a, b)),
            _ => false,
        };
        if !every {
            t.step(|| format!("rule {id}: not every method candidate is in its methods"));
            return false;
        }
    }
    if let Some(prefixes) = &rule.paths {
        let paths = path_candidates(r.target_path, r.target_query, req, paths, t);
        let every = !paths.is_empty()
            && paths.iter().all(|p| {
                prefixes
                    .iter()
                    .any(|prefix| p.starts_with(prefix.as_bytes()))
            });
        if !every {
            t.step(|| {
                format!("rule {id}: not every path candidate starts with one of its prefixes")
            });
            return false;
        }
    }
    true
}

/// Step 5 for a `deny` rule whose ip condition holds, clean or unclean request: every other condition holds for some
/// candidate (each condition on its own: ambiguity never helps a client out of a deny).
// Inlined: it borrows the `Reading`, and a struct whose reference goes to a call is kept in memory, which a PHP
// host pays for field by field on every request (measured: fewer wasm instructions per decision this way).
#[inline(always)]
fn deny_rule_matches(
    rule: &Rule,
    r: &Reading<'_, '_>,
    req: &Request<'_>,
    paths: &mut Option<Vec<Vec<u8>>>,
    t: &mut impl Tracer,
) -> bool {
    let id = Quoted(&rule.id);
    if let Some(patterns) = &rule.user_agents {
        if !user_agents_of(r, req).any(|ua| patterns.iter().any(|p| p.matches(ua))) {
            t.step(|| format!("rule {id}: no User-Agent matches its patterns"));
            return false;
        }
    }
    if let Some(set) = &rule.methods {
        let mut any = r.request_method.is_some_and(|m| set.contains(m))
            || r.method.is_some_and(|m| set.contains(m));
        if !any && r.overridden && r.method.is_none() {
            // Disagreeing or invalid overrides: each value is a candidate.
            for_each_override(req, r.target_query, &mut |_, _, value| {
                any = any || Method::parse(value).is_some_and(|m| set.contains(&m));
            });
        }
        if !any {
            t.step(|| format!("rule {id}: no method candidate is in its methods"));
            return false;
        }
    }
    if let Some(prefixes) = &rule.paths {
        let any = path_candidates(r.target_path, r.target_query, req, paths, t)
            .iter()
            .any(|p| {
                prefixes.iter().any(|prefix| {
                    p.len() >= prefix.len()
                        && p[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
                })
            });
        if !any {
            t.step(|| format!("rule {id}: no path candidate starts with one of its prefixes"));
            return false;
        }
    }
    true
}

/// Step 6 for one partner; `None` is `no_match`.
#[inline(always)]
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
            "/?a=1&_method=patch",
            "/?_method%00x=PATCH",
            "/?ps[method=PATCH",
            "/?_method[]=PATCH",
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
            "/?_method[=PATCH",
        ] {
            assert_eq!(
                effective(uri),
                (Reason::NoMatch, Some(String::from("POST"))),
                "{uri}"
            );
        }
    }

    /// The one-pass query filter against its plain definition, on every query made of a few pieces that matter to
    /// it (`%`, `method` and parts of it).
    #[test]
    fn query_filter_matches_its_definition() {
        let pieces: [&[u8]; 8] = [b"#", b"%", b"method", b"meth", b"m", b"od", b"x=", b"&"];
        let mut queries: Vec<Vec<u8>> = alloc::vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = queries
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| [t.as_slice(), p].concat()))
                .collect();
            queries.extend(longer);
        }
        assert!(queries.len() > 4000);
        for q in &queries {
            let may = q.contains(&b'%') || q.windows(6).any(|w| w == b"method");
            assert_eq!(may_name_an_override(q), may, "{q:?}");
        }
    }

    #[test]
    fn a_hash_is_data() {
        // `#` is a token character: the value is the whole `patch#x`, and `/x#?_method=…` has a query.
        assert_eq!(
            effective("/?_method=patch#x"),
            (Reason::NoMatch, Some(String::from("PATCH#X")))
        );
        assert_eq!(
            effective("/x#y?_method=PATCH"),
            (Reason::NoMatch, Some(String::from("PATCH")))
        );
    }

    #[test]
    fn parameter_names_fold_as_php_reads_them() {
        for (raw, folded) in [
            ("_method", "_method"),
            ("_method%00junk", "_method"),
            ("%20%20_method", "_method"),
            ("+_method", "_method"),
            ("ps+method", "ps_method"),
            ("ps.method", "ps_method"),
            ("ps[method", "ps_method"),
            ("rest[route", "rest_route"),
            ("_method[]", "_method"),
            ("_method[x][y]", "_method"),
            ("_method[x]junk", "_method"),
            ("_method[", "_method_"),
            ("_method[a.b", "_method_a_b"),
            ("a[b[c", "a_b_c"),
            ("[_method]", ""),
            ("%00_method", ""),
            ("_METHOD", "_METHOD"),
            ("%5Fmethod", "_method"),
        ] {
            assert_eq!(
                php_name(&url_decode(raw.as_bytes())),
                folded.as_bytes(),
                "{raw}"
            );
        }
    }
}
