//! The policy: its JSON schema, validation, and the compiled form every decision uses.
//!
//! This module is the split `wirefilter` makes between schema, parsed rules and compiled form, collapsed into one
//! pass: [`Policy::from_json`] reads the JSON, checks every key and value (naming the JSON path and the value
//! when one is wrong), expands the presets, and builds the compiled structures straight away — range sets merged
//! and sorted, patterns pre-parsed, methods as sets, paths normalised. Nothing is applied unless everything is
//! valid: the function returns either a whole [`Policy`] or the first error.
//!
//! The compiled form is serialised by [`crate::bytes`], and the decision logic that reads it lives in
//! [`crate::engine`].

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::addr::RangeSet;
use crate::checked::{Claim, Id, PathPrefix, PrefixError};
use crate::json::{self, Member, Node, Pos, Value};
use crate::method::{Method, MethodSet};
use crate::pattern::Pattern;
use crate::presets::{self, Provenance};
use crate::ranges::Cidr;

/// What a site rule does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Verified traffic, or a site rule said so: let it through.
    Allow,
    /// A site rule said so, or an impersonation the policy denies: block it.
    Deny,
    /// No opinion: the host applies its own rules.
    Pass,
}

impl Action {
    /// Every action, in a fixed order (the JS bindings' decision bytes index this table).
    pub const ALL: [Action; 3] = [Action::Allow, Action::Deny, Action::Pass];

    /// The contract's code: `allow`, `deny` or `pass`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
            Action::Pass => "pass",
        }
    }
}

/// What happens to a request that claims to be a partner but does not come from its addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Impersonation {
    /// No opinion (the default): a partner's new address must not be locked out by a stale list.
    #[default]
    Log,
    Deny,
}

impl Impersonation {
    pub fn as_str(self) -> &'static str {
        match self {
            Impersonation::Log => "log",
            Impersonation::Deny => "deny",
        }
    }
}

/// The header a trusted proxy puts the client address in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ForwardHeader {
    #[default]
    XForwardedFor,
    Forwarded,
    XRealIp,
    CfConnectingIp,
    TrueClientIp,
}

impl ForwardHeader {
    pub const ALL: [ForwardHeader; 5] = [
        ForwardHeader::XForwardedFor,
        ForwardHeader::Forwarded,
        ForwardHeader::XRealIp,
        ForwardHeader::CfConnectingIp,
        ForwardHeader::TrueClientIp,
    ];

    /// The header name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            ForwardHeader::XForwardedFor => "x-forwarded-for",
            ForwardHeader::Forwarded => "forwarded",
            ForwardHeader::XRealIp => "x-real-ip",
            ForwardHeader::CfConnectingIp => "cf-connecting-ip",
            ForwardHeader::TrueClientIp => "true-client-ip",
        }
    }

    /// List headers are walked right to left; the others hold a single address.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            ForwardHeader::XForwardedFor | ForwardHeader::Forwarded
        )
    }

    pub fn from_name(name: &str) -> Option<ForwardHeader> {
        ForwardHeader::ALL
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: Id,
    pub action: Action,
    pub enabled: bool,
    pub ip: Option<RangeSet>,
    pub user_agents: Option<Vec<Pattern>>,
    pub methods: Option<MethodSet>,
    /// Normalised path prefixes.
    pub paths: Option<Vec<PathPrefix>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    pub id: Id,
    pub enabled: bool,
    /// Set when the partner comes from a preset: where its data comes from.
    pub provenance: Option<Provenance>,
    pub ranges: RangeSet,
    pub user_agents: Vec<Pattern>,
    /// Lower-cased substrings that mark a User-Agent as claiming to be this partner.
    pub claims: Vec<Claim>,
    pub methods: MethodSet,
}

