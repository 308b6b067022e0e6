//! The engine's answer and its JSON form.

use alloc::string::String;
use alloc::vec::Vec;

use crate::addr::Ip;
use crate::json_out as json;
use crate::method::Method;
pub use crate::policy::Action;
use crate::presets::Provenance;

/// The decision's five values as text, in the contract's key order (`action`, `reason`, `rule`, `client_ip`,
/// `method`), `None` for `null`: the *fields form* ([`Decision::fields`]). Each value is borrowed where it already
/// lives (static names, the policy's rule id, the request's own address text, [`FieldText`] for the rest), so that
/// the core module can hand a host five locations instead of copying bytes (docs/core-abi.md).
pub type Fields<'a> = [Option<&'a [u8]>; 5];

/// Room for the values of a [`Fields`] that exist nowhere else: a formatted client address and an uncommon method.
#[derive(Clone, Debug)]
pub struct FieldText {
    ip: [u8; 40],
    method: [u8; crate::method::MAX_METHOD_LEN],
}

impl FieldText {
    /// Empty room, ready for a decision.
    pub const fn new() -> FieldText {
        FieldText {
            ip: [0; 40],
            method: [0; crate::method::MAX_METHOD_LEN],
        }
    }
}

impl Default for FieldText {
    fn default() -> FieldText {
        FieldText::new()
    }
}

/// The stable reason codes of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A partner's addresses, User-Agent and methods all matched: `allow`.
    PartnerMatch,
    /// A site rule matched; the action is the rule's.
    RuleMatch,
    /// The User-Agent claims to be a partner from outside its addresses (`pass`, or `deny` if the policy says so).
    Impersonation,
    /// A partner's address and User-Agent, but a method it does not use: no opinion.
    MethodNotAllowed,
    /// A partner's address, but not its User-Agent: no opinion.
    UaMismatch,
    /// Method overrides that disagree: no opinion.
    AmbiguousMethodOverride,
    /// Input that cannot be read one way only (an address, a method, a header, a path): no opinion.
    MalformedInput,
    /// No rule and no partner decided: no opinion.
    NoMatch,
}

impl Reason {
    /// Every reason, in a fixed order (the JS bindings' decision bytes index this table).
    pub const ALL: [Reason; 8] = [
        Reason::PartnerMatch,
        Reason::RuleMatch,
        Reason::Impersonation,
        Reason::MethodNotAllowed,
        Reason::UaMismatch,
        Reason::AmbiguousMethodOverride,
        Reason::MalformedInput,
        Reason::NoMatch,
    ];

    /// The contract's stable code: `partner_match`, `no_match`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PartnerMatch => "partner_match",
            Reason::RuleMatch => "rule_match",
            Reason::Impersonation => "impersonation",
            Reason::MethodNotAllowed => "method_not_allowed",
            Reason::UaMismatch => "ua_mismatch",
            Reason::AmbiguousMethodOverride => "ambiguous_method_override",
            Reason::MalformedInput => "malformed_input",
            Reason::NoMatch => "no_match",
        }
    }
}

/// One decision. `rule` borrows the id from the policy, so deciding allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision<'p> {
    /// `allow`, `deny` or `pass`.
    pub action: Action,
    /// Why, as a stable code.
    pub reason: Reason,
    /// The id of the rule or partner that decided, if one did.
    pub rule: Option<&'p str>,
    /// The resolved client address, when it could be determined.
    pub client_ip: Option<Ip>,
    /// The effective method (after overrides), when it could be determined.
    pub method: Option<Method>,
}

impl<'p> Decision<'p> {
    /// `pass` with `malformed_input`: what every failure turns into, never `allow`.
    pub fn malformed(client_ip: Option<Ip>, method: Option<Method>) -> Decision<'static> {
        Decision {
            action: Action::Pass,
            reason: Reason::MalformedInput,
            rule: None,
            client_ip,
            method,
        }
    }

    /// The decision's JSON object, keys in the contract's order.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write_json(&mut out);
        out
    }

    /// Appends [`to_json`](Self::to_json)'s text to `out` (the core module reuses one buffer for every decision).
    pub fn write_json(&self, out: &mut String) {
        self.write_json_fields(out);
        out.push('}');
    }

    /// The decision's [`Fields`]: what the core module's `scg_decide_fields` returns, as locations. `text` holds
    /// the values that exist nowhere else (the client address written out, an uncommon method).
    pub fn fields<'a>(&'a self, text: &'a mut FieldText) -> Fields<'a> {
        let mut out = [None; 5];
        Verdict::of(self).each_field(text, None, |i, value| out[i] = value);
        out
    }

    /// Writes `{"action":…,"method":…` without the closing brace, so the explain form can add its keys.
    pub(crate) fn write_json_fields(&self, out: &mut String) {
        out.push_str("{\"action\":\"");
        out.push_str(self.action.as_str());
        out.push_str("\",\"reason\":\"");
        out.push_str(self.reason.as_str());
        out.push_str("\",\"rule\":");
        match self.rule {
            Some(id) => json::write_str(out, id),
            None => out.push_str("null"),
        }
        out.push_str(",\"client_ip\":");
        match self.client_ip {
            Some(ip) => {
                // Digits, hex letters, dots and colons: ASCII, nothing to escape.
                let mut buf = [0u8; 40];
                let n = ip.write_ascii(&mut buf);
                out.push('"');
                out.push_str(core::str::from_utf8(&buf[..n]).unwrap_or_default());
                out.push_str("\",\"method\":");
            }
            None => out.push_str("null,\"method\":"),
        }
        match self.method {
            Some(m) => {
                // A method is RFC 9110 token characters only: nothing to escape.
                out.push('"');
                out.push_str(m.as_str());
                out.push('"');
            }
            None => out.push_str("null"),
        }
    }
}

