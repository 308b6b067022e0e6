//! Server rules from a policy: `sendcloud-gate export --format FORMAT`.
//!
//! The rule lets exactly the policy's partner traffic past a server's own firewall: a request whose client address
//! is in a partner's ranges **and** whose User-Agent matches one of that partner's patterns **and** whose method is
//! one of that partner's methods. Nothing else is let through, and nothing else is switched off. The output is
//! generated from the compiled [`Policy`] (presets expanded, `add_ip` / `add_methods` / `add_user_agents` merged,
//! disabled partners left out) and starts with comments giving each preset's provenance (`verified`, `reviewed`,
//! the note) and how to refresh the rule when the partner list changes.
//!
//! | [`Format`] | what it is | where it goes |
//! |---|---|---|
//! | `modsecurity` | one rule chain per partner (ids [`MODSECURITY_FIRST_ID`]..=[`MODSECURITY_LAST_ID`]) that removes, for that request only, the Core Rule Set's method policy (911100) and User-Agent rules (913100, 913101, 913102) | before the CRS rules (ModSecurity 2.9, 3, Coraza) |
//! | `apache` | `SetEnvIfExpr` + `<If>` with `Require all granted` (Apache 2.4 expressions) | a vhost, `<Directory>` or `.htaccess`, after the site's own `Require` lines |
//! | `nginx` | `geo` + `map` blocks giving `$sendcloud_gate_verified` and `$sendcloud_gate_partner` | the `http` context; the site's own restrictions test the variable |
//! | `cloudflare` | an expression in Cloudflare's Rules language, for a WAF custom rule with the action Skip | the dashboard or API |
//!
//! # Regular expressions
//!
//! User-Agent patterns (a policy's `user_agents`) become anchored regular expressions ([`user_agent_regex`]): `*` is
//! `.*`, `{shop}` is `[0-9A-Za-z._-]{1,32}`, and every other byte is literal: letters and digits as they are,
//! regex metacharacters behind a backslash, bytes that a server's configuration syntax could read (`\ " ' # % ;
//! < > ` and control bytes) as `\xHH`, so no backslash is ever followed by a backslash or a quote and the same text
//! means the same thing in ModSecurity's, Apache's and nginx's quoted strings. Case is ignored as the engine ignores
//! it, ASCII only: with the dialect's case-insensitive flag where the regex library is PCRE (ModSecurity, Apache,
//! nginx), and for Cloudflare (whose regexes are Rust's, where case-insensitivity is Unicode's) by matching
//! `lower(http.user_agent)` against a lower-case regex. Non-ASCII characters are matched as written.
//!
//! Partner order is kept: the engine tries partners in policy order, and the first whose ranges hold the client or
//! whose patterns or claims the User-Agent matches decides. So a partner's rule also requires that no enabled partner
//! before it would have decided (its ranges, and its patterns or claims as an unanchored regex). With one partner, as
//! with the default policy, there is nothing to add.
//!
//! What a server rule cannot see: the engine also refuses requests whose method overrides (`X-HTTP-Method-Override`,
//! `_method`, …) disagree or name a method the partner does not use, and requests with two User-Agent headers. A
//! server rule judges the request line's method; the overrides are the application's business, where the engine
//! (plugin, PHP library) decides on them. The server must see the client's own address: behind a proxy or CDN its
//! real-IP module must be set up first (Apache `mod_remoteip`, nginx `realip`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::method::Method;
use crate::pattern::Pattern;
use crate::policy::{Partner, Policy};
use crate::ranges::cidrs_to_strings;

/// A server rule format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// ModSecurity v2 / v3 and Coraza rules for the OWASP Core Rule Set.
    ModSecurity,
    /// Apache 2.4 `SetEnvIfExpr` and `<If>` / `Require` (vhost, directory or `.htaccess`).
    Apache,
    /// nginx `geo` + `map` (the `http` context).
    Nginx,
    /// A Cloudflare WAF custom-rule expression (for the action Skip).
    Cloudflare,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Format; 4] = [
        Format::ModSecurity,
        Format::Apache,
        Format::Nginx,
        Format::Cloudflare,
    ];

    /// The name `--format` takes: `modsecurity`, `apache`, `nginx`, `cloudflare`.
    pub fn name(self) -> &'static str {
        match self {
            Format::ModSecurity => "modsecurity",
            Format::Apache => "apache",
            Format::Nginx => "nginx",
            Format::Cloudflare => "cloudflare",
        }
    }

    /// The format of a name (ASCII case ignored).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl core::fmt::Display for Format {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::from_name(s).ok_or(UnknownFormat)
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownFormat;

impl core::fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not an export format (one of: modsecurity, apache, nginx, cloudflare)")
    }
}

impl core::error::Error for UnknownFormat {}

/// The first ModSecurity rule id the export uses: the rule of the first enabled partner; the next partner's is one
/// more. Inside 10000–49999, the range CRS's documentation gives to site rules that run before the CRS.
pub const MODSECURITY_FIRST_ID: u32 = 41400;
/// The last id of the export's documented range (100 partners; a policy has far fewer).
pub const MODSECURITY_LAST_ID: u32 = 41499;
/// The Core Rule Set rules the ModSecurity export removes for a verified partner request, and nothing else:
/// 911100 (method not allowed by policy), 913100 (scanner User-Agent), 913101 (scripting User-Agent), 913102
/// (crawler User-Agent).
pub const CRS_RULES_REMOVED: [u32; 4] = [911100, 913100, 913101, 913102];

/// The server rule for `policy` in `format`: comments, then the rule. Deterministic (no dates), so a changed
/// output means a changed policy.
pub fn export(policy: &Policy, format: Format) -> String {
    let mut o = String::new();
    header(&mut o, policy, format);
    let partners = exported_with_order(policy);
    match format {
        Format::ModSecurity => modsecurity(&mut o, &partners),
        Format::Apache => apache(&mut o, &partners),
        Format::Nginx => nginx(&mut o, policy),
        Format::Cloudflare => {
            o.push_str(&cloudflare_expression(policy));
            o.push('\n');
        }
    }
    o
}

impl Policy {
    /// [`export`]: the server rule for this policy's partners in `format`.
    pub fn export(&self, format: Format) -> String {
        export(self, format)
    }
}