/// A compiled policy: validated, presets expanded, ready to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub(crate) impersonation: Impersonation,
    pub(crate) trusted_proxies: RangeSet,
    pub(crate) proxy_header: ForwardHeader,
    /// Names of the trusted-proxy presets that were expanded into `trusted_proxies`, for display.
    pub(crate) proxy_presets: Vec<String>,
    pub(crate) partners: Vec<Partner>,
    pub(crate) rules: Vec<Rule>,
}

impl Policy {
    /// The ids of the rules, then of the partners, in evaluation order: every value a decision's `rule` can have.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let rules = self.rules.iter().map(|r| r.id.as_str());
        rules.chain(self.partners.iter().map(|p| p.id.as_str()))
    }

    /// How many partners and how many rules are enabled, in that order.
    pub fn enabled_counts(&self) -> (usize, usize) {
        let partners = self.partners.iter().filter(|p| p.enabled).count();
        (partners, self.rules.iter().filter(|r| r.enabled).count())
    }
}

/// A reason to reject a policy: where (JSON path, line and column) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// `rules[1].ip[0]`; empty for errors about the whole text (JSON syntax).
    pub path: String,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// 1-based line of the offending value in the policy text; 0 when not applicable.
    pub line: u32,
    /// 1-based column (bytes) of the offending value; 0 when not applicable.
    pub column: u32,
}

impl PolicyError {
    /// The error as every host returns it ([`crate::hosts::error_json`]): `{"message","path","line","column"}`,
    /// where `message` is this error's text (the path, then what is wrong).
    pub fn to_json(&self) -> String {
        crate::hosts::error_json(&self.to_string(), &self.path, self.line, self.column)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl core::error::Error for PolicyError {}

/// Something a valid policy does that its author probably did not mean ([`Policy::warnings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWarning {
    /// The JSON path of the rule or value: `rules[1]`, `rules[1].paths[0]`.
    pub path: String,
    /// What the policy does and why that is probably not meant.
    pub message: String,
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub use crate::checked::{MAX_CLAIM_LEN, MAX_ID_LEN};

impl Policy {
    /// The policy used when none is given: the Sendcloud preset, nothing else.
    pub fn default_policy() -> Policy {
        // The default is `{}`, compiled like any other policy so that it can never disagree with one.
        Policy::from_json(b"{}").unwrap_or_else(|_| Policy {
            impersonation: Impersonation::Log,
            trusted_proxies: RangeSet::default(),
            proxy_header: ForwardHeader::XForwardedFor,
            proxy_presets: Vec::new(),
            partners: Vec::new(),
            rules: Vec::new(),
        })
    }

    /// Parses, validates and compiles a policy. The first error found is returned; nothing of a policy with an
    /// error is kept.
    pub fn from_json(text: &[u8]) -> Result<Policy, PolicyError> {
        let root = json::parse(text).map_err(|e| PolicyError {
            path: String::new(),
            message: e.to_string(),
            line: e.pos.line,
            column: e.pos.column,
        })?;
        Compiler::default().policy(&root)
    }

    /// What the policy allows that is probably not meant: an `allow` rule without an `ip` condition (anyone who
    /// matches the rest gets through) and an `allow` path prefix that does not end in `/` (`/wp-json/office` also
    /// matches `/wp-json/office-admin`). Warnings never reject a policy; they are computed from the compiled form,
    /// so a policy loaded from bytes has the same ones, and their paths are the policy JSON's (`rules[2]`,
    /// `rules[2].paths[0]`), in policy order.
    pub fn warnings(&self) -> Vec<PolicyWarning> {
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.action != Action::Allow {
                continue;
            }
            if rule.ip.is_none() {
                out.push(PolicyWarning {
                    path: format!("rules[{i}]"),
                    message: format!(
                        "allow rule \"{}\" has no ip condition: anyone matching the rest of it gets through",
                        rule.id
                    ),
                });
            }
            for (j, prefix) in rule.paths.iter().flatten().enumerate() {
                if !prefix.ends_with('/') {
                    out.push(PolicyWarning {
                        path: format!("rules[{i}].paths[{j}]"),
                        message: format!(
                            "\"{prefix}\" is a plain prefix: it also allows \"{prefix}-anything\"; write \"{prefix}/\" to mean the directory"
                        ),
                    });
                }
            }
        }
        out
    }

    /// [`Policy::warnings`] as a JSON array of `{"path", "message"}` objects: what the JS package and the core
    /// module hand their hosts.
    pub fn warnings_json(&self) -> String {
        let mut out = String::from("[");
        for (i, w) in self.warnings().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"path\":");
            json::write_str(&mut out, &w.path);
            out.push_str(",\"message\":");
            json::write_str(&mut out, &w.message);
            out.push('}');
        }
        out.push(']');
        out
    }

    /// Looks a rule or partner up by id.
    pub fn has_id(&self, id: &str) -> bool {
        self.rules.iter().any(|r| *r.id == *id) || self.partners.iter().any(|p| *p.id == *id)
    }
}

