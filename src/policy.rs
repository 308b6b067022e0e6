//! The policy: the compiler from its JSON, and the compiled form every decision uses.
//!
//! This module is the split `wirefilter` makes between schema, parsed rules and compiled form: [`crate::schema`]
//! reads the JSON into typed documents with serde (`serde_json`, and `serde_path_to_error` to find where an error
//! is; unknown keys refused, every value with rules of its own checked as it is read), and [`Policy::from_json`]
//! checks what involves more than one value (unique ids, ranges narrow enough where they let traffic in, a
//! condition on every `allow` rule, the keys of preset and custom partners, the Cloudflare header), expands the
//! presets and builds the compiled structures — range sets merged (`ipnet`, [`crate::ranges`]), patterns
//! pre-parsed, methods as sets, paths normalised. Every error names the JSON path, the line and column of the value
//! and the value itself. Nothing is applied unless everything is valid: the function returns either a whole
//! [`Policy`] or the first error.
//!
//! A PHP host runs this compiler translated to PHP, loading each function on its first call, and with a cold
//! opcache compiling the PHP costs about as much as running it. So the code a valid policy runs is kept apart from
//! the code of its errors (paths kept as parts until an error writes them, every error made in one cold function,
//! `Compiler::fail`), and large steps are functions of their own (opcache's block pass costs the square of a
//! function's size): figures in `plugin-shim/php/README.md`.
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
use crate::checked::{Claim, Id, PathPrefix};
use crate::json_out as json;
use crate::method::{Method, MethodSet};
use crate::pattern::Pattern;
use crate::presets::{self, Provenance};
use crate::ranges::Cidr;
use crate::rules::Rules;
use crate::schema::{self, quoted, Object, PartnerDoc, PolicyDoc, ProxiesDoc, RuleDoc};

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
    /// The site rules in order, with the filter a decision uses to pass over those its client cannot meet.
    pub(crate) rules: Rules,
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

// Each warning is written by a function apart (cold) in the core module (`scg_small_code`): a PHP host loads a
// function on its first call, and a policy without warnings then loads none of their formatting. (Elsewhere they are
// left to the optimiser: the JS decision module is within a kilobyte of its gzipped budget.)
impl PolicyWarning {
    #[cold]
    #[cfg_attr(scg_small_code, inline(never))]
    fn no_ip(rule: usize, id: &Id) -> PolicyWarning {
        PolicyWarning {
            path: format!("rules[{rule}]"),
            message: format!(
                "allow rule \"{id}\" has no ip condition: anyone matching the rest of it gets through"
            ),
        }
    }

    #[cold]
    #[cfg_attr(scg_small_code, inline(never))]
    fn plain_prefix(rule: usize, index: usize, prefix: &PathPrefix) -> PolicyWarning {
        PolicyWarning {
            path: format!("rules[{rule}].paths[{index}]"),
            message: format!(
                "\"{prefix}\" is a plain prefix: it also allows \"{prefix}-anything\"; write \"{prefix}/\" to mean the directory"
            ),
        }
    }
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

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
            rules: Rules::default(),
        })
    }

    /// Parses, validates and compiles a policy. The first error found is returned; nothing of a policy with an
    /// error is kept.
    pub fn from_json(text: &[u8]) -> Result<Policy, PolicyError> {
        // A UTF-8 byte-order mark is what some Windows editors put before a policy file.
        let (text, bom) = match text.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3),
            None => (text, 0),
        };
        let doc = schema::read(text);
        let mut result = doc.and_then(|doc| {
            Compiler {
                text,
                ids: Ids::default(),
            }
            .policy(doc)
        });
        if let Err(e) = &mut result {
            if e.line == 1 && e.column > 0 {
                e.column += bom;
            }
        }
        result
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
                out.push(PolicyWarning::no_ip(i, &rule.id));
            }
            for (j, prefix) in rule.paths.iter().flatten().enumerate() {
                if !prefix.ends_with('/') {
                    out.push(PolicyWarning::plain_prefix(i, j, prefix));
                }
            }
        }
        out
    }

    /// [`Policy::warnings`] as a JSON array of `{"path", "message"}` objects: what the JS package and the core
    /// module hand their hosts.
    pub fn warnings_json(&self) -> String {
        let warnings = self.warnings();
        if warnings.is_empty() {
            // Most policies: and a PHP host, which loads a function on its first call, then loads no JSON writer.
            return String::from("[]");
        }
        warnings_to_json(&warnings)
    }

    /// Looks a rule or partner up by id.
    pub fn has_id(&self, id: &str) -> bool {
        self.rules.iter().any(|r| *r.id == *id) || self.partners.iter().any(|p| *p.id == *id)
    }
}

