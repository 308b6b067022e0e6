//! The compiled policy as bytes, for hosts that compile once and load per request (PHP keeps it in a file or
//! an option; the browser in memory).
//!
//! # Format, version 1
//!
//! Little-endian throughout. A header — the magic `SCGATE`, the format version (`u16`), the body length (`u32`)
//! and an FNV-1a checksum of the body (`u32`) — then the body:
//!
//! ```text
//! u8 impersonation (0 log, 1 deny) | u8 proxy header (index in ForwardHeader::ALL) | ranges trusted_proxies
//! | list<str> proxy preset names | list<partner> | list<rule>
//! partner = str id | u8 flags (1 enabled, 2 provenance) | [provenance] | ranges | list<str> user_agents
//!           | list<str> claims | list<str> methods
//! provenance = str preset | str title | str source | u8 verified | str reviewed | str note
//! rule    = str id | u8 action (0 allow, 1 deny, 2 pass) | u8 flags (1 enabled, 2 ip, 4 user_agents, 8 methods,
//!           16 paths) | [ranges] [list<str> user_agents] [list<str> methods] [list<str> paths]
//! ranges  = u32 n4, n4 × (u32 start, u32 end) | u32 n6, n6 × (u128 start, u128 end)
//! str     = u32 length, UTF-8 bytes;   list<T> = u32 count, count × T
//! ```
//!
//! Ranges are stored merged and sorted, as they are searched: 8 bytes per IPv4 interval, 32 per IPv6 interval.
//! Patterns, methods and claims are stored as text and compiled again on load with the same code as the JSON
//! path, so a loaded policy cannot behave differently from the one that was saved.
//!
//! # Never trusted blindly
//!
//! Loading checks everything the JSON compiler checks, and more: the checksum (against truncation and bit rot),
//! every length against the bytes left (so a forged count cannot make it allocate), that ranges are sorted,
//! disjoint and merged, that ids are unique, patterns valid, methods upper-case tokens, paths normalised, and that
//! nothing trails the body. A file that fails any check is refused whole.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::addr::RangeSet;
use crate::checked::{Claim, Id, PathPrefix};
use crate::method::{Method, MethodSet};
use crate::pattern::Pattern;
use crate::policy::{Action, ForwardHeader, Impersonation, Partner, Policy, Rule};
use crate::presets::Provenance;
use crate::rules::Rules;

pub const MAGIC: &[u8; 6] = b"SCGATE";
pub const FORMAT_VERSION: u16 = 1;
const HEADER_LEN: usize = 6 + 2 + 4 + 4;

/// Why bytes were refused as a compiled policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    /// What is wrong there.
    pub message: &'static str,
}

impl LoadError {
    /// The message, `not a valid compiled policy (at byte N): …`, written without `core::fmt` (the decision-only
    /// core module reports it and does not carry the formatting machinery).
    pub fn text(&self) -> String {
        let mut out = String::from("not a valid compiled policy (at byte ");
        crate::hosts::push_u32(&mut out, self.offset as u32);
        out.push_str("): ");
        out.push_str(self.message);
        out
    }