fn err(path: &str, pos: Pos, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.to_owned(),
        message: message.into(),
        line: pos.line,
        column: pos.column,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A JSON value quoted for a message: strings as JSON strings, other values by kind.
fn shown(node: &Node) -> String {
    match &node.value {
        Value::String(s) => {
            let mut out = String::new();
            json::write_bytes(&mut out, s);
            out
        }
        Value::Number(n) => n.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.kind().to_owned(),
    }
}

/// An object whose keys have been checked: known, unique, UTF-8.
struct Object<'a> {
    path: String,
    pos: Pos,
    members: &'a [Member],
}

impl<'a> Object<'a> {
    fn new(
        node: &'a Node,
        path: &str,
        allowed: &[&str],
        what: &str,
    ) -> Result<Object<'a>, PolicyError> {
        let Value::Object(members) = &node.value else {
            return Err(err(
                path,
                node.pos,
                format!("expected an object, found {}", node.value.kind()),
            ));
        };
        for (i, m) in members.iter().enumerate() {
            let key = core::str::from_utf8(&m.key)
                .map_err(|_| err(path, m.key_pos, "a key is not valid UTF-8"))?;
            let key_path = join(path, key);
            if !allowed.contains(&key) {
                return Err(err(
                    &key_path,
                    m.key_pos,
                    format!(
                        "unknown key {} in {what} (expected one of: {})",
                        shown_key(key),
                        allowed.join(", ")
                    ),
                ));
            }
            if members[..i].iter().any(|earlier| earlier.key == m.key) {
                return Err(err(&key_path, m.key_pos, "duplicate key"));
            }
        }
        Ok(Object {
            path: path.to_owned(),
            pos: node.pos,
            members,
        })
    }

    fn get(&self, key: &str) -> Option<&'a Node> {
        self.members
            .iter()
            .find(|m| m.key == key.as_bytes())
            .map(|m| &m.value)
    }

    fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn required(&self, key: &str, why: &str) -> Result<&'a Node, PolicyError> {
        self.get(key)
            .ok_or_else(|| err(&self.path(key), self.pos, format!("is required {why}")))
    }

    fn string(&self, key: &str) -> Result<Option<(&'a str, Pos)>, PolicyError> {
        self.get(key)
            .map(|n| string(n, &self.path(key)).map(|s| (s, n.pos)))
            .transpose()
    }

    fn bool(&self, key: &str, default: bool) -> Result<bool, PolicyError> {
        match self.get(key) {
            None => Ok(default),
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => Ok(*b),
            Some(n) => Err(err(
                &self.path(key),
                n.pos,
                format!("expected true or false, found {}", shown(n)),
            )),
        }
    }

    /// A list of strings, each with its own path, e.g. `rules[0].ip[2]`.
    fn strings(&self, key: &str) -> Result<Option<PathedStrings<'a>>, PolicyError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        let path = self.path(key);
        let Value::Array(items) = &node.value else {
            return Err(err(
                &path,
                node.pos,
                format!("expected an array of strings, found {}", node.value.kind()),
            ));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let item_path = format!("{path}[{i}]");
                string(item, &item_path).map(|s| (s, item_path, item.pos))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Strings of a JSON array, each with its JSON path and position (for errors about one of them).
type PathedStrings<'a> = Vec<(&'a str, String, Pos)>;