/// Can the partner's traffic be let through: enabled, with at least one range, pattern and method.
fn exportable(p: &Partner) -> bool {
    p.enabled
        && !p.ranges.to_cidrs().is_empty()
        && !p.user_agents.is_empty()
        && p.methods.iter().next().is_some()
}

/// Cloudflare's expression alone (no comments): `(ip.src in {…} and http.request.method in {…} and
/// lower(http.user_agent) matches r"…")`, one parenthesised term per partner joined with `or`. A policy with no
/// partner to export gives an expression that matches nothing: `(not ip.src in {0.0.0.0/0 ::/0})` (an empty list
/// `{}` is not valid).
pub fn cloudflare_expression(policy: &Policy) -> String {
    let terms: Vec<String> = exported_with_order(policy)
        .iter()
        .map(|e| {
            let p = e.partner;
            let mut not_earlier = String::new();
            for q in &e.earlier {
                let ranges = cidrs_to_strings(&q.ranges);
                if !ranges.is_empty() {
                    let _ = write!(not_earlier, " and not ip.src in {{{}}}", ranges.join(" "));
                }
                if let Some(re) = decides_regex(q, Case::Lower) {
                    let _ = write!(
                        not_earlier,
                        " and not lower(http.user_agent) matches {}",
                        cloudflare_raw(&re)
                    );
                }
            }
            let ranges = cidrs_to_strings(&p.ranges).join(" ");
            let methods: Vec<String> = p
                .methods
                .iter()
                .map(|m| cloudflare_string(m.as_str()))
                .collect();
            format!(
                "(ip.src in {{{ranges}}} and http.request.method in {{{}}} and lower(http.user_agent) matches {}{not_earlier})",
                methods.join(" "),
                cloudflare_raw(&user_agent_regex(sources(&p.user_agents), Case::Lower))
            )
        })
        .collect();
    if terms.is_empty() {
        return String::from("(not ip.src in {0.0.0.0/0 ::/0})");
    }
    terms.join(" or ")
}

/// The patterns' sources, as the policy writes them.
fn sources(patterns: &[Pattern]) -> impl Iterator<Item = &str> {
    patterns.iter().map(Pattern::as_str)
}

/// How a regex from [`user_agent_regex`] ignores ASCII case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Letters as the pattern has them: the matcher ignores case (PCRE's `(?i)`, nginx `~*`, Apache `m#…#i`).
    Flag,
    /// Letters lower-cased: the matcher sees the lower-cased User-Agent (Cloudflare's `lower()`).
    Lower,
}

/// The anchored regular expression matching what any of `patterns` (User-Agent patterns as a policy writes them)
/// matches: `^(?:p1|p2)$`. See the module's documentation for the escaping; the result is valid PCRE, RE2/Go and
/// Rust regex syntax.
pub fn user_agent_regex<'a>(patterns: impl IntoIterator<Item = &'a str>, case: Case) -> String {
    let mut o = String::from("^(?:");
    for (i, p) in patterns.into_iter().enumerate() {
        if i > 0 {
            o.push('|');
        }
        pattern_regex(&mut o, p, case);
    }
    o.push_str(")$");
    o
}

/// One pattern's regex (unanchored), by the pattern's own grammar: `{shop}`, `*`, literal bytes.
fn pattern_regex(o: &mut String, source: &str, case: Case) {
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{shop}") {
            o.push_str(match case {
                Case::Flag => "[0-9A-Za-z._-]{1,32}",
                Case::Lower => "[0-9a-z._-]{1,32}",
            });
            rest = after;
            continue;
        }
        if c == '*' {
            o.push_str(".*");
        } else {
            literal(o, c, case);
        }
        rest = &rest[c.len_utf8()..];
    }
}

/// A literal character: see the module's documentation.
fn literal(o: &mut String, c: char, case: Case) {
    match c {
        'A'..='Z' if case == Case::Lower => o.push(c.to_ascii_lowercase()),
        'a'..='z' | 'A'..='Z' | '0'..='9' => o.push(c),
        ' ' | '/' | ',' | ':' | '=' | '@' | '_' | '-' | '!' | '~' | '&' => o.push(c),
        '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
            o.push('\\');
            o.push(c);
        }
        c if c.is_ascii() => {
            let _ = write!(o, "\\x{:02x}", u32::from(c));
        }
        c => o.push(c),
    }
}

/// The anchored regex of a method set: `^(?:GET|POST)$`, used with the case-insensitive flag (the engine reads
/// methods ASCII case-insensitively).
pub fn method_regex<'a>(methods: impl IntoIterator<Item = &'a str>) -> String {
    let mut o = String::from("^(?:");
    for (i, m) in methods.into_iter().enumerate() {
        if i > 0 {
            o.push('|');
        }
        for c in m.chars() {
            literal(&mut o, c, Case::Flag);
        }
    }
    o.push_str(")$");
    o
}

/// A regex as a Cloudflare raw string, `r"…"`: no escapes, the regex as it is (the syntax Cloudflare recommends for
/// regexes). The export's regexes never hold a `"` (it is `\x22`).
fn cloudflare_raw(re: &str) -> String {
    debug_assert!(!re.contains('"'));
    format!("r\"{re}\"")
}

/// A Cloudflare string literal: `"` and `\` escaped with a backslash.
fn cloudflare_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

/// An id as a configuration token: `A-Z a-z 0-9 . _ -` kept, anything else `_` (ids may hold any printable text;
/// comments show them as they are).
fn token(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `text` as `#` comment lines of at most `width` characters after `prefix` (words are not split).
/// Continuation lines are indented to the text of the first.
fn wrapped(o: &mut String, prefix: &str, text: &str, width: usize) {
    let indent: String = prefix.chars().map(|_| ' ').collect();
    let mut prefix = prefix;
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(o, "#{prefix}{line}");
            prefix = &indent;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(o, "#{prefix}{line}");
    }
}

