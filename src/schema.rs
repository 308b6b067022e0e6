//! The policy's JSON schema as `serde` types, and where in the text an error is.
//!
//! [`read`] deserializes a policy with `serde_json`; a policy it refuses is read again through `serde_path_to_error`
//! for the JSON path of the error (valid policies, nearly all of those read, skip the tracker's work: a layer
//! around every value and a copy of every key).
//! Every object is a derived struct with `deny_unknown_fields`; every value that has rules of its own (a range, a
//! pattern, a method, an id, a claim, a path prefix, a preset name, the action…) is a type that checks it when read
//! (`StrValue`, all of them strings, read by one reader), so that serde_json reports where it is and the path tracker
//! its path. What involves more than one
//! value (unique ids, ranges too wide for an `allow` rule, an `allow` rule without a condition, the keys of preset
//! and custom partners, the Cloudflare header) is checked by the compiler ([`crate::policy`]) on these types, which
//! finds the value's line and column again with [`locate`].
//!
//! # Line and column
//!
//! serde_json reports a data error where its reader stands: after the value that was refused (or after an
//! object's `}` for a missing key, after a key for an unknown one, before an array or object of the wrong type). A
//! person wants the start of the value, as the tester page selects it: [`start_of`] walks back over the value that
//! ends there (over a string to its opening quote, over a bracketed value to its opening bracket). Everything
//! before that point has been read as JSON by serde_json, so the walk back needs nothing but matching quotes and
//! brackets.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::checked::{Claim, Id, PathPrefix, PrefixError, MAX_CLAIM_LEN, MAX_ID_LEN};
use crate::method::Method;
use crate::pattern::Pattern;
use crate::policy::{Action, ForwardHeader, Impersonation, PolicyError};
use crate::presets;
use crate::ranges::Cidr;

/// The policy document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Checked when read (only 1 exists), not needed after.
    #[allow(dead_code)]
    #[serde(default, deserialize_with = "present")]
    pub version: Option<Version>,
    #[serde(default, deserialize_with = "present")]
    pub impersonation: Option<Impersonation>,
    #[serde(default, deserialize_with = "present")]
    pub trusted_proxies: Option<Object<ProxiesDoc>>,
    #[serde(default, deserialize_with = "objects")]
    pub partners: Option<Vec<Object<PartnerDoc>>>,
    #[serde(default, deserialize_with = "objects")]
    pub rules: Option<Vec<Object<RuleDoc>>>,
}

/// `trusted_proxies`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxiesDoc {
    #[serde(default, deserialize_with = "strings")]
    pub ranges: Option<Vec<Cidr>>,
    #[serde(default, deserialize_with = "strings")]
    pub presets: Option<Vec<ProxyPreset>>,
    #[serde(default, deserialize_with = "present")]
    pub header: Option<ForwardHeader>,
}

/// A partner: the keys of a preset entry and of a custom one (which keys go with which is the compiler's check, so
/// that the message can say which kind of partner a key does not belong to).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerDoc {
    #[serde(default, deserialize_with = "present")]
    pub preset: Option<PartnerPreset>,
    #[serde(default, deserialize_with = "present")]
    pub id: Option<Id>,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "strings")]
    pub add_ip: Option<Vec<Cidr>>,
    #[serde(default, deserialize_with = "strings")]
    pub add_methods: Option<Vec<Method>>,
    #[serde(default, deserialize_with = "strings")]
    pub add_user_agents: Option<Vec<Pattern>>,
    #[serde(default, deserialize_with = "strings")]
    pub ip: Option<Vec<Cidr>>,
    #[serde(default, deserialize_with = "strings")]
    pub user_agents: Option<Vec<Pattern>>,
    #[serde(default, deserialize_with = "strings")]
    pub claims: Option<Vec<Claim>>,
    #[serde(default, deserialize_with = "strings")]
    pub methods: Option<Vec<Method>>,
}

/// The keys of each kind of partner, for the compiler's messages.
pub const PRESET_PARTNER_KEYS: &[&str] = &[
    "preset",
    "id",
    "enabled",
    "add_ip",
    "add_methods",
    "add_user_agents",
];
/// See [`PRESET_PARTNER_KEYS`].
pub const CUSTOM_PARTNER_KEYS: &[&str] =
    &["id", "enabled", "ip", "user_agents", "claims", "methods"];