fn shown_key(key: &str) -> String {
    let mut out = String::new();
    json::write_str(&mut out, key);
    out
}

fn string<'a>(node: &'a Node, path: &str) -> Result<&'a str, PolicyError> {
    match &node.value {
        Value::String(s) => {
            core::str::from_utf8(s).map_err(|_| err(path, node.pos, "is not valid UTF-8"))
        }
        other => Err(err(
            path,
            node.pos,
            format!("expected a string, found {}", other.kind()),
        )),
    }
}

/// Builds a [`Policy`], remembering ids seen so far to report duplicates where the second one stands.
#[derive(Default)]
struct Compiler {
    ids: BTreeMap<String, String>,
}

const POLICY_KEYS: &[&str] = &[
    "version",
    "impersonation",
    "trusted_proxies",
    "partners",
    "rules",
];
const PROXY_KEYS: &[&str] = &["ranges", "presets", "header"];
const PRESET_PARTNER_KEYS: &[&str] = &[
    "preset",
    "id",
    "enabled",
    "add_ip",
    "add_methods",
    "add_user_agents",
];
const CUSTOM_PARTNER_KEYS: &[&str] = &["id", "enabled", "ip", "user_agents", "claims", "methods"];
const RULE_KEYS: &[&str] = &[
    "id",
    "action",
    "enabled",
    "ip",
    "user_agents",
    "methods",
    "paths",
];

type Strings<'a> = [(&'a str, String, Pos)];

impl Compiler {
    fn policy(mut self, root: &Node) -> Result<Policy, PolicyError> {
        let top = Object::new(root, "", POLICY_KEYS, "the policy")?;
        if let Some(v) = top.get("version") {
            if v.value != Value::Number("1".into()) {
                return Err(err(
                    "version",
                    v.pos,
                    format!("{} is not a supported version (only 1)", shown(v)),
                ));
            }
        }
        let impersonation = match top.string("impersonation")? {
            None | Some(("log", _)) => Impersonation::Log,
            Some(("deny", _)) => Impersonation::Deny,
            Some((_, pos)) => {
                let v = top.get("impersonation").map(shown).unwrap_or_default();
                return Err(err(
                    "impersonation",
                    pos,
                    format!("{v} is not \"log\" or \"deny\""),
                ));
            }
        };
        let (trusted_proxies, proxy_header, proxy_presets) = match top.get("trusted_proxies") {
            None => (RangeSet::default(), ForwardHeader::default(), Vec::new()),
            Some(node) => self.trusted_proxies(node)?,
        };
        let partners = match top.get("partners") {
            None => {
                let preset = presets::get("sendcloud")
                    .ok_or_else(|| err("partners", root.pos, "preset missing"))?;
                let id = self.claim_id("sendcloud", "partners", root.pos)?;
                alloc::vec![self.preset_partner_from(preset, id, true, &[], &[], &[])?]
            }
            Some(node) => self.each(node, "partners", Compiler::partner)?,
        };
        let rules = match top.get("rules") {
            None => Vec::new(),
            Some(node) => self.each(node, "rules", Compiler::rule)?,
        };
        Ok(Policy {
            impersonation,
            trusted_proxies,
            proxy_header,
            proxy_presets,
            partners,
            rules,
        })
    }