fn header(o: &mut String, policy: &Policy, format: Format) {
    let what = match format {
        Format::ModSecurity => {
            "the OWASP Core Rule Set's method and User-Agent rules (ModSecurity, Coraza)"
        }
        Format::Apache => "the site's Apache Require rules (and gives it SENDCLOUD_GATE_PARTNER)",
        Format::Nginx => "the site's nginx restrictions that test $sendcloud_gate_verified",
        Format::Cloudflare => "a Cloudflare WAF custom rule with the action Skip",
    };
    let _ = writeln!(
        o,
        "# sendcloud-gate {}: export --format {}",
        env!("CARGO_PKG_VERSION"),
        format.name()
    );
    o.push_str("#\n");
    wrapped(
        o,
        " ",
        &format!(
            "Lets a request past {what} when, for one of the partners below, its client address is in the \
             partner's ranges AND its User-Agent matches one of the partner's patterns AND its method is one of \
             the partner's methods. Nothing else is let through, and every other protection still applies."
        ),
        110,
    );
    for p in &policy.partners {
        o.push_str("#\n");
        let _ = write!(o, "# Partner \"{}\"", p.id);
        if let Some(pr) = &p.provenance {
            let _ = writeln!(o, ", from the preset \"{}\": {}", pr.preset, pr.title);
            let _ = writeln!(o, "#   source:      {}", pr.source);
            if pr.verified {
                let _ = writeln!(o, "#   verified:    yes (reviewed {})", pr.reviewed);
            } else {
                let _ = writeln!(
                    o,
                    "#   verified:    NO: not checked against the partner's current list (reviewed {})",
                    pr.reviewed
                );
            }
            if !pr.note.is_empty() {
                wrapped(o, "   note:        ", &pr.note, 94);
            }
        } else {
            o.push_str(", defined in the policy\n");
        }
        if !exportable(p) {
            o.push_str(if p.enabled {
                "#   not exported: it has no range, User-Agent pattern or method, so it matches nothing\n"
            } else {
                "#   not exported: disabled in the policy\n"
            });
            continue;
        }
        let _ = writeln!(
            o,
            "#   ranges:      {}",
            cidrs_to_strings(&p.ranges).join(" ")
        );
        let uas: Vec<String> = p
            .user_agents
            .iter()
            .map(|u| format!("\"{}\"", u.as_str()))
            .collect();
        let _ = writeln!(o, "#   user agents: {}", uas.join(", "));
        let methods: Vec<&str> = p.methods.iter().map(Method::as_str).collect();
        let _ = writeln!(o, "#   methods:     {}", methods.join(" "));
    }
    if policy.partners.is_empty() {
        o.push_str("#\n# The policy has no partners: this rule lets nothing through.\n");
    }
    if !policy.rules.is_empty() {
        o.push_str("#\n");
        wrapped(
            o,
            " ",
            &format!(
                "The policy's {} site rule(s) are not part of this export: a server rule here only lets partner \
                 traffic through.",
                policy.rules.len()
            ),
            110,
        );
    }
    o.push_str("#\n");
    let (module, proxies) = match format {
        Format::ModSecurity => (
            "mod_remoteip (Apache) or the real-IP module of the server",
            true,
        ),
        Format::Apache => ("mod_remoteip", true),
        Format::Nginx => ("the realip module (set_real_ip_from, real_ip_header)", true),
        Format::Cloudflare => ("", false),
    };
    if proxies {
        let trusted = cidrs_to_strings(&policy.trusted_proxies);
        let policy_proxies = if trusted.is_empty() {
            String::from("The policy trusts no proxy.")
        } else {
            format!(
                "The policy trusts {} from {}.",
                policy.proxy_header.name(),
                trusted.join(" ")
            )
        };
        wrapped(
            o,
            " ",
            &format!(
                "The client address is the one the server sees: behind a proxy or CDN, set up {module} first, \
                 trusting only your proxies' addresses. {policy_proxies}"
            ),
            110,
        );
    } else {
        wrapped(
            o,
            " ",
            "ip.src is the address that connected to Cloudflare. Methods are compared as sent (Sendcloud sends \
             them in upper case); the User-Agent is compared lower-cased with a lower-case regex (regular \
             expressions need a plan with the matches operator).",
            110,
        );
    }
    o.push_str("#\n");
    wrapped(
        o,
        " ",
        &format!(
            "To refresh when the partner list changes: update sendcloud-gate (its presets) or your policy (add_ip, \
             add_methods, add_user_agents), run `sendcloud-gate export --format {} [--policy YOUR-POLICY]` again, \
             replace this rule with the output and {}. `sendcloud-gate policy show` prints what the policy holds.",
            format.name(),
            match format {
                Format::Cloudflare => "save the custom rule",
                _ => "reload the server",
            }
        ),
        110,
    );
    o.push_str("#\n");
    let placement = match format {
        Format::ModSecurity => format!(
            "Where: load it before the Core Rule Set's rules (for example in \
             REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf, or an Include above the CRS's). Rule ids: one per \
             partner from {MODSECURITY_FIRST_ID} (range {MODSECURITY_FIRST_ID}-{MODSECURITY_LAST_ID}). For a \
             verified partner request it removes only the CRS rules 911100 (method not allowed by policy), 913100, \
             913101 and 913102 (scanner, scripting and crawler User-Agents), for that request; the anomaly score \
             of every other rule still counts."
        ),
        Format::Apache => String::from(
            "Where: in the virtual host, a <Directory> or .htaccess (AllowOverride AuthConfig FileInfo, or All), \
             after the site's own Require rules. For a verified partner request the <If> section's Require all \
             granted replaces the directory's Require rules (AuthMerging Off, the default), and SetEnvIfExpr sets \
             SENDCLOUD_GATE_PARTNER to the partner's id for rewrite rules: RewriteCond \
             %{ENV:SENDCLOUD_GATE_PARTNER} ^$ before a rule that refuses methods or User-Agents.",
        ),
        Format::Nginx => String::from(
            "Where: the http context (e.g. /etc/nginx/conf.d/sendcloud-gate.conf). $sendcloud_gate_verified is 1 \
             for verified partner traffic and 0 otherwise; $sendcloud_gate_partner is the partner's id or empty. \
             Use it where the site refuses methods or User-Agents, for example in the server block: \
             set $refuse 0; if ($request_method !~ ^(GET|HEAD|POST)$) { set $refuse 1; } \
             if ($sendcloud_gate_verified) { set $refuse 0; } if ($refuse) { return 403; }",
        ),
        Format::Cloudflare => String::from(
            "Where: Security > WAF > Custom rules > Create rule > Edit expression: paste the expression below (the \
             lines that do not start with #), choose the action Skip and what to skip (the managed rules, Bot \
             Fight Mode, rate limiting, the remaining custom rules: whatever challenged the partner), and place \
             it first.",
        ),
    };
    wrapped(o, " ", &placement, 110);
    o.push('\n');
}