impl PartnerDoc {
    /// The keys present, in [`PartnerDoc`]'s order.
    pub fn keys(&self) -> Vec<&'static str> {
        let present = [
            ("preset", self.preset.is_some()),
            ("id", self.id.is_some()),
            ("enabled", self.enabled.is_some()),
            ("add_ip", self.add_ip.is_some()),
            ("add_methods", self.add_methods.is_some()),
            ("add_user_agents", self.add_user_agents.is_some()),
            ("ip", self.ip.is_some()),
            ("user_agents", self.user_agents.is_some()),
            ("claims", self.claims.is_some()),
            ("methods", self.methods.is_some()),
        ];
        present
            .into_iter()
            .filter_map(|(k, p)| p.then_some(k))
            .collect()
    }
}

/// A site rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub id: Id,
    pub action: Action,
    #[serde(default, deserialize_with = "present")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "strings")]
    pub ip: Option<Vec<Cidr>>,
    #[serde(default, deserialize_with = "strings")]
    pub user_agents: Option<Vec<Pattern>>,
    #[serde(default, deserialize_with = "strings")]
    pub methods: Option<Vec<Method>>,
    #[serde(default, deserialize_with = "strings")]
    pub paths: Option<Vec<PathPrefix>>,
}

/// An optional key that, when present, must hold a value of its type: `null` is not "absent" (it is an error,
/// as every other value of the wrong type).
#[inline(never)] // a function of each field's type, apart from its object's (see Object's visit_map)
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A list of strings, each checked by its type.
///
/// Every list of strings is read by one visitor and one element reader ([`StrArray`], [`StrElem`]), whatever the
/// element's type: only this small function and the type's [`StrValue::check`] are per type. Generic over the
/// element, each list's reader was its own copy of serde_json's and serde_path_to_error's sequence code (about
/// 10 KB of PHP each, a PHP host compiling one per kind of list a policy has).
#[inline(never)] // a function of each field's type, apart from its object's (see Object's visit_map)
fn strings<'de, D: Deserializer<'de>, T: StrValue>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    let mut out = Vec::new();
    d.deserialize_seq(StrArray {
        expecting: T::EXPECTING,
        take: &mut |s: &str| T::check(s).map(|v| out.push(v)),
    })?;
    Ok(Some(out))
}

/// A JSON array of strings, each handed to `take` (which checks and keeps it, or says what is wrong with it).
struct StrArray<'a> {
    /// What an element is called in a message.
    expecting: &'static str,
    take: &'a mut dyn FnMut(&str) -> Result<(), String>,
}

impl<'de> Visitor<'de> for StrArray<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let StrArray { expecting, take } = self;
        while seq
            .next_element_seed(StrElem {
                expecting,
                take: &mut *take,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One string, an element of a list or the value of a key, handed to `take`: what every [`StrValue`] is read by.
struct StrElem<'a> {
    expecting: &'static str,
    take: &'a mut dyn FnMut(&str) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for StrElem<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for StrElem<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        (self.take)(s).map_err(E::custom)
    }
}

/// A list of objects (partners, rules).
#[inline(never)] // a function of each field's type, apart from its object's (see Object's visit_map)
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    d.deserialize_seq(Objects(PhantomData)).map(Some)
}

/// A JSON array of objects read as `T` (lists of strings have their own reader, [`StrArray`]).
struct Objects<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Objects<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    // Apart from the object that holds the array, for the reason given at Object's visit_map.
    #[inline(never)]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while seq.next_element_seed(PushTo(&mut out))?.is_some() {}
        Ok(out)
    }
}

/// Reads one element straight into the array: returned instead, as `Result<Option<T>>`, an element is moved through
/// each layer of the reader (serde_path_to_error's, serde_json's), a copy each time, which a PHP host makes byte by
/// byte. (Lists of strings keep theirs through [`StrArray`]'s `take`, for the same reason: when an IP range was 56
/// bytes, its eight copies on the way out were a fifth of compiling 1,000 ranges in PHP.)
struct PushTo<'a, T>(&'a mut Vec<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for PushTo<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.push(T::deserialize(d)?);
        Ok(())
    }
}

