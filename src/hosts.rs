//! What a host crate needs beyond [`Policy`] and [`Request`], so that every host writes it the same way: the
//! decision as fields straight into a host's table, the error JSON every host returns, the preset data, and the
//! names of the request parts the engine reads (which a host uses to pass only those).
//!
//! The hosts are the crates in `crates/` (the core wasm module, the JS bindings, the command line) and, through the
//! core module, the PHP library. Nothing here is needed to decide from Rust.

use alloc::string::String;

use crate::decision::{FieldText, Verdict};
use crate::json_out as json;
use crate::policy::Policy;
use crate::request::Request;

/// Decides `request` and gives each of the decision's five values ([`crate::Fields`], in the contract's order) to
/// `put` with its position, borrowed where it already lives; `None` (a buffer that was not one packed request) is
/// `pass` / `malformed_input`. What the core module's `scg_decide_fields` writes into its table: a callback rather
/// than an array so that each location is stored once (a PHP host pays for every word stored).
#[inline(always)]
pub fn decide_each_field<'a>(
    policy: &'a Policy,
    request: Option<&Request<'a>>,
    text: &'a mut FieldText,
    put: impl FnMut(usize, Option<&'a [u8]>),
) {
    match request {
        Some(req) => crate::engine::decide_each_field(policy, req, text, put),
        None => Verdict::malformed(None, None).each_field(text, None, put),
    }
}

/// The error object every host returns for a failed call, `{"message","path","line","column"}` (`path` empty and
/// `line`/`column` 0 where they do not apply); [`crate::PolicyError::to_json`] and [`crate::LoadError::to_json`]
/// are this for their errors. Written without `core::fmt`, which the decision-only core module does not carry.
pub fn error_json(message: &str, path: &str, line: u32, column: u32) -> String {
    let mut out = String::with_capacity(message.len() + path.len() + 64);
    out.push_str("{\"message\":");
    json::write_str(&mut out, message);
    out.push_str(",\"path\":");
    json::write_str(&mut out, path);
    out.push_str(",\"line\":");
    push_u32(&mut out, line);
    out.push_str(",\"column\":");
    push_u32(&mut out, column);
    out.push('}');
    out
}

/// Appends `n` in decimal, without `core::fmt`.
pub(crate) fn push_u32(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

/// Appends `s` as a JSON string literal (quotes and escapes included).
pub fn write_json_str(out: &mut String, s: &str) {
    json::write_str(out, s);
}

/// Writes `items` to `out` as a JSON array of strings: the lists of names the host crates hand over (action and
/// reason codes, rule ids, export formats).
pub fn write_json_strs<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(out, s);
    }
    out.push(']');
}

/// The preset files with their provenance, as one JSON object keyed by preset name (partner presets, then
/// trusted-proxy presets).
pub fn presets_json() -> String {
    let mut out = String::from("{");
    let names = crate::presets::PARTNER_PRESETS
        .iter()
        .chain(crate::presets::PROXY_PRESETS);
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(&mut out, name);
        out.push(':');
        out.push_str(crate::presets::raw(name).unwrap_or("null"));
    }
    out.push('}');
    out
}

/// Every request header the engine may read, in their usual spelling (the engine compares names ASCII
/// case-insensitively): the User-Agent, the client-address headers a trusted proxy may set, and the method
/// overrides. A host that passes only these gets the same decision as one that passes every header.
pub const HEADERS_READ: [&str; 9] = [
    "User-Agent",
    "X-Forwarded-For",
    "Forwarded",
    "X-Real-IP",
    "CF-Connecting-IP",
    "True-Client-IP",
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
];

/// Every query or form parameter name the engine reads (after PHP's folding of names: `ps[method` is
/// `ps_method`): the method overrides and WordPress's REST route.
pub const PARAMS_READ: [&str; 3] = [
    crate::engine::OVERRIDE_PARAMS[0],
    crate::engine::OVERRIDE_PARAMS[1],
    crate::engine::ROUTE_PARAM,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ForwardHeader;

    #[test]
    fn headers_read_are_the_engines() {
        let mut engine: alloc::vec::Vec<&str> = alloc::vec!["user-agent"];
        engine.extend(ForwardHeader::ALL.iter().map(|h| h.name()));
        engine.extend(crate::engine::OVERRIDE_HEADERS);
        let listed: alloc::vec::Vec<String> = HEADERS_READ
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        assert_eq!(listed, engine);
    }

    #[test]
    fn error_json_escapes_and_counts() {
        assert_eq!(
            error_json("a \"b\"", "rules[0]", 12, 0),
            r#"{"message":"a \"b\"","path":"rules[0]","line":12,"column":0}"#
        );
    }
}
