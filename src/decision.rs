//! The engine's answer and its JSON form.

use alloc::string::String;
use alloc::vec::Vec;

use crate::addr::Ip;
use crate::json;
use crate::method::Method;
pub use crate::policy::Action;
use crate::presets::Provenance;

/// Room for the longest fields form ([`Decision::write_fields`]): five length bytes, an action and a reason (32 bytes
/// each allowed; the longest is `ambiguous_method_override`, 25), an id, the address formatter's 40-byte slot and a
/// method.
pub const FIELDS_MAX: usize =
    5 + 2 * 32 + crate::policy::MAX_ID_LEN + 40 + crate::method::MAX_METHOD_LEN;

/// The stable reason codes of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    PartnerMatch,
    RuleMatch,
    Impersonation,
    MethodNotAllowed,
    UaMismatch,
    AmbiguousMethodOverride,
    MalformedInput,
    NoMatch,
}

impl Reason {
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
    pub action: Action,
    pub reason: Reason,
    pub rule: Option<&'p str>,
    pub client_ip: Option<Ip>,
    pub method: Option<Method>,
}

impl Decision<'_> {
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

    /// Writes the decision's *fields form* at the start of `out` and returns its length: the five values in the
    /// contract's key order (`action`, `reason`, `rule`, `client_ip`, `method`), each as one length byte and that many
    /// bytes of text, length 255 for `null`. The core module's `scg_decide_fields` returns this: a host reads it
    /// with a few substrings instead of a JSON parser (docs/core-abi.md). Every value fits: ids are at most
    /// [`MAX_ID_LEN`](crate::policy::MAX_ID_LEN) (128) bytes, addresses 39, methods 32 — [`FIELDS_MAX`] in all.
    ///
    /// A fixed buffer rather than a `Vec`: a PHP host runs every capacity check of a growing vector as statements,
    /// and the address is written straight into place.
    pub fn write_fields(&self, out: &mut [u8; FIELDS_MAX]) -> usize {
        self.write_fields_with(out, None)
    }

    /// [`write_fields`](Self::write_fields) with the client address given as its text, already canonical (the
    /// caller vouches for it; `crate::engine::decide_fields` does).
    pub(crate) fn write_fields_with(
        &self,
        out: &mut [u8; FIELDS_MAX],
        client_text: Option<&[u8]>,
    ) -> usize {
        fn put(out: &mut [u8; FIELDS_MAX], at: usize, value: Option<&[u8]>) -> usize {
            match value {
                Some(v) => {
                    let n = v.len().min(254);
                    out[at] = n as u8;
                    out[at + 1..at + 1 + n].copy_from_slice(&v[..n]);
                    at + 1 + n
                }
                None => {
                    out[at] = 255;
                    at + 1
                }
            }
        }
        let mut at = put(out, 0, Some(self.action.as_str().as_bytes()));
        at = put(out, at, Some(self.reason.as_str().as_bytes()));
        at = put(out, at, self.rule.map(str::as_bytes));
        match (self.client_ip, client_text) {
            (Some(_), Some(text)) => at = put(out, at, Some(text)),
            (Some(ip), None) => {
                let slot: &mut [u8; 40] = (&mut out[at + 1..at + 41])
                    .try_into()
                    .unwrap_or_else(|_| unreachable!());
                let n = ip.write_ascii(slot);
                out[at] = n as u8;
                at += 1 + n;
            }
            (None, _) => at = put(out, at, None),
        }
        put(out, at, self.method.as_ref().map(|m| m.as_bytes()))
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

/// A decision with the steps that led to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation<'p> {
    pub decision: Decision<'p>,
    /// In evaluation order; the wording is for people and may change.
    pub trace: Vec<String>,
    /// Where the deciding preset's data comes from, when a preset partner decided.
    pub provenance: Option<&'p Provenance>,
}

impl Explanation<'_> {
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