/// A partner to let through, with the enabled partners before it in the policy: the engine tries partners in
/// order, and the first whose ranges hold the client or whose patterns or claims the User-Agent matches decides. So
/// a partner's traffic is let through only when no earlier partner would have decided.
struct Exported<'p> {
    partner: &'p Partner,
    earlier: Vec<&'p Partner>,
}

fn exported_with_order(policy: &Policy) -> Vec<Exported<'_>> {
    let enabled: Vec<&Partner> = policy.partners.iter().filter(|p| p.enabled).collect();
    enabled
        .iter()
        .enumerate()
        .filter(|(_, p)| exportable(p))
        .map(|(i, p)| Exported {
            partner: p,
            earlier: enabled[..i].to_vec(),
        })
        .collect()
}

/// The regex of a User-Agent that makes `p` decide whatever the address: one of its patterns, or (anywhere in
/// it) one of its claims. `None` when it has neither.
fn decides_regex(p: &Partner, case: Case) -> Option<String> {
    let mut parts = Vec::new();
    if !p.user_agents.is_empty() {
        parts.push(user_agent_regex(sources(&p.user_agents), case));
    }
    for claim in &p.claims {
        let mut c = String::new();
        for ch in claim.chars() {
            literal(&mut c, ch, case);
        }
        parts.push(c);
    }
    (!parts.is_empty()).then(|| parts.join("|"))
}