/// What an object of the schema is called in a message (`expected a rule (an object)`).
pub trait Named {
    /// `a rule`.
    const WHAT: &'static str;
}
impl Named for PolicyDoc {
    const WHAT: &'static str = "a policy";
}
impl Named for ProxiesDoc {
    const WHAT: &'static str = "trusted_proxies";
}
impl Named for PartnerDoc {
    const WHAT: &'static str = "a partner";
}
impl Named for RuleDoc {
    const WHAT: &'static str = "a rule";
}

/// A JSON object read as `T`. (A derived struct also accepts a JSON array of its fields in order, which a policy
/// never means: `[]` is not an empty policy.)
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de> + Named> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Named> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} (an object)", T::WHAT)
            }
            // A function of its own for each kind of object: inlined, every object of the schema would be read
            // by one function, the policy's, which a PHP host compiles whole to read `{}` (wasm2php loads a
            // function on its first call).
            #[inline(never)]
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A value written as a JSON string and checked when read ([`strings`] for a list of them).
trait StrValue: Sized {
    /// What the value is called in a message (`invalid type: integer `5`, expected an IP range (a string)`).
    const EXPECTING: &'static str;
    /// The value, or what is wrong with `s` (the message of the error at its place).
    fn check(s: &str) -> Result<Self, String>;
}

/// A [`StrValue`] read by [`StrElem`], the reader of every string the schema checks.
fn checked_str<'de, D: Deserializer<'de>, T: StrValue>(d: D) -> Result<T, D::Error> {
    let mut value = None;
    StrElem {
        expecting: T::EXPECTING,
        take: &mut |s: &str| T::check(s).map(|v| value = Some(v)),
    }
    .deserialize(d)?;
    // A reader returns Ok only after its visitor did, which set the value.
    value.ok_or_else(|| de::Error::custom(format_args!("expected {}", T::EXPECTING)))
}

macro_rules! deserialize_str_values {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                checked_str(d)
            }
        }
    )*};
}
deserialize_str_values!(
    Cidr,
    Pattern,
    Method,
    Id,
    Claim,
    PathPrefix,
    Action,
    Impersonation,
    ForwardHeader,
    PartnerPreset,
    ProxyPreset,
);

/// `s` as a JSON string literal, for messages.
pub fn quoted(s: &str) -> String {
    let mut out = String::new();
    crate::json_out::write_str(&mut out, s);
    out
}

/// A range, parsed and normalised when read (the too-wide message reads its text again: `Compiler::narrow`).
impl StrValue for Cidr {
    const EXPECTING: &'static str = "an IP range (a string)";
    fn check(s: &str) -> Result<Self, String> {
        Cidr::parse(s).ok_or_else(|| format!("{} is not an IP range", quoted(s)))
    }
}

impl StrValue for Pattern {
    const EXPECTING: &'static str = "a User-Agent pattern (a string)";
    fn check(s: &str) -> Result<Self, String> {
        Pattern::parse(s).map_err(|e| format!("{} is not a User-Agent pattern: it {e}", quoted(s)))
    }
}

impl StrValue for Method {
    const EXPECTING: &'static str = "an HTTP method (a string)";
    fn check(s: &str) -> Result<Self, String> {
        Method::parse(s.as_bytes()).ok_or_else(|| {
            format!(
                "{} is not an HTTP method (a token of 1 to 32 characters)",
                quoted(s)
            )
        })
    }
}

impl StrValue for Id {
    const EXPECTING: &'static str = "an id (a string)";
    fn check(s: &str) -> Result<Self, String> {
        Id::new(s).ok_or_else(|| {
            format!(
                "{} is not a valid id (1 to {MAX_ID_LEN} bytes, no control characters)",
                quoted(s)
            )
        })
    }
}

impl StrValue for Claim {
    const EXPECTING: &'static str = "a claim (a string)";
    fn check(s: &str) -> Result<Self, String> {
        Claim::new(s)
            .ok_or_else(|| format!("{} is not a claim (1 to {MAX_CLAIM_LEN} bytes)", quoted(s)))
    }
}