/// A decision as the evaluation finds it: the client address and the method borrowed from where they already are
/// (the parsed peer, a common method's static value), not copied into it. A [`Decision`] owns copies of both; in
/// wasm every copy is a run of loads and stores (the address is 32 bytes, a method 34), which a PHP host pays for
/// word by word, so the core module's decision path writes its fields straight from a verdict.
#[derive(Clone, Copy)]
pub(crate) struct Verdict<'p, 'a> {
    pub action: Action,
    pub reason: Reason,
    pub rule: Option<&'p str>,
    pub client_ip: Option<&'a Ip>,
    pub method: Option<&'a Method>,
}

impl<'p, 'a> Verdict<'p, 'a> {
    /// `pass` with `malformed_input` (see [`Decision::malformed`]).
    pub fn malformed(client_ip: Option<&'a Ip>, method: Option<&'a Method>) -> Verdict<'p, 'a> {
        Verdict {
            action: Action::Pass,
            reason: Reason::MalformedInput,
            rule: None,
            client_ip,
            method,
        }
    }

    pub fn of(d: &'a Decision<'p>) -> Verdict<'p, 'a> {
        Verdict {
            action: d.action,
            reason: d.reason,
            rule: d.rule,
            client_ip: d.client_ip.as_ref(),
            method: d.method.as_ref(),
        }
    }

    pub fn decision(&self) -> Decision<'p> {
        Decision {
            action: self.action,
            reason: self.reason,
            rule: self.rule,
            client_ip: self.client_ip.copied(),
            method: self.method.copied(),
        }
    }

    /// Gives each of the [`Decision::fields`] to `put` with its position, the client address as `client_text` when
    /// given: already canonical, the caller vouches for it (`crate::engine::decide_each_field` does). A callback rather
    /// than an array so that the core module writes each location once, straight into its table: a PHP host pays
    /// for every word stored.
    #[inline(always)]
    pub fn each_field<'t>(
        &self,
        text: &'t mut FieldText,
        client_text: Option<&'t [u8]>,
        mut put: impl FnMut(usize, Option<&'t [u8]>),
    ) where
        'p: 't,
    {
        let FieldText { ip, method } = text;
        put(0, Some(self.action.as_str().as_bytes()));
        put(1, Some(self.reason.as_str().as_bytes()));
        put(2, self.rule.map(str::as_bytes));
        put(
            3,
            match (self.client_ip, client_text) {
                (Some(_), Some(given)) => Some(given),
                (Some(addr), None) => {
                    let n = addr.write_ascii(ip);
                    Some(&ip[..n])
                }
                (None, _) => None,
            },
        );
        put(4, self.method.map(|m| m.static_bytes_or_copy(method)));
    }
}

/// Why input given to a host is not a request: the one text every host gives for it, `not a request: …` (the
/// explanation's one trace step, the CLI's message after the file and line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotARequest {
    why: String,
}

impl NotARequest {
    /// A buffer that is not exactly one request in the packed form ([`Request::from_packed`](crate::Request)).
    pub fn packed() -> NotARequest {
        NotARequest::because("the buffer is not one request in the packed form")
    }

    /// Any other reason, said by the host (the JS package: a value with no JSON text).
    pub fn because(why: impl Into<String>) -> NotARequest {
        NotARequest { why: why.into() }
    }
}

impl core::fmt::Display for NotARequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "not a request: {}", self.why)
    }
}

impl core::error::Error for NotARequest {}

/// A decision with the steps that led to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation<'p> {
    /// The decision, the same as [`Policy::decide`](crate::Policy::decide)'s.
    pub decision: Decision<'p>,
    /// In evaluation order; the wording is for people and may change.
    pub trace: Vec<String>,
    /// Where the deciding preset's data comes from, when a preset partner decided.
    pub provenance: Option<&'p Provenance>,
}

impl Explanation<'_> {
    /// `pass` with `malformed_input` for input that is not a request, the trace saying why.
    pub fn not_a_request(why: &NotARequest) -> Explanation<'static> {
        Explanation {
            decision: Decision::malformed(None, None),
            trace: alloc::vec![alloc::format!("{why}")],
            provenance: None,
        }
    }

    /// The decision's JSON with `trace` (and `provenance` when a preset decided) added.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512);
        self.decision.write_json_fields(&mut out);
        out.push_str(",\"trace\":[");
        for (i, step) in self.trace.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_str(&mut out, step);
        }
        out.push(']');
        if let Some(p) = self.provenance {
            out.push_str(",\"provenance\":");
            write_provenance(&mut out, p);
        }
        out.push('}');
        out
    }
}

pub(crate) fn write_provenance(out: &mut String, p: &Provenance) {
    out.push_str("{\"preset\":");
    json::write_str(out, &p.preset);
    out.push_str(",\"title\":");
    json::write_str(out, &p.title);
    out.push_str(",\"source\":");
    json::write_str(out, &p.source);
    out.push_str(",\"verified\":");
    out.push_str(if p.verified { "true" } else { "false" });
    out.push_str(",\"reviewed\":");
    json::write_str(out, &p.reviewed);
    out.push_str(",\"note\":");
    json::write_str(out, &p.note);
    out.push('}');
}