    /// The error as every host returns it ([`crate::hosts::error_json`]): the message, no path, line or column.
    pub fn to_json(&self) -> String {
        crate::hosts::error_json(&self.text(), "", 0, 0)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl core::error::Error for LoadError {}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl Policy {
    /// Whether `bytes` start like compiled policy bytes ([`Policy::to_bytes`]): how a host that takes either a JSON
    /// policy or compiled bytes tells them apart before loading.
    pub fn looks_compiled(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// The compiled policy as bytes (format version 1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.u8(match self.impersonation {
            Impersonation::Log => 0,
            Impersonation::Deny => 1,
        });
        w.u8(ForwardHeader::ALL
            .iter()
            .position(|h| *h == self.proxy_header)
            .unwrap_or(0) as u8);
        w.ranges(&self.trusted_proxies);
        w.list(&self.proxy_presets, |w, s| w.str(s));
        w.list(&self.partners, |w, p| {
            w.str(&p.id);
            w.u8(u8::from(p.enabled) | if p.provenance.is_some() { 2 } else { 0 });
            if let Some(pr) = &p.provenance {
                w.str(&pr.preset);
                w.str(&pr.title);
                w.str(&pr.source);
                w.u8(u8::from(pr.verified));
                w.str(&pr.reviewed);
                w.str(&pr.note);
            }
            w.ranges(&p.ranges);
            w.list(&p.user_agents, |w, u| w.str(u.as_str()));
            w.list(&p.claims, |w, c| w.str(c));
            w.methods(&p.methods);
        });
        w.list(&self.rules, |w, r| {
            w.str(&r.id);
            w.u8(match r.action {
                Action::Allow => 0,
                Action::Deny => 1,
                Action::Pass => 2,
            });
            let flags = u8::from(r.enabled)
                | if r.ip.is_some() { 2 } else { 0 }
                | if r.user_agents.is_some() { 4 } else { 0 }
                | if r.methods.is_some() { 8 } else { 0 }
                | if r.paths.is_some() { 16 } else { 0 };
            w.u8(flags);
            if let Some(ip) = &r.ip {
                w.ranges(ip);
            }
            if let Some(u) = &r.user_agents {
                w.list(u, |w, p| w.str(p.as_str()));
            }
            if let Some(m) = &r.methods {
                w.methods(m);
            }
            if let Some(p) = &r.paths {
                w.list(p, |w, s| w.str(s));
            }
        });
        let body = w.0;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&fnv1a(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Loads and validates bytes made by [`Policy::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Policy, LoadError> {
        let fail = |offset, message| Err(LoadError { offset, message });
        if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
            return fail(0, "missing the SCGATE header");
        }
        if u16::from_le_bytes([bytes[6], bytes[7]]) != FORMAT_VERSION {
            return fail(
                6,
                "unsupported format version (this engine reads version 1)",
            );
        }
        let body_len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        if bytes.len() - HEADER_LEN != body_len {
            return fail(8, "length does not match (truncated or extended)");
        }
        let body = &bytes[HEADER_LEN..];
        if fnv1a(body) != u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) {
            return fail(12, "checksum does not match (corrupted)");
        }
        let mut r = Reader { buf: body, at: 0 };
        let policy = r.policy().map_err(|message| LoadError {
            offset: HEADER_LEN + r.at,
            message,
        })?;
        if r.at != body.len() {
            return fail(HEADER_LEN + r.at, "bytes after the end of the policy");
        }
        Ok(policy)
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u32).to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Writer, &T)) {
        self.u32(items.len());
        for item in items {
            each(self, item);
        }
    }
    fn methods(&mut self, m: &MethodSet) {
        let names: Vec<&str> = m.iter().map(Method::as_str).collect();
        self.list(&names, |w, s| w.str(s));
    }
    fn ranges(&mut self, set: &RangeSet) {
        self.u32(set.v4().len());
        for &(s, e) in set.v4() {
            self.0.extend_from_slice(&s.to_le_bytes());
            self.0.extend_from_slice(&e.to_le_bytes());
        }
        self.u32(set.v6().len());
        for &(s, e) in set.v6() {
            self.0.extend_from_slice(&s.to_le_bytes());
            self.0.extend_from_slice(&e.to_le_bytes());
        }
    }
}

type Res<T> = Result<T, &'static str>;

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or("truncated")?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Res<usize> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn u128(&mut self) -> Res<u128> {
        let mut a = [0u8; 16];
        a.copy_from_slice(self.take(16)?);
        Ok(u128::from_le_bytes(a))
    }
    /// A count of items each at least `min_size` bytes long: refused if the rest of the buffer cannot hold them.
    fn count(&mut self, min_size: usize) -> Res<usize> {
        let n = self.u32()?;
        if n > (self.buf.len() - self.at) / min_size.max(1) {
            return Err("a count is larger than the data");
        }
        Ok(n)
    }
    fn str(&mut self) -> Res<String> {
        let n = self.u32()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "a string is not valid UTF-8")
    }
    fn strs(&mut self) -> Res<Vec<String>> {
        let n = self.count(4)?;
        (0..n).map(|_| self.str()).collect()
    }
    fn flag_byte(&mut self, allowed: u8) -> Res<u8> {
        let f = self.u8()?;
        if f & !allowed != 0 {
            return Err("unknown flag bits");
        }
        Ok(f)
    }
    fn ranges(&mut self) -> Res<RangeSet> {
        let n4 = self.count(8)?;
        let mut v4 = Vec::with_capacity(n4);
        for _ in 0..n4 {
            v4.push((self.u32()? as u32, self.u32()? as u32));
        }
        let n6 = self.count(32)?;
        let mut v6 = Vec::with_capacity(n6);
        for _ in 0..n6 {
            v6.push((self.u128()?, self.u128()?));
        }
        RangeSet::from_intervals(v4, v6).ok_or("ranges are not sorted, disjoint and merged")
    }
    fn patterns(&mut self) -> Res<Vec<Pattern>> {
        self.strs()?
            .iter()
            .map(|s| Pattern::parse(s).map_err(|_| "invalid User-Agent pattern"))
            .collect()
    }
    fn methods(&mut self) -> Res<MethodSet> {
        let mut set = MethodSet::default();
        for s in self.strs()? {
            let m = Method::parse(s.as_bytes()).ok_or("invalid method")?;
            if m.as_str() != s || set.contains(&m) {
                return Err("methods are not upper-case and unique");
            }
            set.insert(m);
        }
        Ok(set)
    }
    fn id(&mut self, seen: &mut Vec<Id>) -> Res<Id> {
        let id = Id::from_stored(self.str()?).ok_or("invalid id")?;
        if seen.contains(&id) {
            return Err("duplicate id");
        }
        seen.push(id.clone());
        Ok(id)
    }

    fn policy(&mut self) -> Res<Policy> {
        let impersonation = match self.u8()? {
            0 => Impersonation::Log,
            1 => Impersonation::Deny,
            _ => return Err("invalid impersonation mode"),
        };
        let proxy_header = *ForwardHeader::ALL
            .get(usize::from(self.u8()?))
            .ok_or("invalid proxy header")?;
        let trusted_proxies = self.ranges()?;
        let proxy_presets = self.strs()?;
        if proxy_presets
            .iter()
            .any(|p| !crate::presets::PROXY_PRESETS.contains(&p.as_str()))
        {
            return Err("unknown trusted-proxy preset");
        }
        let mut ids = Vec::new();
        let n = self.count(4 + 1 + 8 + 12)?;
        let mut partners = Vec::with_capacity(n);
        for _ in 0..n {
            partners.push(self.partner(&mut ids)?);
        }
        let n = self.count(4 + 2)?;
        let mut rules = Vec::with_capacity(n);
        for _ in 0..n {
            rules.push(self.rule(&mut ids)?);
        }
        Ok(Policy {
            impersonation,
            trusted_proxies,
            proxy_header,
            proxy_presets,
            partners,
            rules: Rules::new(rules),
        })
    }

    // A partner and a rule are each read by a function of their own: in a PHP host, which loads a function on its
    // first call, a policy without rules loads no rule reader, and opcache's block pass, whose cost grows with the
    // square of a function's size, meets three functions rather than one.
    #[cfg_attr(scg_small_code, inline(never))]
    fn partner(&mut self, ids: &mut Vec<Id>) -> Res<Partner> {
        let id = self.id(ids)?;
        let flags = self.flag_byte(3)?;
        let provenance = if flags & 2 != 0 {
            Some(Provenance {
                preset: self.str()?,
                title: self.str()?,
                source: self.str()?,
                verified: match self.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err("invalid boolean"),
                },
                reviewed: self.str()?,
                note: self.str()?,
            })
        } else {
            None
        };
        let ranges = self.ranges()?;
        let user_agents = self.patterns()?;
        let mut claims = Vec::new();
        for c in self.strs()? {
            claims.push(Claim::from_stored(c).ok_or("invalid claim")?);
        }
        let methods = self.methods()?;
        Ok(Partner {
            id,
            enabled: flags & 1 != 0,
            provenance,
            ranges,
            user_agents,
            claims,
            methods,
        })
    }

    #[cfg_attr(scg_small_code, inline(never))]
    fn rule(&mut self, ids: &mut Vec<Id>) -> Res<Rule> {
        let id = self.id(ids)?;
        let action = match self.u8()? {
            0 => Action::Allow,
            1 => Action::Deny,
            2 => Action::Pass,
            _ => return Err("invalid action"),
        };
        let flags = self.flag_byte(31)?;
        let ip = if flags & 2 != 0 {
            Some(self.ranges()?)
        } else {
            None
        };
        let user_agents = if flags & 4 != 0 {
            Some(self.patterns()?)
        } else {
            None
        };
        let methods = if flags & 8 != 0 {
            Some(self.methods()?)
        } else {
            None
        };
        let paths = if flags & 16 != 0 {
            let mut paths = Vec::new();
            for p in self.strs()? {
                paths.push(PathPrefix::from_stored(p).ok_or("paths are not normalised")?);
            }
            Some(paths)
        } else {
            None
        };
        // The compiler refuses an allow rule without a condition (it lets everyone in); so does the loader.
        if action == Action::Allow
            && ip.is_none()
            && user_agents.is_none()
            && methods.is_none()
            && paths.is_none()
        {
            return Err("an allow rule without a condition");
        }
        Ok(Rule {
            id,
            action,
            enabled: flags & 1 != 0,
            ip,
            user_agents,
            methods,
            paths,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes are never trusted: an allow rule without a condition, which the compiler refuses, is refused on load
    /// too (bytes written by hand, or by another tool, could carry one).
    #[test]
    fn an_allow_rule_without_a_condition_is_refused_on_load() {
        let mut policy =
            Policy::from_json(br#"{"rules":[{"id":"o","action":"allow","methods":["GET"]}]}"#)
                .unwrap();
        assert!(Policy::from_bytes(&policy.to_bytes()).is_ok());
        let mut rules = core::mem::take(&mut policy.rules).into_vec();
        rules[0].methods = None;
        policy.rules = Rules::new(rules.clone());
        assert!(Policy::from_bytes(&policy.to_bytes()).is_err());
        rules[0].action = Action::Deny;
        policy.rules = Rules::new(rules);
        assert!(Policy::from_bytes(&policy.to_bytes()).is_ok());
    }
}