impl StrValue for PathPrefix {
    const EXPECTING: &'static str = "a path prefix (a string)";
    fn check(s: &str) -> Result<Self, String> {
        PathPrefix::new(s).map_err(|e| {
            let why = match e {
                PrefixError::NotAbsolute => "does not start with \"/\"",
                PrefixError::BrokenEncoding => "has broken percent-encoding",
            };
            format!("{} {why}", quoted(s))
        })
    }
}

impl StrValue for Action {
    const EXPECTING: &'static str = "an action (\"allow\", \"deny\" or \"pass\")";
    fn check(s: &str) -> Result<Self, String> {
        match s {
            "allow" => Ok(Action::Allow),
            "deny" => Ok(Action::Deny),
            "pass" => Ok(Action::Pass),
            _ => Err(format!(
                "{} is not an action (allow, deny or pass)",
                quoted(s)
            )),
        }
    }
}

impl StrValue for Impersonation {
    const EXPECTING: &'static str = "\"log\" or \"deny\"";
    fn check(s: &str) -> Result<Self, String> {
        match s {
            "log" => Ok(Impersonation::Log),
            "deny" => Ok(Impersonation::Deny),
            _ => Err(format!("{} is not \"log\" or \"deny\"", quoted(s))),
        }
    }
}

impl StrValue for ForwardHeader {
    const EXPECTING: &'static str = "a header name (a string)";
    fn check(s: &str) -> Result<Self, String> {
        ForwardHeader::from_name(s).ok_or_else(|| {
            let all: Vec<&str> = ForwardHeader::ALL.iter().map(|h| h.name()).collect();
            format!(
                "{} is not a supported header (one of: {})",
                quoted(s),
                all.join(", ")
            )
        })
    }
}