/// [`Policy::warnings_json`] of a policy with warnings.
#[cfg_attr(scg_small_code, inline(never))]
fn warnings_to_json(warnings: &[PolicyWarning]) -> String {
    let mut out = String::from("[");
    for (i, w) in warnings.iter().enumerate() {
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

/// Where in the policy a value is, as a JSON path (`partners[1].ip[4]`), kept as its parts and written out only
/// for an error: a valid policy formats no path (a PHP host then loads none of the formatting code).
#[derive(Clone, Copy, Debug)]
struct At {
    /// `partners`, `rules`, `trusted_proxies`.
    top: &'static str,
    /// The element of `top`, when it is a list.
    index: Option<usize>,
    /// A key of that object.
    key: Option<&'static str>,
    /// The element of that key's list.
    item: Option<usize>,
}

impl At {
    const fn top(top: &'static str) -> At {
        At {
            top,
            index: None,
            key: None,
            item: None,
        }
    }

    const fn element(top: &'static str, index: usize) -> At {
        At {
            index: Some(index),
            ..At::top(top)
        }
    }

    const fn key(self, key: &'static str) -> At {
        At {
            key: Some(key),
            item: None,
            ..self
        }
    }

    const fn item(self, item: usize) -> At {
        At {
            item: Some(item),
            ..self
        }
    }

    /// Who takes an id found at `self`: the partner or rule whose `id` key it is, or the key that names it (a
    /// preset partner without an id takes the preset's name: `partners[0].preset`).
    fn owner(self) -> At {
        match self.key {
            Some("id") => At { key: None, ..self },
            _ => self,
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.top)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if let Some(key) = self.key {
            write!(f, ".{key}")?;
        }
        if let Some(i) = self.item {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}

/// Builds a [`Policy`] from the document, checking what involves more than one value; remembers ids seen so far to
/// report a duplicate where the second one stands.
///
/// Every error is made by [`Compiler::fail`], a function apart that is never inlined: a PHP host loads a function on
/// its first call, and the messages, the formatting and the search for a value's line and column are then code that
/// a valid policy never loads.
struct Compiler<'t> {
    text: &'t [u8],
    /// Each id taken so far, and where.
    ids: Ids,
}

impl Compiler<'_> {
    /// An error at the value `at` names (its key when `key`), with that value's line and column, and `message`.
    #[cold]
    #[inline(never)]
    fn fail<T>(
        &self,
        at: At,
        key: bool,
        message: impl FnOnce() -> String,
    ) -> Result<T, PolicyError> {
        Err(self.err(&at.to_string(), key, message()))
    }

    fn err(&self, path: &str, key: bool, message: String) -> PolicyError {
        let (line, column) = schema::locate(self.text, path, key);
        PolicyError {
            path: path.to_owned(),
            message,
            line,
            column,
        }
    }

    // Not inlined into `from_json`: opcache's block pass, whose cost grows with the square of a function's size,
    // then meets two smaller functions in a PHP host.
    #[inline(never)]
    fn policy(mut self, doc: PolicyDoc) -> Result<Policy, PolicyError> {
        let impersonation = doc.impersonation.unwrap_or_default();
        let (trusted_proxies, proxy_header, proxy_presets) = match doc.trusted_proxies {
            None => (RangeSet::default(), ForwardHeader::default(), Vec::new()),
            Some(Object(proxies)) => self.trusted_proxies(proxies)?,
        };
        let partners = match doc.partners {
            None => alloc::vec![self.default_partner()?],
            Some(list) => self.list("partners", list, Compiler::partner)?,
        };
        let rules = match doc.rules {
            None => Vec::new(),
            Some(list) => self.list("rules", list, Compiler::rule)?,
        };
        Ok(Policy {
            impersonation,
            trusted_proxies,
            proxy_header,
            proxy_presets,
            partners,
            rules: Rules::new(rules),
        })
    }

    /// The elements of the list `top` (`partners`, `rules`), each compiled by `each`. A function of its own for each
    /// list (for the block pass, as `preset_partner`).
    #[inline(never)]
    fn list<D, T>(
        &mut self,
        top: &'static str,
        list: Vec<Object<D>>,
        // A function item, not a pointer: each list's function calls its own directly.
        each: impl Fn(&mut Self, D, At) -> Result<T, PolicyError>,
    ) -> Result<Vec<T>, PolicyError> {
        let mut out = Vec::with_capacity(list.len());
        for (i, Object(doc)) in list.into_iter().enumerate() {
            out.push(each(self, doc, At::element(top, i))?);
        }
        Ok(out)
    }

    /// The partner of a policy without `partners`: the Sendcloud preset. (Not inlined into `policy`: a PHP host
    /// then compiles it only for a policy without partners.)
    #[inline(never)]
    fn default_partner(&mut self) -> Result<Partner, PolicyError> {
        let at = At::top("partners");
        let Some(preset) = presets::get("sendcloud") else {
            return self.fail(at, false, || "preset missing".to_owned());
        };
        let id = self.preset_id("sendcloud", at)?;
        let default = PartnerDoc {
            preset: None,
            id: None,
            enabled: None,
            add_ip: None,
            add_methods: None,
            add_user_agents: None,
            ip: None,
            user_agents: None,
            claims: None,
            methods: None,
        };
        self.preset_partner(preset, id, default, at)
    }

    // Not inlined into `policy`: a PHP host loads a function on its first call, and a policy without this part
    // (`{}`) then does not compile it (.ci/build-php.sh, lazy mode).
    #[inline(never)]
    fn trusted_proxies(
        &mut self,
        doc: ProxiesDoc,
    ) -> Result<(RangeSet, ForwardHeader, Vec<String>), PolicyError> {
        let at = At::top("trusted_proxies");
        let mut cidrs = self.narrow(doc.ranges.unwrap_or_default(), at.key("ranges"))?;
        let mut names: Vec<String> = Vec::new();
        for (i, name) in doc.presets.unwrap_or_default().into_iter().enumerate() {
            let Some(preset) = presets::get(name.0) else {
                return self.fail(at.key("presets").item(i), false, || {
                    "preset data missing".to_owned()
                });
            };
            cidrs.extend(preset.ranges.iter().filter_map(|r| Cidr::parse(r)));
            if !names.iter().any(|n| n == name.0) {
                names.push(name.0.to_owned());
            }
        }
        let header = doc.header.unwrap_or_default();
        // The other headers pass through Cloudflare as the client sent them (or as a Worker set them): trusting
        // Cloudflare's addresses for them trusts anyone.
        if names.iter().any(|n| n == "cloudflare")
            && !matches!(
                header,
                ForwardHeader::CfConnectingIp | ForwardHeader::XForwardedFor
            )
        {
            return self.fail(at.key("header"), false, || {
                format!(
                    "\"{}\" cannot be trusted from the cloudflare preset: anyone can set it through Cloudflare (use cf-connecting-ip or x-forwarded-for)",
                    header.name()
                )
            });
        }
        Ok((RangeSet::from_cidrs(&cidrs), header, names))
    }

    /// Takes the checked id of the rule or partner whose id is at `at`, refusing one already taken.
    fn claim_id(&mut self, id: Id, at: At) -> Result<Id, PolicyError> {
        if let Some(first) = self.ids.get(id.as_str()) {
            return self.fail(at, false, || {
                format!("duplicate id {} (already used by {first})", quoted(&id))
            });
        }
        self.ids.insert(id.as_str(), at.owner());
        Ok(id)
    }

    /// The id a preset partner without one of its own takes: the preset's name (at `at`, its `preset` key).
    fn preset_id(&mut self, name: &'static str, at: At) -> Result<Id, PolicyError> {
        match Id::new(name) {
            Some(id) => self.claim_id(id, at),
            // Not reached: the tests check that every preset's name is an id.
            None => self.fail(at, false, || format!("{} is not a valid id", quoted(name))),
        }
    }

    /// The keys of the wrong kind of partner, one error for the first.
    fn partner_keys(&self, doc: &PartnerDoc, at: At) -> Result<(), PolicyError> {
        let preset = doc.preset.is_some();
        let allowed = if preset {
            schema::PRESET_PARTNER_KEYS
        } else {
            schema::CUSTOM_PARTNER_KEYS
        };
        match doc.keys().into_iter().find(|k| !allowed.contains(k)) {
            Some(key) => self.fail(at.key(key), true, || {
                schema::unknown_partner_key(key, preset)
            }),
            None => Ok(()),
        }
    }

    // Not inlined into `policy`: a PHP host loads a function on its first call, and a policy without this part
    // (`{}`) then does not compile it (.ci/build-php.sh, lazy mode).
    #[inline(never)]
    fn partner(&mut self, mut doc: PartnerDoc, at: At) -> Result<Partner, PolicyError> {
        self.partner_keys(&doc, at)?;
        if let Some(name) = &doc.preset {
            let Some(preset) = presets::get(name.0) else {
                return self.fail(at.key("preset"), false, || "preset data missing".to_owned());
            };
            let id = match doc.id.take() {
                Some(id) => self.claim_id(id, at.key("id"))?,
                None => self.preset_id(name.0, at.key("preset"))?,
            };
            return self.preset_partner(preset, id, doc, at);
        }
        self.custom_partner(doc, at)
    }

    /// A partner without `preset`: its keys are all its own. (A function apart from `partner` for the block pass's
    /// sake, as `preset_partner`.)
    #[inline(never)]
    fn custom_partner(&mut self, mut doc: PartnerDoc, at: At) -> Result<Partner, PolicyError> {
        let required = [
            ("id", doc.id.is_some()),
            ("ip", doc.ip.is_some()),
            ("user_agents", doc.user_agents.is_some()),
            ("methods", doc.methods.is_some()),
        ];
        let missing = required
            .iter()
            .find(|(_, present)| !present)
            .map(|(key, _)| *key);
        let (Some(id), None) = (doc.id.take(), missing) else {
            return self.missing_key(at, missing.unwrap_or("id"));
        };
        let id = self.claim_id(id, at.key("id"))?;
        let ip = self.narrow(doc.ip.unwrap_or_default(), at.key("ip"))?;
        Ok(Partner {
            id,
            enabled: doc.enabled.unwrap_or(true),
            provenance: None,
            ranges: RangeSet::from_cidrs(&ip),
            user_agents: doc.user_agents.unwrap_or_default(),
            claims: doc.claims.unwrap_or_default(),
            methods: doc.methods.unwrap_or_default().into_iter().collect(),
        })
    }

    /// A custom partner without a key it needs: where the object is, under the missing key's own path.
    #[cold]
    #[inline(never)]
    fn missing_key<T>(&self, at: At, key: &'static str) -> Result<T, PolicyError> {
        let mut e = self.err(
            &at.to_string(),
            false,
            "is required for a custom partner (id, ip, user_agents and methods; or use \"preset\")"
                .to_owned(),
        );
        e.path = at.key(key).to_string();
        Err(e)
    }

    #[inline(never)]
    fn preset_partner(
        &mut self,
        preset: presets::Preset,
        id: Id,
        doc: PartnerDoc,
        at: At,
    ) -> Result<Partner, PolicyError> {
        let mut cidrs: Vec<Cidr> = preset
            .ranges
            .iter()
            .filter_map(|r| Cidr::parse(r))
            .collect();
        cidrs.extend(self.narrow(doc.add_ip.unwrap_or_default(), at.key("add_ip"))?);
        let user_agents = preset_user_agents(&preset.user_agents, doc.add_user_agents);
        let method_set = method_set(&preset.methods, doc.add_methods.unwrap_or_default());
        let Some(claims) = preset_claims(&preset.claims) else {
            return self.fail(at, false, || "preset data: invalid claim".to_owned());
        };
        Ok(Partner {
            id,
            enabled: doc.enabled.unwrap_or(true),
            ranges: RangeSet::from_cidrs(&cidrs),
            user_agents,
            claims,
            methods: method_set,
            provenance: Some(preset.provenance),
        })
    }

    // Not inlined into `policy`: a PHP host loads a function on its first call, and a policy without this part
    // (`{}`) then does not compile it (.ci/build-php.sh, lazy mode).
    #[inline(never)]
    fn rule(&mut self, doc: RuleDoc, at: At) -> Result<Rule, PolicyError> {
        let id = self.claim_id(doc.id, at.key("id"))?;
        let has_condition = doc.ip.is_some()
            || doc.user_agents.is_some()
            || doc.methods.is_some()
            || doc.paths.is_some();
        if doc.action == Action::Allow && !has_condition {
            return self.fail(at, false, || {
                "an allow rule needs a condition (ip, user_agents, methods or paths): without one it lets everyone in"
                    .to_owned()
            });
        }
        let ip = match doc.ip {
            None => None,
            // Ranges that let traffic in must be narrow; a deny or pass rule may name any range.
            Some(list) if doc.action == Action::Allow => Some(self.narrow(list, at.key("ip"))?),
            Some(list) => Some(list),
        };
        Ok(Rule {
            id,
            action: doc.action,
            enabled: doc.enabled.unwrap_or(true),
            ip: ip.map(|c: Vec<Cidr>| RangeSet::from_cidrs(&c)),
            user_agents: doc.user_agents,
            methods: doc.methods.map(|list| list.into_iter().collect()),
            paths: doc.paths,
        })
    }

    /// The ranges of a list that lets traffic in (partners, trusted proxies, `allow` rules): a range that would let
    /// everyone in is an error there, not a policy.
    fn narrow(&self, list: Vec<Cidr>, at: At) -> Result<Vec<Cidr>, PolicyError> {
        match list.iter().position(Cidr::is_too_wide) {
            Some(i) => self.too_wide(&list[i], at.item(i)),
            None => Ok(list),
        }
    }

    #[cold]
    #[inline(never)]
    fn too_wide<T>(&self, range: &Cidr, at: At) -> Result<T, PolicyError> {
        let path = at.to_string();
        // As written (`10.1.2.3/4`), not as parsed (`0.0.0.0/4`): read again from the text, since a range keeps
        // no copy of its text (the error is rare; a copy would be made for every range).
        let written = schema::string_at(self.text, &path).unwrap_or_else(|| range.to_string());
        Err(self.err(
            &path,
            false,
            format!(
                "{} would let nearly everyone in: ranges here may be at most /8 (IPv4) or /16 (IPv6, and not covering ::ffff:0:0/96)",
                quoted(&written)
            ),
        ))
    }
}

// The parts of a preset partner, each a function of its own: opcache's block pass, whose cost grows with the square
// of a function's size, then meets smaller functions in a PHP host.

/// The preset's User-Agent patterns, then those added that it does not have.
#[inline(never)]
fn preset_user_agents(preset: &[String], add: Option<Vec<Pattern>>) -> Vec<Pattern> {
    let mut user_agents: Vec<Pattern> = preset
        .iter()
        .filter_map(|p| Pattern::parse(p).ok())
        .collect();
    for p in add.unwrap_or_default() {
        if !user_agents.iter().any(|q| q.as_str() == p.as_str()) {
            user_agents.push(p);
        }
    }
    user_agents
}

/// The preset's methods and those added, as a set.
#[inline(never)]
fn method_set(preset: &[String], add: Vec<Method>) -> MethodSet {
    let preset = preset.iter().filter_map(|m| Method::parse(m.as_bytes()));
    preset.chain(add).collect()
}

/// The preset's claims, checked (`None` when one is not a claim: the tests rule that out).
#[inline(never)]
fn preset_claims(preset: &[String]) -> Option<Vec<Claim>> {
    preset.iter().map(|c| Claim::new(c)).collect()
}

/// The ids a policy has taken so far, and where: a short list, searched in turn, until it holds [`Ids::LISTED`];
/// then a map. Most policies have a few ids, and a PHP host, which loads a function on its first call, then never
/// compiles the map's insert (with its node splits, 21 KB of PHP: more than the rest of the id checks).
#[derive(Default)]
struct Ids {
    list: Vec<(String, At)>,
    map: BTreeMap<String, At>,
}

impl Ids {
    const LISTED: usize = 32;

    fn get(&self, id: &str) -> Option<At> {
        if self.map.is_empty() {
            self.list
                .iter()
                .find(|(taken, _)| taken == id)
                .map(|&(_, at)| at)
        } else {
            self.map.get(id).copied()
        }
    }

    fn insert(&mut self, id: &str, owner: At) {
        if self.map.is_empty() && self.list.len() < Ids::LISTED {
            self.list.push((id.to_owned(), owner));
        } else {
            self.insert_into_map(id, owner);
        }
    }

    #[inline(never)]
    fn insert_into_map(&mut self, id: &str, owner: At) {
        self.map.extend(self.list.drain(..));
        self.map.insert(id.to_owned(), owner);
    }
}