    /// Compiles each item of the array at `path`, giving each its own path (`rules[3]`).
    fn each<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut compile: impl FnMut(&mut Self, &Node, &str) -> Result<T, PolicyError>,
    ) -> Result<Vec<T>, PolicyError> {
        array(node, path)?
            .iter()
            .enumerate()
            .map(|(i, item)| compile(self, item, &format!("{path}[{i}]")))
            .collect()
    }

    fn trusted_proxies(
        &mut self,
        node: &Node,
    ) -> Result<(RangeSet, ForwardHeader, Vec<String>), PolicyError> {
        let obj = Object::new(node, "trusted_proxies", PROXY_KEYS, "trusted_proxies")?;
        let mut cidrs = match obj.strings("ranges")? {
            Some(list) => narrow_ranges(&list)?,
            None => Vec::new(),
        };
        let mut names = Vec::new();
        for (name, path, pos) in obj.strings("presets")?.unwrap_or_default() {
            if !presets::PROXY_PRESETS.contains(&name) {
                return Err(err(
                    &path,
                    pos,
                    format!(
                        "{} is not a trusted-proxy preset (one of: {})",
                        shown_key(name),
                        presets::PROXY_PRESETS.join(", ")
                    ),
                ));
            }
            let preset =
                presets::get(name).ok_or_else(|| err(&path, pos, "preset data missing"))?;
            cidrs.extend(preset.ranges.iter().filter_map(|r| Cidr::parse(r)));
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        let header = match obj.string("header")? {
            None => ForwardHeader::default(),
            Some((name, pos)) => ForwardHeader::from_name(name).ok_or_else(|| {
                let all: Vec<&str> = ForwardHeader::ALL.iter().map(|h| h.name()).collect();
                err(
                    "trusted_proxies.header",
                    pos,
                    format!(
                        "{} is not a supported header (one of: {})",
                        shown_key(name),
                        all.join(", ")
                    ),
                )
            })?,
        };
        // The other headers pass through Cloudflare as the client sent them (or as a Worker set them): trusting
        // Cloudflare's addresses for them trusts anyone.
        if names.iter().any(|n| n == "cloudflare")
            && !matches!(
                header,
                ForwardHeader::CfConnectingIp | ForwardHeader::XForwardedFor
            )
        {
            let pos = obj.get("header").map_or(obj.pos, |n| n.pos);
            return Err(err(
                "trusted_proxies.header",
                pos,
                format!(
                    "\"{}\" cannot be trusted from the cloudflare preset: anyone can set it through Cloudflare (use cf-connecting-ip or x-forwarded-for)",
                    header.name()
                ),
            ));
        }
        Ok((RangeSet::from_cidrs(&cidrs), header, names))
    }

    fn claim_id(&mut self, id: &str, path: &str, pos: Pos) -> Result<Id, PolicyError> {
        let Some(checked) = Id::new(id) else {
            return Err(err(
                path,
                pos,
                format!(
                    "{} is not a valid id (1 to {MAX_ID_LEN} bytes, no control characters)",
                    shown_key(id)
                ),
            ));
        };
        if let Some(first) = self.ids.get(id) {
            return Err(err(
                path,
                pos,
                format!("duplicate id {} (already used by {first})", shown_key(id)),
            ));
        }
        let owner = path.strip_suffix(".id").unwrap_or(path);
        self.ids.insert(id.to_owned(), owner.to_owned());
        Ok(checked)
    }

    fn partner(&mut self, node: &Node, path: &str) -> Result<Partner, PolicyError> {
        let is_preset =
            matches!(&node.value, Value::Object(m) if m.iter().any(|m| m.key == b"preset"));
        if is_preset {
            let obj = Object::new(
                node,
                path,
                PRESET_PARTNER_KEYS,
                "a preset partner (use add_ip, add_methods, add_user_agents)",
            )?;
            let (name, pos) = obj.string("preset")?.unwrap_or(("", node.pos));
            if !presets::PARTNER_PRESETS.contains(&name) {
                return Err(err(
                    &obj.path("preset"),
                    pos,
                    format!(
                        "{} is not a partner preset (one of: {})",
                        shown_key(name),
                        presets::PARTNER_PRESETS.join(", ")
                    ),
                ));
            }
            let preset = presets::get(name)
                .ok_or_else(|| err(&obj.path("preset"), pos, "preset data missing"))?;
            let id = match obj.string("id")? {
                Some((id, id_pos)) => self.claim_id(id, &obj.path("id"), id_pos)?,
                None => self.claim_id(name, &obj.path("preset"), pos)?,
            };
            let enabled = obj.bool("enabled", true)?;
            let add_ip = obj.strings("add_ip")?.unwrap_or_default();
            let add_methods = obj.strings("add_methods")?.unwrap_or_default();
            let add_uas = obj.strings("add_user_agents")?.unwrap_or_default();
            self.preset_partner_from(preset, id, enabled, &add_ip, &add_methods, &add_uas)
        } else {
            let obj = Object::new(node, path, CUSTOM_PARTNER_KEYS, "a custom partner")?;
            const WHY: &str =
                "for a custom partner (id, ip, user_agents and methods; or use \"preset\")";
            let id_node = obj.required("id", WHY)?;
            let id = string(id_node, &obj.path("id"))?;
            let id = self.claim_id(id, &obj.path("id"), id_node.pos)?;
            for key in ["ip", "user_agents", "methods"] {
                obj.required(key, WHY)?;
            }
            let ip = narrow_ranges(&obj.strings("ip")?.unwrap_or_default())?;
            let user_agents = patterns(&obj.strings("user_agents")?.unwrap_or_default())?;
            let methods = methods(&obj.strings("methods")?.unwrap_or_default())?;
            let claims = claims(&obj.strings("claims")?.unwrap_or_default())?;
            Ok(Partner {
                id,
                enabled: obj.bool("enabled", true)?,
                provenance: None,
                ranges: RangeSet::from_cidrs(&ip),
                user_agents,
                claims,
                methods,
            })
        }
    }

    fn preset_partner_from(
        &mut self,
        preset: presets::Preset,
        id: Id,
        enabled: bool,
        add_ip: &Strings<'_>,
        add_methods: &Strings<'_>,
        add_uas: &Strings<'_>,
    ) -> Result<Partner, PolicyError> {
        let mut cidrs: Vec<Cidr> = preset
            .ranges
            .iter()
            .filter_map(|r| Cidr::parse(r))
            .collect();
        cidrs.extend(narrow_ranges(add_ip)?);
        let mut user_agents: Vec<Pattern> = preset
            .user_agents
            .iter()
            .filter_map(|p| Pattern::parse(p).ok())
            .collect();
        for p in patterns(add_uas)? {
            if !user_agents.iter().any(|q| q.as_str() == p.as_str()) {
                user_agents.push(p);
            }
        }
        let mut method_set = MethodSet::default();
        for m in preset
            .methods
            .iter()
            .filter_map(|m| Method::parse(m.as_bytes()))
        {
            method_set.insert(m);
        }
        for m in methods(add_methods)?.iter() {
            method_set.insert(*m);
        }
        Ok(Partner {
            id,
            enabled,
            ranges: RangeSet::from_cidrs(&cidrs),
            user_agents,
            claims: preset
                .claims
                .iter()
                .map(|c| {
                    Claim::new(c).ok_or_else(|| {
                        err("partners", Pos::default(), "preset data: invalid claim")
                    })
                })
                .collect::<Result<_, _>>()?,
            methods: method_set,
            provenance: Some(preset.provenance),
        })
    }

    fn rule(&mut self, node: &Node, path: &str) -> Result<Rule, PolicyError> {
        let obj = Object::new(node, path, RULE_KEYS, "a rule")?;
        const WHY: &str = "for a rule";
        let id_node = obj.required("id", WHY)?;
        let id = string(id_node, &obj.path("id"))?;
        let id = self.claim_id(id, &obj.path("id"), id_node.pos)?;
        let action_node = obj.required("action", WHY)?;
        let action = match string(action_node, &obj.path("action"))? {
            "allow" => Action::Allow,
            "deny" => Action::Deny,
            "pass" => Action::Pass,
            _ => {
                return Err(err(
                    &obj.path("action"),
                    action_node.pos,
                    format!(
                        "{} is not an action (allow, deny or pass)",
                        shown(action_node)
                    ),
                ))
            }
        };
        let paths = match obj.strings("paths")? {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|(p, path, pos)| {
                        PathPrefix::new(p).map_err(|e| {
                            let why = match e {
                                PrefixError::NotAbsolute => "does not start with \"/\"",
                                PrefixError::BrokenEncoding => "has broken percent-encoding",
                            };
                            err(path, *pos, format!("{} {why}", shown_key(p)))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let conditions = ["ip", "user_agents", "methods", "paths"];
        if action == Action::Allow && conditions.iter().all(|c| obj.get(c).is_none()) {
            return Err(err(
                path,
                obj.pos,
                "an allow rule needs a condition (ip, user_agents, methods or paths): without one it lets everyone in",
            ));
        }
        let rule_ranges = if action == Action::Allow {
            narrow_ranges
        } else {
            ranges
        };
        Ok(Rule {
            id,
            action,
            enabled: obj.bool("enabled", true)?,
            ip: obj
                .strings("ip")?
                .map(|l| rule_ranges(&l))
                .transpose()?
                .map(|c| RangeSet::from_cidrs(&c)),
            user_agents: obj
                .strings("user_agents")?
                .map(|l| patterns(&l))
                .transpose()?,
            methods: obj.strings("methods")?.map(|l| methods(&l)).transpose()?,
            paths,
        })
    }
}

fn array<'a>(node: &'a Node, path: &str) -> Result<&'a [Node], PolicyError> {
    match &node.value {
        Value::Array(items) => Ok(items),
        other => Err(err(
            path,
            node.pos,
            format!("expected an array, found {}", other.kind()),
        )),
    }
}

/// [`ranges`] for the lists that let traffic in (partners, trusted proxies, `allow` rules): a range that would let
/// everyone in is an error there, not a policy.
fn narrow_ranges(list: &Strings<'_>) -> Result<Vec<Cidr>, PolicyError> {
    let cidrs = ranges(list)?;
    for ((s, path, pos), cidr) in list.iter().zip(&cidrs) {
        if cidr.is_too_wide() {
            return Err(err(
                path,
                *pos,
                format!(
                    "{} would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)",
                    shown_key(s)
                ),
            ));
        }
    }
    Ok(cidrs)
}

fn ranges(list: &Strings<'_>) -> Result<Vec<Cidr>, PolicyError> {
    list.iter()
        .map(|(s, path, pos)| {
            Cidr::parse(s)
                .ok_or_else(|| err(path, *pos, format!("{} is not an IP range", shown_key(s))))
        })
        .collect()
}

fn patterns(list: &Strings<'_>) -> Result<Vec<Pattern>, PolicyError> {
    list.iter()
        .map(|(s, path, pos)| {
            Pattern::parse(s).map_err(|e| {
                err(
                    path,
                    *pos,
                    format!("{} is not a User-Agent pattern: it {e}", shown_key(s)),
                )
            })
        })
        .collect()
}

fn methods(list: &Strings<'_>) -> Result<MethodSet, PolicyError> {
    let mut set = MethodSet::default();
    for (s, path, pos) in list {
        let m = Method::parse(s.as_bytes()).ok_or_else(|| {
            err(
                path,
                *pos,
                format!(
                    "{} is not an HTTP method (a token of 1 to 32 characters)",
                    shown_key(s)
                ),
            )
        })?;
        set.insert(m);
    }
    Ok(set)
}

fn claims(list: &Strings<'_>) -> Result<Vec<Claim>, PolicyError> {
    list.iter()
        .map(|(s, path, pos)| {
            Claim::new(s).ok_or_else(|| {
                err(
                    path,
                    *pos,
                    format!(
                        "{} is not a claim (1 to {MAX_CLAIM_LEN} bytes)",
                        shown_key(s)
                    ),
                )
            })
        })
        .collect()
}