/// A partner preset's name.
pub struct PartnerPreset(pub &'static str);

impl StrValue for PartnerPreset {
    const EXPECTING: &'static str = "a partner preset (a string)";
    fn check(s: &str) -> Result<Self, String> {
        one_of(s, presets::PARTNER_PRESETS, "a partner preset").map(PartnerPreset)
    }
}

/// A trusted-proxy preset's name.
pub struct ProxyPreset(pub &'static str);

impl StrValue for ProxyPreset {
    const EXPECTING: &'static str = "a trusted-proxy preset (a string)";
    fn check(s: &str) -> Result<Self, String> {
        one_of(s, presets::PROXY_PRESETS, "a trusted-proxy preset").map(ProxyPreset)
    }
}

/// `s` as the one of `names` it is, or a message that lists them (`"x" is not a partner preset (one of: sendcloud)`).
fn one_of(s: &str, names: &[&'static str], what: &str) -> Result<&'static str, String> {
    names
        .iter()
        .find(|n| **n == s)
        .copied()
        .ok_or_else(|| format!("{} is not {what} (one of: {})", quoted(s), names.join(", ")))
}

/// `version`: the number 1.
pub struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the version 1")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
                match v {
                    1 => Ok(Version),
                    _ => Err(E::custom(format_args!(
                        "{v} is not a supported version (only 1)"
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Version, E> {
                Err(E::custom(format_args!(
                    "{v} is not a supported version (only 1)"
                )))
            }
        }
        d.deserialize_u64(V)
    }
}

/// Reads a policy text into its document, or the error with its JSON path and the line and column of the value.
pub fn read(text: &[u8]) -> Result<PolicyDoc, PolicyError> {
    // Most policies read are valid: read them without the path tracker, whose layer around every value and copy
    // of every key is most of the reading. Only a policy with an error is read again, tracked, for the error's
    // path (the same reader over the same text fails at the same place).
    let mut de = serde_json::Deserializer::from_slice(text);
    match Object::<PolicyDoc>::deserialize(&mut de) {
        Ok(doc) if de.end().is_ok() => Ok(doc.0),
        _ => Err(read_error(text)),
    }
}

/// The error of a policy text [`read`] refused, read again with the path tracker. Apart from `read` (and cold), so
/// that a PHP host, which loads a function on its first call, compiles neither it nor the tracked reader for a
/// valid policy.
#[cold]
#[inline(never)]
fn read_error(text: &[u8]) -> PolicyError {
    let mut de = serde_json::Deserializer::from_slice(text);
    match serde_path_to_error::deserialize::<_, Object<PolicyDoc>>(&mut de) {
        Err(e) => from_serde(text, path_text(e.path()), e.inner()),
        Ok(_) => match de.end() {
            Err(e) => from_serde(text, String::new(), &e),
            // Not reached: the untracked reader refused this text, and the tracked one reads it alike.
            Ok(()) => PolicyError {
                path: String::new(),
                message: "the policy could not be read".to_owned(),
                line: 1,
                column: 1,
            },
        },
    }
}

/// The path as the policy's errors write it: `rules[1].ip[0]`, empty for the whole policy.
fn path_text(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
            }
            serde_path_to_error::Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            serde_path_to_error::Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            serde_path_to_error::Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// serde_json's message without the position it appends (the error carries line and column apart).
fn message_of(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    // serde names JSON's objects and arrays by its own data model; a policy's author writes JSON.
    for (serde, json) in [("map", "an object"), ("sequence", "an array")] {
        if let Some(rest) = message
            .strip_prefix("invalid type: ")
            .and_then(|m| m.strip_prefix(serde))
        {
            return format!("invalid type: {json}{rest}");
        }
    }
    message.to_owned()
}

/// An unknown key of a partner, named as the compiler names a key of the other kind of partner: the derived
/// [`PartnerDoc`] knows the keys of both kinds, a person wants those of the partner written.
pub fn unknown_partner_key(key: &str, preset: bool) -> String {
    let (allowed, what) = if preset {
        (
            PRESET_PARTNER_KEYS,
            "a preset partner (use add_ip, add_methods, add_user_agents)",
        )
    } else {
        (CUSTOM_PARTNER_KEYS, "a custom partner")
    };
    format!(
        "unknown key {} in {what} (expected one of: {})",
        quoted(key),
        allowed.join(", ")
    )
}

fn from_serde(text: &[u8], path: String, e: &serde_json::Error) -> PolicyError {
    let message = message_of(e);
    if !e.is_data() {
        // Not JSON: where the reader stopped is the place. The path means nothing, except for what is wrong inside
        // a string (bytes that are not UTF-8, a bad escape), where it names the value, as before serde.
        let (line, column) = (e.line() as u32, e.column() as u32);
        let in_string = [
            "invalid unicode code point",
            "lone leading surrogate in hex escape",
            "invalid escape",
            "unexpected end of hex escape",
            "control character (\\u0000-\\u001F) found while parsing a string",
        ]
        .contains(&message.as_str());
        return PolicyError {
            path: if in_string { path } else { String::new() },
            message: format!("invalid JSON at line {line}, column {column}: {message}"),
            line,
            column,
        };
    }
    let (line, column) = line_column(text, start_of(text, index_of(text, e.line(), e.column())));
    let partner_key = path
        .strip_prefix("partners[")
        .and_then(|p| p.split_once("]."))
        .filter(|_| message.starts_with("unknown field"));
    let message = match partner_key {
        Some((i, key)) => {
            let preset = locate(text, &format!("partners[{i}].preset"), false) != (0, 0);
            unknown_partner_key(key, preset)
        }
        None => message,
    };
    // serde reports a repeated key against its object; the key's own path says which one is repeated.
    let repeated = message
        .strip_prefix("duplicate field `")
        .and_then(|m| m.strip_suffix('`'));
    let path = match repeated {
        Some(key) if path.is_empty() => key.to_owned(),
        Some(key) => format!("{path}.{key}"),
        None => path,
    };
    PolicyError {
        path,
        message,
        line,
        column,
    }
}

/// The byte index serde_json's (line, column) stands for: `column` bytes into line `line`.
fn index_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column).min(text.len())
}

/// 1-based line and column (bytes) of byte `at`.
fn line_column(text: &[u8], at: usize) -> (u32, u32) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line as u32, (at - line_start + 1) as u32)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The start of the value serde_json's reader stands after (or before, when it refused an array or object without
/// reading it): see the module docs.
fn start_of(text: &[u8], at: usize) -> usize {
    let mut end = at;
    while end > 0 && is_ws(text[end - 1]) {
        end -= 1;
    }
    let Some(&last) = end.checked_sub(1).and_then(|i| text.get(i)) else {
        return skip_ws(text, at);
    };
    match last {
        b'"' => string_start(text, end - 1),
        b']' | b'}' => {
            // Back to the matching bracket, over strings whole.
            let mut depth = 0usize;
            let mut i = end;
            while i > 0 {
                i -= 1;
                match text[i] {
                    b'"' => i = string_start(text, i),
                    b']' | b'}' => depth += 1,
                    b'[' | b'{' => {
                        depth -= 1;
                        if depth == 0 {
                            return i;
                        }
                    }
                    _ => {}
                }
            }
            0
        }
        b if b.is_ascii_alphanumeric() || b == b'.' || b == b'+' || b == b'-' => {
            let mut i = end - 1;
            while i > 0
                && (text[i - 1].is_ascii_alphanumeric()
                    || matches!(text[i - 1], b'.' | b'+' | b'-'))
            {
                i -= 1;
            }
            i
        }
        // `:`, `,`, `[` or `{`: the value was refused before it was read; it starts at the next byte that is not
        // whitespace.
        _ => skip_ws(text, at),
    }
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && is_ws(text[at]) {
        at += 1;
    }
    at
}

/// The opening quote of the string whose closing quote is at `close`: the previous quote not escaped (preceded
/// by an even number of backslashes).
fn string_start(text: &[u8], close: usize) -> usize {
    let mut i = close;
    while i > 0 {
        i -= 1;
        if text[i] == b'"' {
            let backslashes = text[..i].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return i;
            }
        }
    }
    0
}

/// Line and column of the value at `path` (`rules[1].ip[0]`), or of its key when `key` is set. (0, 0) when the
/// path is not in the text.
pub fn locate(text: &[u8], path: &str, key: bool) -> (u32, u32) {
    start_of_path(text, path, key).map_or((0, 0), |at| line_column(text, at))
}

/// The string at `path` as written (escapes decoded), for a message that quotes what a person wrote rather than
/// its normalised form. `None` when the path is not in the text or holds no string.
pub fn string_at(text: &[u8], path: &str) -> Option<String> {
    let at = start_of_path(text, path, false)?;
    let mut values = serde_json::Deserializer::from_slice(&text[at..]).into_iter::<String>();
    values.next()?.ok()
}

/// Where the value at `path` (or its key, when `key` is set) starts: the text is read again with serde_json, which
/// stops right after that value, and [`start_of`] goes back to its start.
fn start_of_path(text: &[u8], path: &str, key: bool) -> Option<usize> {
    let mut segments = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            segments.push(Segment::Key(name));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                segments.push(Segment::Index(i));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    match (Find {
        path: &segments,
        key,
    })
    .deserialize(&mut de)
    {
        Err(e) if e.to_string().starts_with(FOUND) => {
            Some(start_of(text, index_of(text, e.line(), e.column())))
        }
        _ => None,
    }
}

const FOUND: &str = "\u{0}found";

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Reads down `path` and fails with [`FOUND`] right after the value (or key) it names.
struct Find<'p> {
    path: &'p [Segment<'p>],
    key: bool,
}