fn modsecurity(o: &mut String, partners: &[Exported<'_>]) {
    if partners.is_empty() {
        o.push_str("# (no partner to let through: no rule)\n");
        return;
    }
    for (i, e) in partners.iter().enumerate() {
        let p = e.partner;
        let id = MODSECURITY_FIRST_ID + i as u32;
        let ranges = cidrs_to_strings(&p.ranges).join(",");
        let _ = writeln!(o, "SecRule REMOTE_ADDR \"@ipMatch {ranges}\" \\");
        let _ = writeln!(o, "    \"id:{id},\\");
        o.push_str("    phase:1,\\\n    pass,\\\n    nolog,\\\n    t:none,\\\n");
        let _ = writeln!(
            o,
            "    msg:'sendcloud-gate: verified partner traffic ({})',\\",
            token(&p.id)
        );
        o.push_str("    tag:'sendcloud-gate',\\\n    chain\"\n");
        let _ = writeln!(
            o,
            "    SecRule REQUEST_METHOD \"@rx (?i){}\" \\",
            method_regex(p.methods.iter().map(Method::as_str))
        );
        o.push_str("        \"t:none,\\\n        chain\"\n");
        let _ = write!(
            o,
            "        SecRule REQUEST_HEADERS:User-Agent \"@rx (?i){}\" \\\n            \"t:none",
            user_agent_regex(sources(&p.user_agents), Case::Flag)
        );
        // An earlier partner that would decide: its ranges, its patterns or claims.
        for q in &e.earlier {
            let ranges = cidrs_to_strings(&q.ranges);
            if !ranges.is_empty() {
                let _ = write!(
                    o,
                    ",\\\n            chain\"\n        SecRule REMOTE_ADDR \"!@ipMatch {}\" \\\n            \"t:none",
                    ranges.join(",")
                );
            }
            if let Some(re) = decides_regex(q, Case::Flag) {
                let _ = write!(
                    o,
                    ",\\\n            chain\"\n        SecRule REQUEST_HEADERS:User-Agent \"!@rx (?i){re}\" \\\n            \"t:none"
                );
            }
        }
        for rule in CRS_RULES_REMOVED {
            let _ = write!(o, ",\\\n            ctl:ruleRemoveById={rule}");
        }
        o.push_str("\"\n");
        if i + 1 < partners.len() {
            o.push('\n');
        }
    }
}

/// The Apache expression of one partner: address, method and User-Agent, and no earlier partner deciding.
fn apache_expr(e: &Exported<'_>) -> String {
    let p = e.partner;
    let ranges: Vec<String> = cidrs_to_strings(&p.ranges)
        .iter()
        .map(|r| format!("-R '{r}'"))
        .collect();
    let mut expr = format!(
        "({}) && %{{REQUEST_METHOD}} =~ m#{}#i && %{{HTTP_USER_AGENT}} =~ m#{}#i",
        ranges.join(" || "),
        method_regex(p.methods.iter().map(Method::as_str)),
        user_agent_regex(sources(&p.user_agents), Case::Flag)
    );
    for q in &e.earlier {
        for r in cidrs_to_strings(&q.ranges) {
            let _ = write!(expr, " && ! -R '{r}'");
        }
        if let Some(re) = decides_regex(q, Case::Flag) {
            let _ = write!(expr, " && %{{HTTP_USER_AGENT}} !~ m#{re}#i");
        }
    }
    expr
}

fn apache(o: &mut String, partners: &[Exported<'_>]) {
    if partners.is_empty() {
        o.push_str("# (no partner to let through: no rule)\n");
        return;
    }
    let exprs: Vec<String> = partners.iter().map(apache_expr).collect();
    for (e, x) in partners.iter().zip(&exprs) {
        let _ = writeln!(
            o,
            "SetEnvIfExpr \"{x}\" SENDCLOUD_GATE_PARTNER={}",
            token(&e.partner.id)
        );
    }
    let all: Vec<String> = exprs.iter().map(|e| format!("({e})")).collect();
    let _ = writeln!(o, "<If \"{}\">", all.join(" || "));
    o.push_str("    Require all granted\n</If>\n");
}

fn nginx(o: &mut String, policy: &Policy) {
    // Variables for every enabled partner up to the last one exported (the earlier ones can decide first).
    let enabled: Vec<&Partner> = policy.partners.iter().filter(|p| p.enabled).collect();
    let last = enabled.iter().rposition(|p| exportable(p));
    let listed = &enabled[..last.map_or(0, |l| l + 1)];
    let mut key = String::new();
    for (i, p) in listed.iter().enumerate() {
        let n = i + 1;
        let later = Some(i) != last;
        let _ = writeln!(o, "# partner \"{}\"", p.id);
        let _ = writeln!(o, "geo $sendcloud_gate_addr_{n} {{\n    default 0;");
        for r in cidrs_to_strings(&p.ranges) {
            let _ = writeln!(o, "    {r} 1;");
        }
        o.push_str("}\n");
        let _ = writeln!(
            o,
            "map $request_method $sendcloud_gate_method_{n} {{\n    default 0;"
        );
        if p.methods.iter().next().is_some() {
            let _ = writeln!(
                o,
                "    \"~*{}\" 1;",
                method_regex(p.methods.iter().map(Method::as_str))
            );
        }
        o.push_str("}\n");
        // 2: one of its patterns; 1: one of its claims (which matters only before another partner).
        let _ = writeln!(
            o,
            "map $http_user_agent $sendcloud_gate_ua_{n} {{\n    default 0;"
        );
        if !p.user_agents.is_empty() {
            let _ = writeln!(
                o,
                "    \"~*{}\" 2;",
                user_agent_regex(sources(&p.user_agents), Case::Flag)
            );
        }
        if later {
            for claim in &p.claims {
                let mut c = String::new();
                for ch in claim.chars() {
                    literal(&mut c, ch, Case::Flag);
                }
                let _ = writeln!(o, "    \"~*{c}\" 1;");
            }
        }
        o.push_str("}\n");
        let _ = write!(
            key,
            "$sendcloud_gate_addr_{n}$sendcloud_gate_method_{n}$sendcloud_gate_ua_{n}"
        );
    }
    if listed.is_empty() {
        o.push_str("# (no partner to let through: the variables are always 0 and empty)\n");
        key.push('0');
    }
    // Each partner adds three digits to the key (address 0/1, method 0/1, User-Agent 0/1/2); a partner matches when
    // its three are 112 and every earlier partner's are 0?0 (neither its addresses nor its User-Agents).
    let _ = writeln!(
        o,
        "map \"{key}\" $sendcloud_gate_partner {{\n    default \"\";"
    );
    for (i, p) in listed.iter().enumerate() {
        if !exportable(p) {
            continue;
        }
        let earlier = if i == 0 {
            String::new()
        } else {
            format!("(?:0[01]0){{{i}}}")
        };
        let _ = writeln!(o, "    \"~^{earlier}112\" \"{}\";", token(&p.id));
    }
    o.push_str("}\nmap $sendcloud_gate_partner $sendcloud_gate_verified {\n    default 1;\n    \"\" 0;\n}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn policy(json: &str) -> Policy {
        Policy::from_json(json.as_bytes()).unwrap()
    }

    /// The PCRE-dialect regex as ModSecurity, Apache and nginx run it: bytes, ASCII case-insensitive.
    fn pcre(re: &str) -> regex::bytes::Regex {
        regex::bytes::RegexBuilder::new(re)
            .case_insensitive(true)
            .unicode(false)
            .build()
            .unwrap_or_else(|e| panic!("{re}: {e}"))
    }

    /// The Cloudflare regex against the lower-cased User-Agent, as Rust's regex runs it (Unicode mode, no flag).
    fn lower_matches(re: &str, ua: &str) -> bool {
        regex::Regex::new(re)
            .unwrap_or_else(|e| panic!("{re}: {e}"))
            .is_match(&ua.to_ascii_lowercase())
    }

    #[test]
    fn every_pattern_form_is_escaped() {
        let cases: &[(&str, &str)] = &[
            ("Sendcloud/1.0.0", r"^(?:Sendcloud/1\.0\.0)$"),
            ("a*b", r"^(?:a.*b)$"),
            ("**", r"^(?:.*.*)$"),
            ("x{shop}y", r"^(?:x[0-9A-Za-z._-]{1,32}y)$"),
            ("{SHOP}", r"^(?:\{SHOP\})$"),
            ("a(b)c+d?e", r"^(?:a\(b\)c\+d\?e)$"),
            (r"back\slash", r"^(?:back\x5cslash)$"),
            ("two  spaces", r"^(?:two  spaces)$"),
            (
                "q\"u'o#t%e;<>`",
                r"^(?:q\x22u\x27o\x23t\x25e\x3b\x3c\x3e\x60)$",
            ),
            ("a|b^c$d[e]f{g}", r"^(?:a\|b\^c\$d\[e\]f\{g\})$"),
            ("tab\there", r"^(?:tab\x09here)$"),
            ("caf\u{e9}", "^(?:caf\u{e9})$"),
            ("", "^(?:)$"),
        ];
        for (pattern, want) in cases {
            assert_eq!(user_agent_regex([*pattern], Case::Flag), *want, "{pattern}");
        }
        assert_eq!(
            user_agent_regex(["SendCloud/1.0 ({shop}; X)", "A*"], Case::Lower),
            r"^(?:sendcloud/1\.0 \([0-9a-z._-]{1,32}\x3b x\)|a.*)$"
        );
    }

    /// No backslash is followed by a backslash or a quote: ModSecurity's and Apache's quoted arguments and nginx's
    /// quoted strings then leave the regex as it is.
    #[test]
    fn regexes_survive_configuration_quoting() {
        let all: String = (1u8..=0x7f).map(char::from).collect();
        for case in [Case::Flag, Case::Lower] {
            let re = user_agent_regex([all.as_str()], case);
            let b = re.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                assert!(
                    !matches!(c, b'"' | b'\'' | b'#' | b'%' | b';' | b'<' | b'>' | b'`'),
                    "{re}"
                );
                assert!(c >= 0x20 && c != 0x7f, "{re}");
                if c == b'\\' {
                    assert!(
                        !matches!(b[i + 1], b'\\' | b'"' | b'\'' | b't' | b'n' | b'r'),
                        "{re}"
                    );
                }
            }
            // And the regex still matches exactly that text.
            assert!(pcre(&re).is_match(all.as_bytes()));
        }
    }

    #[test]
    fn regex_matches_what_the_pattern_matches() {
        let shop32 = "a".repeat(32);
        let shop33 = "a".repeat(33);
        let preset = "SendCloud/1.0 ({shop}; https://www.sendcloud.sc)";
        let cases: Vec<(&str, String, bool)> = vec![
            ("Sendcloud/1.0.0", "Sendcloud/1.0.0".into(), true),
            ("Sendcloud/1.0.0", "SENDCLOUD/1.0.0".into(), true),
            ("Sendcloud/1.0.0", "Sendcloud/1x0.0".into(), false),
            ("Sendcloud/1.0.0", "Sendcloud/1.0.0 extra".into(), false),
            ("Sendcloud/1.0.0", "x Sendcloud/1.0.0".into(), false),
            ("Sendcloud/1.0.0", "Sendcloud/1.0.0\n".into(), false),
            (
                preset,
                "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)".into(),
                true,
            ),
            (
                preset,
                "sendcloud/1.0 (Magento-2.4_x; HTTPS://WWW.SENDCLOUD.SC)".into(),
                true,
            ),
            (
                preset,
                format!("SendCloud/1.0 ({shop32}; https://www.sendcloud.sc)"),
                true,
            ),
            (
                preset,
                format!("SendCloud/1.0 ({shop33}; https://www.sendcloud.sc)"),
                false,
            ),
            (
                preset,
                "SendCloud/1.0 (; https://www.sendcloud.sc)".into(),
                false,
            ),
            (
                preset,
                "SendCloud/1.0 (woo commerce; https://www.sendcloud.sc)".into(),
                false,
            ),
            (
                preset,
                "SendCloud/1.0 (woo/x; https://www.sendcloud.sc)".into(),
                false,
            ),
            (
                preset,
                "SendCloud/1.0 (wooKcommerce; https://wwwXsendcloud.sc)".into(),
                false,
            ),
            ("a*b", "ab".into(), true),
            ("a*b", "a anything b".into(), true),
            ("a*b", "a anything c".into(), false),
            ("*", "".into(), true),
            ("x(y)+?", "x(y)+?".into(), true),
            ("x(y)+?", "xy".into(), false),
            ("x(y)+?", "x(yy)+".into(), false),
            (r"a\b", r"a\b".into(), true),
            (r"a\b", "a\x08".into(), false),
            (r"a\b", "ab".into(), false),
            ("a.b", "a.b".into(), true),
            ("a.b", "axb".into(), false),
            ("two  spaces", "two  spaces".into(), true),
            ("two  spaces", "two spaces".into(), false),
            ("{SHOP}", "{shop}".into(), true),
            ("{SHOP}", "abc".into(), false),
            ("caf\u{e9}", "CAF\u{e9}".into(), true),
            ("caf\u{e9}", "caf\u{c9}".into(), false),
            ("q\"u'o#t%e;<>`", "Q\"U'O#T%E;<>`".into(), true),
            ("k", "\u{212a}".into(), false),
        ];
        for (pattern, ua, want) in &cases {
            let p = Pattern::parse(pattern).unwrap();
            assert_eq!(
                p.matches(ua.as_bytes()),
                *want,
                "engine: {pattern} vs {ua:?}"
            );
            let re = user_agent_regex([p.as_str()], Case::Flag);
            assert_eq!(pcre(&re).is_match(ua.as_bytes()), *want, "{re} vs {ua:?}");
            let re = user_agent_regex([p.as_str()], Case::Lower);
            assert_eq!(lower_matches(&re, ua), *want, "lower: {re} vs {ua:?}");
        }
    }

    #[test]
    fn method_regex_is_anchored_and_escaped() {
        let p = policy(
            r#"{"partners":[{"id":"x","ip":["192.0.2.1"],"user_agents":["x"],"methods":["GET","M-SEARCH","PROP.FIND"]}]}"#,
        );
        let re = method_regex(p.partners[0].methods.iter().map(Method::as_str));
        assert!(re.starts_with("^(?:") && re.ends_with(")$"), "{re}");
        assert!(
            re.contains("M-SEARCH") && re.contains(r"PROP\.FIND"),
            "{re}"
        );
        let r = pcre(&re);
        for (m, want) in [
            ("GET", true),
            ("get", true),
            ("PROP.FIND", true),
            ("PROPXFIND", false),
            ("GETS", false),
            ("POST", false),
        ] {
            assert_eq!(r.is_match(m.as_bytes()), want, "{m}");
        }
    }

    #[test]
    fn format_names() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert_eq!(Format::from_name("NGINX"), Some(Format::Nginx));
        assert_eq!(Format::from_name("iptables"), None);
    }

    const DEFAULT_UA: &str = r"^(?:Sendcloud/1\.0\.0|SendCloud/1\.0 \([0-9A-Za-z._-]{1,32}\x3b https://www\.sendcloud\.sc\))$";

    #[test]
    fn header_gives_provenance_and_how_to_refresh() {
        for f in Format::ALL {
            let out = export(&Policy::default_policy(), f);
            assert!(
                out.starts_with(&format!(
                    "# sendcloud-gate {}: export --format {}\n",
                    env!("CARGO_PKG_VERSION"),
                    f.name()
                )),
                "{out}"
            );
            for needle in [
                "Partner \"sendcloud\", from the preset \"sendcloud\"",
                "source:      https://support.sendcloud.com/",
                "verified:    NO",
                "(reviewed 2026-11-23)",
                "ranges:      52.58.233.101 94.232.247.0/24 185.66.200.0/24",
                "methods:     GET POST OPTIONS PATCH DELETE",
                "To refresh when the partner list changes",
                &format!("export --format {} [--policy YOUR-POLICY]", f.name()),
            ] {
                assert!(out.contains(needle), "{f}: {needle} missing in\n{out}");
            }
            // Every comment line is a comment; the note is wrapped, not lost.
            assert!(out.replace("\n#", " ").contains("add_methods"), "{out}");
            for line in out.lines().take_while(|l| !l.is_empty()) {
                assert!(line.starts_with('#') && line.len() <= 120, "{line}");
            }
        }
    }

    #[test]
    fn modsecurity_shape() {
        let out = export(&Policy::default_policy(), Format::ModSecurity);
        let rules = out.split_once("\n\n").unwrap().1;
        assert_eq!(
            rules,
            format!(
                "SecRule REMOTE_ADDR \"@ipMatch 52.58.233.101,94.232.247.0/24,185.66.200.0/24\" \\\n    \
                 \"id:41400,\\\n    phase:1,\\\n    pass,\\\n    nolog,\\\n    t:none,\\\n    \
                 msg:'sendcloud-gate: verified partner traffic (sendcloud)',\\\n    tag:'sendcloud-gate',\\\n    \
                 chain\"\n    SecRule REQUEST_METHOD \"@rx (?i)^(?:GET|POST|OPTIONS|PATCH|DELETE)$\" \\\n        \
                 \"t:none,\\\n        chain\"\n        SecRule REQUEST_HEADERS:User-Agent \"@rx (?i){DEFAULT_UA}\" \\\n            \
                 \"t:none,\\\n            ctl:ruleRemoveById=911100,\\\n            ctl:ruleRemoveById=913100,\\\n            \
                 ctl:ruleRemoveById=913101,\\\n            ctl:ruleRemoveById=913102\"\n"
            )
        );
        // Nothing but the method and User-Agent rules is removed, and nothing is allowed outright.
        assert_eq!(out.matches("ctl:").count(), 4);
        for word in ["ruleEngine", "ruleRemoveByTag", "allow", "skipAfter"] {
            assert!(!rules.contains(word), "{word}");
        }
    }

    #[test]
    fn apache_shape() {
        let out = export(&Policy::default_policy(), Format::Apache);
        let rules = out.split_once("\n\n").unwrap().1;
        let expr = format!(
            "(-R '52.58.233.101' || -R '94.232.247.0/24' || -R '185.66.200.0/24') && \
             %{{REQUEST_METHOD}} =~ m#^(?:GET|POST|OPTIONS|PATCH|DELETE)$#i && %{{HTTP_USER_AGENT}} =~ m#{DEFAULT_UA}#i"
        );
        assert_eq!(
            rules,
            format!("SetEnvIfExpr \"{expr}\" SENDCLOUD_GATE_PARTNER=sendcloud\n<If \"({expr})\">\n    Require all granted\n</If>\n")
        );
    }

    #[test]
    fn nginx_shape() {
        let out = export(&Policy::default_policy(), Format::Nginx);
        let rules = out.split_once("\n\n").unwrap().1;
        assert_eq!(
            rules,
            format!(
                "# partner \"sendcloud\"\ngeo $sendcloud_gate_addr_1 {{\n    default 0;\n    52.58.233.101 1;\n    \
                 94.232.247.0/24 1;\n    185.66.200.0/24 1;\n}}\nmap $request_method $sendcloud_gate_method_1 {{\n    \
                 default 0;\n    \"~*^(?:GET|POST|OPTIONS|PATCH|DELETE)$\" 1;\n}}\nmap $http_user_agent \
                 $sendcloud_gate_ua_1 {{\n    default 0;\n    \"~*{DEFAULT_UA}\" 2;\n}}\nmap \
                 \"$sendcloud_gate_addr_1$sendcloud_gate_method_1$sendcloud_gate_ua_1\" $sendcloud_gate_partner {{\n    \
                 default \"\";\n    \"~^112\" \"sendcloud\";\n}}\nmap $sendcloud_gate_partner $sendcloud_gate_verified \
                 {{\n    default 1;\n    \"\" 0;\n}}\n"
            )
        );
    }

    #[test]
    fn cloudflare_shape() {
        let out = export(&Policy::default_policy(), Format::Cloudflare);
        let expr = cloudflare_expression(&Policy::default_policy());
        assert_eq!(out.split_once("\n\n").unwrap().1, format!("{expr}\n"));
        assert_eq!(
            expr,
            r#"(ip.src in {52.58.233.101 94.232.247.0/24 185.66.200.0/24} and http.request.method in {"GET" "POST" "OPTIONS" "PATCH" "DELETE"} and lower(http.user_agent) matches r"^(?:sendcloud/1\.0\.0|sendcloud/1\.0 \([0-9a-z._-]{1,32}\x3b https://www\.sendcloud\.sc\))$")"#
        );
    }

    const SEVERAL: &str = r#"{"partners":[
        {"preset":"sendcloud","add_ip":["198.51.100.0/24","2001:db8::/32"],"add_methods":["PUT"],"add_user_agents":["Sendcloud-Test/*"]},
        {"id":"acme","ip":["203.0.113.7"],"user_agents":["Acme (x)+?\\"],"methods":["GET"]},
        {"id":"off","enabled":false,"ip":["192.0.2.0/24"],"user_agents":["Off"],"methods":["GET"]},
        {"id":"we\"ird id","ip":["192.0.2.9"],"user_agents":["W"],"methods":["HEAD"]}
    ],"rules":[{"id":"r","action":"deny","methods":["TRACE"]}]}"#;

    #[test]
    fn several_partners_add_ip_and_add_methods_are_reflected() {
        let p = policy(SEVERAL);
        let ms = export(&p, Format::ModSecurity);
        assert!(ms.contains("@ipMatch 52.58.233.101,94.232.247.0/24,185.66.200.0/24,198.51.100.0/24,2001:db8::/32"), "{ms}");
        assert!(
            ms.contains("(?i)^(?:GET|POST|OPTIONS|PATCH|DELETE|PUT)$"),
            "{ms}"
        );
        assert!(ms.contains(r"|Sendcloud-Test/.*)$"), "{ms}");
        assert!(
            ms.contains("id:41400,") && ms.contains("id:41401,") && ms.contains("id:41402,"),
            "{ms}"
        );
        assert!(
            !ms.contains("id:41403,") && !ms.contains("192.0.2.0/24\""),
            "the disabled partner: {ms}"
        );
        assert!(ms.contains(r#"@rx (?i)^(?:Acme \(x\)\+\?\x5c)$"#), "{ms}");
        assert!(ms.contains("(we_ird_id)"), "{ms}");
        assert!(
            ms.contains(
                "Partner \"off\", defined in the policy\n#   not exported: disabled in the policy"
            ),
            "{ms}"
        );
        assert!(
            ms.contains("1 site rule(s) are not part of this export"),
            "{ms}"
        );

        let ap = export(&p, Format::Apache);
        assert_eq!(ap.matches("\nSetEnvIfExpr ").count(), 3, "{ap}");
        assert!(
            ap.contains("-R '2001:db8::/32'")
                && ap.contains("SENDCLOUD_GATE_PARTNER=acme")
                && ap.contains("SENDCLOUD_GATE_PARTNER=we_ird_id"),
            "{ap}"
        );
        let if_line = ap.lines().find(|l| l.starts_with("<If ")).unwrap();
        assert_eq!(if_line.matches(") || (").count(), 2, "{if_line}");
        assert!(!ap.contains("192.0.2.0/24'"), "{ap}");

        let ng = export(&p, Format::Nginx);
        for n in 1..=3 {
            assert!(
                ng.contains(&format!("geo $sendcloud_gate_addr_{n} {{")),
                "{ng}"
            );
        }
        assert!(!ng.contains("$sendcloud_gate_addr_4"), "{ng}");
        assert!(ng.contains("    2001:db8::/32 1;\n"), "{ng}");
        assert!(ng.contains("\"~^112\" \"sendcloud\";\n    \"~^(?:0[01]0){1}112\" \"acme\";\n    \"~^(?:0[01]0){2}112\" \"we_ird_id\";"), "{ng}");
        // Sendcloud's claim marks a User-Agent as Sendcloud's before the later partners.
        assert!(ng.contains("\"~*sendcloud\" 1;\n}"), "{ng}");

        let cf = cloudflare_expression(&p);
        assert_eq!(cf.matches(") or (").count(), 2, "{cf}");
        assert!(
            cf.contains("2001:db8::/32}")
                && cf.contains("\"PUT\"}")
                && cf.contains(r#"matches r"^(?:acme \(x\)\+\?\x5c)$""#),
            "{cf}"
        );
    }

    #[test]
    fn nginx_key_selects_the_right_partner() {
        // The final map's regexes over every key of three partners (address 0/1, method 0/1, User-Agent 0/1/2 each):
        // as in the engine, the first partner whose address or User-Agent (pattern 2, claim 1) matches decides, and
        // it lets the request through only with 112. nginx's map takes the first regex that matches.
        let p = policy(SEVERAL);
        let ng = export(&p, Format::Nginx);
        let block = ng.split("$sendcloud_gate_partner {\n").nth(1).unwrap();
        let regexes: Vec<(regex::Regex, String)> = block
            .lines()
            .take_while(|l| *l != "}")
            .filter_map(|l| l.trim().strip_prefix("\"~"))
            .map(|l| {
                let (re, value) = l.split_once("\" ").unwrap();
                (
                    regex::Regex::new(re).unwrap(),
                    value.trim_end_matches(';').trim_matches('"').into(),
                )
            })
            .collect();
        assert_eq!(regexes.len(), 3);
        let digits = |n: usize| -> [char; 3] {
            [
                ['0', '1'][n % 2],
                ['0', '1'][n / 2 % 2],
                ['0', '1', '2'][n / 4 % 3],
            ]
        };
        let mut allowed = 0;
        for a in 0..12 {
            for b in 0..12 {
                for c in 0..12 {
                    let triples = [digits(a), digits(b), digits(c)];
                    let key: String = triples.iter().flatten().collect();
                    let want = triples
                        .iter()
                        .position(|t| t[0] == '1' || t[2] != '0')
                        .filter(|&i| triples[i] == ['1', '1', '2'])
                        .map(|i| String::from(["sendcloud", "acme", "we_ird_id"][i]));
                    let got = regexes
                        .iter()
                        .find(|(re, _)| re.is_match(&key))
                        .map(|(_, v)| v.clone());
                    assert_eq!(got, want, "{key}");
                    allowed += usize::from(got.is_some());
                }
            }
        }
        assert!(allowed > 100, "{allowed}");
    }

    #[test]
    fn earlier_partners_decide_first_in_every_format() {
        // acme's rule excludes Sendcloud's ranges and User-Agents (patterns or the claim), as the engine tries
        // Sendcloud first.
        let p = policy(SEVERAL);
        let ms = export(&p, Format::ModSecurity);
        let acme = ms
            .split("id:41401,")
            .nth(1)
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap();
        assert!(acme.contains("SecRule REMOTE_ADDR \"!@ipMatch 52.58.233.101,94.232.247.0/24,185.66.200.0/24,198.51.100.0/24,2001:db8::/32\""), "{acme}");
        assert!(
            acme.contains(r#"SecRule REQUEST_HEADERS:User-Agent "!@rx (?i)^(?:Sendcloud/1\.0\.0|"#)
                && acme.contains(r#"|Sendcloud-Test/.*)$|sendcloud" \"#),
            "{acme}"
        );
        // The ctl actions stay on the chain's last rule.
        let last = acme.rsplit("SecRule ").next().unwrap();
        assert!(
            last.contains("ctl:ruleRemoveById=911100") && !last.contains("chain"),
            "{last}"
        );
        let first = ms.split("id:41401,").next().unwrap();
        assert!(
            !first.contains("!@"),
            "the first partner has no exclusions: {first}"
        );

        let ap = export(&p, Format::Apache);
        let acme = ap
            .lines()
            .find(|l| l.ends_with("SENDCLOUD_GATE_PARTNER=acme"))
            .unwrap();
        assert!(
            acme.contains(" && ! -R '94.232.247.0/24'")
                && acme.contains(" && %{HTTP_USER_AGENT} !~ m#^(?:Sendcloud/1"),
            "{acme}"
        );

        let cf = cloudflare_expression(&p);
        let acme = cf.split(") or (").nth(1).unwrap();
        assert!(
            acme.contains(" and not ip.src in {52.58.233.101 94.232.247.0/24")
                && acme.contains(
                    r#" and not lower(http.user_agent) matches r"^(?:sendcloud/1\.0\.0|"#
                ),
            "{acme}"
        );
        assert!(
            !cf.split(") or (").next().unwrap().contains(" not "),
            "{cf}"
        );
    }

    #[test]
    fn no_partner_lets_nothing_through() {
        let p = policy(r#"{"partners":[]}"#);
        assert!(export(&p, Format::ModSecurity).contains("(no partner to let through: no rule)"));
        assert!(!export(&p, Format::ModSecurity).contains("SecRule"));
        assert!(!export(&p, Format::Apache).contains("\n<If "));
        let ng = export(&p, Format::Nginx);
        assert!(
            ng.contains("map \"0\" $sendcloud_gate_partner {\n    default \"\";\n}"),
            "{ng}"
        );
        assert_eq!(
            cloudflare_expression(&p),
            "(not ip.src in {0.0.0.0/0 ::/0})"
        );
        assert!(export(&p, Format::Cloudflare).contains("The policy has no partners"));
    }

    #[test]
    fn policy_method_and_free_function_agree() {
        let p = policy(SEVERAL);
        for f in Format::ALL {
            assert_eq!(p.export(f), export(&p, f));
        }
    }
}