impl<'de> DeserializeSeed<'de> for Find<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Find<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        match self.path.split_first() {
            Some((Segment::Index(want), rest)) => {
                while let Some(()) = if i == *want {
                    seq.next_element_seed(Find {
                        path: rest,
                        key: self.key,
                    })?
                } else {
                    seq.next_element::<IgnoredAny>()?.map(|_| ())
                } {
                    i += 1;
                }
                Ok(())
            }
            Some(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
            None => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Err(de::Error::custom(FOUND))
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.path.split_first() {
            Some((Segment::Key(want), rest)) => {
                let here = rest.is_empty() && self.key;
                while let Some(hit) = map.next_key_seed(KeyIs { want, fail: here })? {
                    if hit {
                        map.next_value_seed(Find {
                            path: rest,
                            key: self.key,
                        })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(())
            }
            Some(_) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
            None => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Err(de::Error::custom(FOUND))
            }
        }
    }
}

impl Find<'_> {
    fn scalar<E: de::Error>(self) -> Result<(), E> {
        if self.path.is_empty() {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
}

/// A key: whether it is `want` (failing with [`FOUND`] right after it if `fail`).
struct KeyIs<'a> {
    want: &'a str,
    fail: bool,
}

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        match (s == self.want, self.fail) {
            (true, true) => Err(E::custom(FOUND)),
            (hit, _) => Ok(hit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_values_and_keys() {
        let text = b"{\n  \"rules\": [\n    {\"id\": \"a\", \"action\": \"allow\", \"ip\": [\"10.0.0.0/33\", {\"x\": \"]\\\"\"}]}\n  ]\n}";
        assert_eq!(locate(text, "rules[0].ip[0]", false), (3, 43));
        assert_eq!(locate(text, "rules[0].ip[1]", false), (3, 58));
        assert_eq!(locate(text, "rules[0]", false), (3, 5));
        assert_eq!(locate(text, "rules[0].action", true), (3, 17));
        assert_eq!(locate(text, "rules", false), (2, 12));
        assert_eq!(locate(text, "", false), (1, 1));
        assert_eq!(locate(text, "rules[1]", false), (0, 0));
    }

    #[test]
    fn reads_a_string_again_as_written() {
        let text =
            br#"{"trusted_proxies": {"ranges": ["10.0.0.0/8", "\u00310.1.2.3/4"]}, "rules": []}"#;
        assert_eq!(
            string_at(text, "trusted_proxies.ranges[1]").as_deref(),
            Some("10.1.2.3/4")
        );
        assert_eq!(
            string_at(text, "trusted_proxies.ranges[0]").as_deref(),
            Some("10.0.0.0/8")
        );
        assert_eq!(string_at(text, "trusted_proxies.ranges[2]"), None);
        assert_eq!(string_at(text, "rules"), None, "not a string");
    }

    #[test]
    fn a_range_too_wide_is_quoted_as_written_not_as_parsed() {
        let message = |text: &str| crate::Policy::from_json(text.as_bytes()).err().unwrap();
        let e =
            message("{\n  \"trusted_proxies\": {\"ranges\": [\"10.0.0.0/8\", \"10.1.2.3/4\"]}\n}");
        assert_eq!(e.path, "trusted_proxies.ranges[1]");
        assert!(
            e.message
                .starts_with("\"10.1.2.3/4\" would let nearly everyone in"),
            "{e}"
        );
        assert_eq!((e.line, e.column), (2, 48));
        let e = message(r#"{"partners": [{"preset": "sendcloud", "add_ip": ["\u003a:/0"]}]}"#);
        assert!(e.message.starts_with("\"::/0\" would let"), "{e}");
    }

    #[test]
    fn errors_stand_at_the_start_of_the_value() {
        let at = |text: &str| {
            let e = read(text.as_bytes()).err().unwrap();
            (e.path, e.line, e.column)
        };
        let p = |s: &str| String::from(s);
        assert_eq!(
            at(r#"{"rules": [{"id": "a", "action": "deny", "ip": ["x"]}]}"#),
            (p("rules[0].ip[0]"), 1, 49)
        );
        assert_eq!(
            at(r#"{"rules": [{"id": "a", "action": "deny", "ip": {}}]}"#),
            (p("rules[0].ip"), 1, 48)
        );
        assert_eq!(
            at(r#"{"rules": [{"id": "a", "action": "deny", "ip": 12}]}"#),
            (p("rules[0].ip"), 1, 48)
        );
        assert_eq!(at(r#"{"rules": [{"id": "a"}]}"#), (p("rules[0]"), 1, 12));
        assert_eq!(
            at(r#"{"rules": [{"id": "a", "ipp" : 1}]}"#),
            (p("rules[0].ipp"), 1, 24)
        );
        assert_eq!(at(r#"{"version": 2}"#), (p("version"), 1, 13));
        assert_eq!(at("[]"), (p(""), 1, 1));
        let bad_utf8 = read(b"{\"rules\": [{\"id\": \"a\xff\"}]}").err().unwrap();
        assert_eq!(bad_utf8.path, "rules[0].id", "{bad_utf8}");
        let syntax = read(br#"{"rules": [}"#).err().unwrap();
        assert_eq!(syntax.path, "", "{syntax}");
        assert_eq!(at(r#"{"partners": null}"#), (p("partners"), 1, 14));
        assert_eq!(
            at(r#"{"rules": [{"id": "a", "id": "b"}]}"#),
            (p("rules[0].id"), 1, 24)
        );
    }
}
