//! `sendcloud-gate replay LOG...`: every line of an access log decided with the policy, and a summary that answers
//! "what happened to Sendcloud's requests?" (docs/hosting-support.md, "Reading a replay summary").
//!
//! Streams line by line (one line buffer, capped at 64 KiB); every summary map is bounded, so memory does not grow
//! with the log.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};

use sendcloud_gate::internals::{contains_lower, Pattern};
use sendcloud_gate::{Action, Decision, Policy, Reason, Request};
use serde_json::Value;

use crate::logformat::{Entry, Format, MAX_LINE};
use crate::{arg_text, load_policy, Fail};

/// Lines not understood that are listed (text / JSON); the rest are counted.
const ERRORS_SHOWN_TEXT: usize = 10;
const ERRORS_SHOWN_JSON: usize = 100;
/// Distinct (partner, status, method, path prefix) groups kept; further ones count as "other".
const GROUPS_KEPT: usize = 1000;
/// Groups printed in the text summary; the rest are summed into one "other" row.
const GROUPS_SHOWN: usize = 20;
/// A progress bar only for inputs at least this large (and only on a terminal).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    None,
    All,
    SendcloudRefused,
    NotAllowed,
    Impersonation,
}

struct Args {
    policy: Option<String>,
    json: bool,
    only: Only,
    log_format: Option<String>,
    logs: Vec<String>,
}

fn parse_args(args: &[OsString]) -> Result<Args, Fail> {
    let mut a = Args {
        policy: None,
        json: false,
        only: Only::None,
        log_format: None,
        logs: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let arg = arg_text(arg)?;
        let mut value = || {
            it.next()
                .map(|v| arg_text(v))
                .transpose()?
                .ok_or_else(|| Fail(format!("{arg} needs a value")))
        };
        match arg {
            "--policy" => a.policy = Some(value()?.into()),
            "--json" => a.json = true,
            "--log-format" => a.log_format = Some(value()?.into()),
            "--only" => {
                a.only = match value()? {
                    "all" => Only::All,
                    "sendcloud-refused" => Only::SendcloudRefused,
                    "not-allowed" => Only::NotAllowed,
                    "impersonation" => Only::Impersonation,
                    other => {
                        return Err(Fail(format!(
                    "--only {other:?}: one of all, sendcloud-refused, not-allowed, impersonation"
                )))
                    }
                }
            }
            "-" => a.logs.push("-".into()),
            flag if flag.starts_with('-') => {
                return Err(Fail(format!(
                    "unknown argument {flag:?}\n\n{}",
                    crate::USAGE
                )))
            }
            file => a.logs.push(file.into()),
        }
    }
    if a.logs.is_empty() {
        return Err(Fail(format!(
            "replay needs at least one LOG (or - for standard input)\n\n{}",
            crate::USAGE
        )));
    }
    if a.json && a.only == Only::None {
        a.only = Only::All;
    }
    Ok(a)
}

/// What the policy says about partners, for telling partner traffic apart: the partners' User-Agent patterns and
/// claims, and (when the policy has site rules, which decide before partners) the same policy without its rules.
struct Partners {
    ids: Vec<String>,
    patterns: Vec<Pattern>,
    claims: Vec<Vec<u8>>,
    /// The policy's partners and trusted proxies, no rules: "in a partner's ranges with its User-Agent" whatever a
    /// site rule decided.
    probe: Option<Policy>,
}

/// The JSON writer every host uses (`sendcloud_gate::hosts`), under the names this file has always used.
mod sjson {
    pub fn write_str(out: &mut String, s: &str) {
        sendcloud_gate::hosts::write_json_str(out, s);
    }

    /// Bytes that may not be UTF-8, each invalid sequence as U+FFFD.
    pub fn write_bytes(out: &mut String, b: &[u8]) {
        write_str(out, &String::from_utf8_lossy(b));
    }
}

fn member<'a>(node: &'a Value, key: &str) -> Option<&'a Value> {
    node.get(key)
}

fn strings(node: Option<&Value>) -> Vec<String> {
    match node {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn json_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        sjson::write_str(out, s);
    }
    out.push(']');
}

impl Partners {
    fn of(policy: &Policy) -> Result<Partners, Fail> {
        let shown = policy.show_json();
        let root: Value =
            serde_json::from_str(&shown).map_err(|e| Fail(format!("policy show: {e}")))?;
        let mut p = Partners {
            ids: Vec::new(),
            patterns: Vec::new(),
            claims: Vec::new(),
            probe: None,
        };
        let mut probe = String::from("{\"version\":1,\"trusted_proxies\":{\"header\":");
        let tp = member(&root, "trusted_proxies");
        let header = tp
            .and_then(|t| member(t, "header"))
            .map(|h| h.as_str().unwrap_or("x-forwarded-for").to_owned());
        sjson::write_str(&mut probe, header.as_deref().unwrap_or("x-forwarded-for"));
        probe.push_str(",\"ranges\":");
        json_list(&mut probe, &strings(tp.and_then(|t| member(t, "ranges"))));
        probe.push_str("},\"partners\":[");
        if let Some(Value::Array(partners)) = member(&root, "partners") {
            for partner in partners {
                if !matches!(member(partner, "enabled"), Some(Value::Bool(true))) {
                    continue;
                }
                let id = strings(Some(&Value::Array(vec![member(partner, "id")
                    .cloned()
                    .unwrap_or_default()])));
                let uas = strings(member(partner, "user_agents"));
                let claims = strings(member(partner, "claims"));
                if !p.ids.is_empty() {
                    probe.push(',');
                }
                probe.push_str("{\"id\":");
                sjson::write_str(&mut probe, &id[0]);
                for key in ["ip", "user_agents", "claims", "methods"] {
                    probe.push_str(&format!(",\"{key}\":"));
                    json_list(&mut probe, &strings(member(partner, key)));
                }
                probe.push('}');
                p.ids.push(id[0].clone());
                for ua in &uas {
                    p.patterns.push(
                        Pattern::parse(ua).map_err(|e| Fail(format!("pattern {ua:?}: {e}")))?,
                    );
                }
                p.claims.extend(
                    claims
                        .into_iter()
                        .map(|c| c.to_ascii_lowercase().into_bytes()),
                );
            }
        }
        probe.push_str("],\"rules\":[]}");
        if policy.enabled_counts().1 > 0 {
            p.probe = Some(
                Policy::from_json(probe.as_bytes())
                    .map_err(|e| Fail(format!("the policy's partners without its rules: {e}")))?,
            );
        }
        Ok(p)
    }

    /// Whether a User-Agent claims to be a partner: matches one of its patterns or contains one of its claims.
    fn claimed(&self, ua: Option<&[u8]>) -> bool {
        let Some(ua) = ua else { return false };
        let ua = ua.trim_ascii_start();
        let ua = trim_sp_tab(ua);
        self.patterns.iter().any(|p| p.matches(ua))
            || self.claims.iter().any(|c| contains_lower(ua, c))
    }
}

fn trim_sp_tab(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// One decided line, classified.
struct Seen<'p> {
    decision: Decision<'p>,
    /// The partner whose ranges and User-Agent the request has (whatever the method or a site rule): its own traffic.
    own: Option<&'p str>,
    /// The User-Agent claims to be a partner (its own traffic or not).
    claiming: bool,
}

fn classify<'p>(
    policy: &'p Policy,
    partners: &'p Partners,
    req: &Request<'_>,
    ua: Option<&[u8]>,
) -> Seen<'p> {
    let decision = policy.decide(req);
    let (own, claiming) = match decision.reason {
        Reason::PartnerMatch | Reason::MethodNotAllowed => (decision.rule, true),
        Reason::Impersonation => (None, true),
        Reason::NoMatch => (None, false),
        Reason::UaMismatch => (None, partners.claimed(ua)),
        Reason::RuleMatch | Reason::MalformedInput | Reason::AmbiguousMethodOverride => {
            let own = partners.probe.as_ref().and_then(|probe| {
                let d = probe.decide(req);
                matches!(d.reason, Reason::PartnerMatch | Reason::MethodNotAllowed)
                    .then(|| d.rule)
                    .flatten()
                    .and_then(|id| partners.ids.iter().find(|i| *i == id).map(String::as_str))
            });
            (own, own.is_some() || partners.claimed(ua))
        }
    };
    Seen {
        decision,
        own,
        claiming,
    }
}

/// (partner, status, method, path prefix) of refused requests.
type GroupKey = (String, u16, String, String);
/// (action, reason, rule) of partner-claiming requests not allowed.
type NotAllowedKey = (&'static str, &'static str, Option<String>);

#[derive(Default)]
struct Group {
    count: u64,
    first: String,
    last: String,
}

#[derive(Default)]
struct Summary {
    files: Vec<String>,
    lines: u64,
    decided: u64,
    actions: [u64; 3],
    claiming: u64,
    claiming_allowed: u64,
    /// (action, reason, rule) of partner-claiming requests not allowed: bounded by the policy's ids.
    not_allowed: HashMap<(&'static str, &'static str, Option<String>), u64>,
    own: u64,
    refused: u64,
    refused_first: Option<String>,
    refused_last: Option<String>,
    refused_by_status: HashMap<u16, u64>,
    groups: HashMap<(String, u16, String, String), Group>,
    other_groups: u64,
    errors: u64,
    error_list: Vec<(String, u64, String)>,
    no_status: u64,
}

fn action_index(a: Action) -> usize {
    match a {
        Action::Allow => 0,
        Action::Deny => 1,
        Action::Pass => 2,
    }
}

/// The first two segments of the request target's path: `/wp-json/wc/v3/orders/1?x` -> `/wp-json/wc`.
fn path_prefix(uri: &[u8]) -> String {
    let path = &uri[..uri.iter().position(|&b| b == b'?').unwrap_or(uri.len())];
    let mut end = path.len();
    let mut slashes = 0;
    for (i, &b) in path.iter().enumerate() {
        if b == b'/' {
            slashes += 1;
            if slashes == 3 {
                end = i;
                break;
            }
        }
    }
    let s = String::from_utf8_lossy(&path[..end]);
    let s: String = s.chars().take(80).collect();
    if s.is_empty() {
        "/".into()
    } else {
        s
    }
}

fn short(bytes: &[u8], n: usize) -> String {
    String::from_utf8_lossy(bytes).chars().take(n).collect()
}

/// Reads `LOG` (a file, `.gz` or plain, or `-`) line by line, at most [`MAX_LINE`] bytes kept per line.
fn open(path: &str, progress: &Option<indicatif::ProgressBar>) -> Result<Box<dyn BufRead>, Fail> {
    let raw: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        let f = fs::File::open(path).map_err(|e| Fail(format!("cannot read {path}: {e}")))?;
        match progress {
            Some(pb) => Box::new(pb.wrap_read(f)),
            None => Box::new(f),
        }
    };
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let head = buffered
        .fill_buf()
        .map_err(|e| Fail(format!("cannot read {}: {e}", display_name(path))))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

fn display_name(path: &str) -> &str {
    if path == "-" {
        "<stdin>"
    } else {
        path
    }
}

/// One line into `buf` without its `\n`; `Ok(None)` at the end; the bool says the line was longer than kept.
fn read_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(long));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(buf.len());
        if take > room {
            long = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(Some(long));
        }
    }
}

pub fn run(args: &[OsString]) -> Result<(), Fail> {
    let a = parse_args(args)?;
    let mut format = match &a.log_format {
        Some(re) => Format::custom(re).map_err(Fail)?,
        None => Format::BuiltIn,
    };
    let policy = load_policy(a.policy.as_deref())?;
    let partners = Partners::of(&policy)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());

    let total: u64 = a
        .logs
        .iter()
        .filter(|p| *p != "-")
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = (io::stderr().is_terminal() && total >= PROGRESS_MIN_BYTES).then(|| {
        let pb = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "replay {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            pb.set_style(style);
        }
        pb
    });

    let mut s = Summary {
        files: a.logs.clone(),
        ..Summary::default()
    };
    let many = a.logs.len() > 1;
    let mut buf = Vec::with_capacity(4096);
    let mut json = String::with_capacity(256);
    for path in &a.logs {
        let name = display_name(path);
        let mut reader = open(path, &progress)?;
        let mut n = 0u64;
        while let Some(long) = read_line(&mut *reader, &mut buf)
            .map_err(|e| Fail(format!("cannot read {name}: {e}")))?
        {
            n += 1;
            let line = buf.strip_suffix(b"\r").unwrap_or(&buf);
            if line.iter().all(u8::is_ascii_whitespace) && !long {
                continue;
            }
            s.lines += 1;
            let parsed = if long {
                Err(crate::logformat::LineError::TooLong)
            } else {
                format.parse(line)
            };
            let entry: Entry<'_> = match parsed {
                Ok(e) => e,
                Err(why) => {
                    s.errors += 1;
                    if s.error_list.len() < ERRORS_SHOWN_JSON {
                        s.error_list.push((name.to_string(), n, why.to_string()));
                    }
                    continue;
                }
            };
            let mut headers: Vec<(&[u8], &[u8])> = Vec::with_capacity(2);
            if let Some(ua) = &entry.user_agent {
                headers.push((b"User-Agent", ua));
            }
            if let Some(x) = &entry.forwarded_for {
                headers.push((b"X-Forwarded-For", x));
            }
            let mut req = Request::new(entry.remote_addr, &entry.method, &entry.uri);
            req.headers = headers.into();
            let seen = classify(&policy, &partners, &req, entry.user_agent.as_deref());
            let d = &seen.decision;
            s.decided += 1;
            s.actions[action_index(d.action)] += 1;
            if entry.status.is_none() {
                s.no_status += 1;
            }
            if seen.claiming {
                s.claiming += 1;
                if d.action == Action::Allow {
                    s.claiming_allowed += 1;
                } else {
                    *s.not_allowed
                        .entry((
                            d.action.as_str(),
                            d.reason.as_str(),
                            d.rule.map(String::from),
                        ))
                        .or_default() += 1;
                }
            }
            let refused = seen.own.is_some() && entry.status.is_some_and(|st| st >= 400);
            if let Some(partner) = seen.own {
                s.own += 1;
                if refused {
                    let status = entry.status.unwrap_or(0);
                    let time = entry.time.map(|t| short(t, 64)).unwrap_or_default();
                    s.refused += 1;
                    *s.refused_by_status.entry(status).or_default() += 1;
                    if s.refused_first.is_none() {
                        s.refused_first = Some(time.clone());
                    }
                    s.refused_last = Some(time.clone());
                    let key = (
                        partner.to_string(),
                        status,
                        short(&entry.method, 32),
                        path_prefix(&entry.uri),
                    );
                    if s.groups.len() < GROUPS_KEPT || s.groups.contains_key(&key) {
                        let g = s.groups.entry(key).or_default();
                        if g.count == 0 {
                            g.first = time.clone();
                        }
                        g.count += 1;
                        g.last = time;
                    } else {
                        s.other_groups += 1;
                    }
                }
            }
            let show = match a.only {
                Only::None => false,
                Only::All => true,
                Only::SendcloudRefused => refused,
                Only::NotAllowed => seen.claiming && d.action != Action::Allow,
                Only::Impersonation => d.reason == Reason::Impersonation,
            };
            if show {
                if a.json {
                    json.clear();
                    json.push('{');
                    if many {
                        json.push_str("\"file\":");
                        sjson::write_str(&mut json, name);
                        json.push(',');
                    }
                    json.push_str(&format!("\"line\":{n},\"status\":"));
                    match entry.status {
                        Some(st) => json.push_str(&st.to_string()),
                        None => json.push_str("null"),
                    }
                    json.push(',');
                    let dj = d.to_json();
                    json.push_str(&dj[1..dj.len() - 1]);
                    json.push_str(",\"uri\":");
                    sjson::write_bytes(&mut json, &entry.uri);
                    json.push_str(",\"time\":");
                    match entry.time {
                        Some(t) => sjson::write_bytes(&mut json, t),
                        None => json.push_str("null"),
                    }
                    json.push_str("}\n");
                    out.write_all(json.as_bytes())?;
                } else {
                    writeln!(
                        out,
                        "{}:{n}  {}  {}  {} {}  {}",
                        name,
                        entry.status.map_or("-".into(), |st| st.to_string()),
                        crate::human(d),
                        short(&entry.method, 32),
                        short(&entry.uri, 120),
                        entry
                            .user_agent
                            .as_deref()
                            .map_or("-".into(), |u| short(u, 120)),
                    )?;
                }
            }
        }
    }
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    if a.json {
        writeln!(out, "{}", summary_json(&s))?;
    } else {
        if a.only != Only::None {
            writeln!(out)?;
        }
        write_summary(&mut out, &s, &partners)?;
    }
    Ok(out.flush()?)
}

fn sorted_groups(s: &Summary) -> Vec<(&GroupKey, &Group)> {
    let mut g: Vec<_> = s.groups.iter().collect();
    g.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
    g
}

fn sorted_not_allowed(s: &Summary) -> Vec<(&NotAllowedKey, &u64)> {
    let mut v: Vec<_> = s.not_allowed.iter().collect();
    v.sort_by(|a, b| {
        b.1.cmp(a.1)
            .then_with(|| (a.0 .1, &a.0 .2).cmp(&(b.0 .1, &b.0 .2)))
    });
    v
}

fn num(n: u64) -> String {
    let d = n.to_string();
    let mut o = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            o.push(',');
        }
        o.push(c);
    }
    o
}

fn reason_text(reason: &str) -> &'static str {
    match reason {
        "impersonation" => "a partner's User-Agent from outside its addresses",
        "method_not_allowed" => {
            "a partner's address and User-Agent, a method the policy does not allow for it"
        }
        "ua_mismatch" => "a partner's address, another User-Agent",
        "rule_match" => "a site rule decided",
        "malformed_input" => "input that cannot be read one way only",
        "ambiguous_method_override" => "method overrides that disagree",
        _ => "",
    }
}

fn write_summary(out: &mut impl Write, s: &Summary, p: &Partners) -> io::Result<()> {
    let names = if p.ids.is_empty() {
        "no enabled partner".to_string()
    } else {
        p.ids.join(", ")
    };
    writeln!(
        out,
        "replay of {}",
        s.files
            .iter()
            .map(|f| display_name(f))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "  {} lines: {} decided (allow {}, deny {}, pass {}), {} not understood",
        num(s.lines),
        num(s.decided),
        num(s.actions[0]),
        num(s.actions[1]),
        num(s.actions[2]),
        num(s.errors)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Partner traffic ({names}): {} requests with a partner's User-Agent",
        num(s.claiming)
    )?;
    writeln!(out, "  allowed       {:>10}", num(s.claiming_allowed))?;
    writeln!(
        out,
        "  not allowed   {:>10}",
        num(s.claiming - s.claiming_allowed)
    )?;
    for ((action, reason, rule), n) in sorted_not_allowed(s) {
        let rule = rule
            .as_deref()
            .map(|r| format!(" rule={r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {:>10}  {} {reason}{rule}  ({})",
            num(*n),
            action,
            reason_text(reason)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Refused by the server: {} of {} requests from a partner's addresses with its User-Agent got an error status",
        num(s.refused),
        num(s.own)
    )?;
    if s.refused > 0 {
        writeln!(
            out,
            "  first {}  last {}",
            s.refused_first.as_deref().unwrap_or("-"),
            s.refused_last.as_deref().unwrap_or("-")
        )?;
        let mut st: Vec<_> = s.refused_by_status.iter().collect();
        st.sort();
        writeln!(
            out,
            "  by status: {}",
            st.iter()
                .map(|(k, v)| format!("{k} x{}", num(**v)))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let many = p.ids.len() > 1;
        writeln!(
            out,
            "  {:>10}  status  {:<8}{}path prefix            first .. last",
            "count",
            "method",
            if many { "partner      " } else { "" }
        )?;
        let groups = sorted_groups(s);
        for ((partner, status, method, prefix), g) in groups.iter().take(GROUPS_SHOWN) {
            let partner = if many {
                format!("{partner:<12} ")
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {:>10}  {status}     {method:<8}{partner}{prefix:<22} {} .. {}",
                num(g.count),
                g.first,
                g.last
            )?;
        }
        let rest: u64 = groups
            .iter()
            .skip(GROUPS_SHOWN)
            .map(|(_, g)| g.count)
            .sum::<u64>()
            + s.other_groups;
        if rest > 0 {
            writeln!(
                out,
                "  {:>10}  (other statuses, methods and paths)",
                num(rest)
            )?;
        }
        writeln!(
            out,
            "  The server (a WAF such as ModSecurity's Core Rule Set, or a method or User-Agent rule) refused these\n  \
             before the shop saw them. `sendcloud-gate export --format modsecurity|apache|nginx|cloudflare` writes the\n  \
             rule that lets exactly the partner's verified traffic through: docs/hosting-support.md."
        )?;
    }
    if s.no_status > 0 {
        writeln!(
            out,
            "  ({} decided lines had no status code in the log)",
            num(s.no_status)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Not understood: {} lines", num(s.errors))?;
    for (file, line, why) in s.error_list.iter().take(ERRORS_SHOWN_TEXT) {
        writeln!(out, "  {file}:{line}: {why}")?;
    }
    if s.errors > ERRORS_SHOWN_TEXT as u64 {
        writeln!(
            out,
            "  and {} more",
            num(s.errors - ERRORS_SHOWN_TEXT as u64)
        )?;
    }
    Ok(())
}

fn summary_json(s: &Summary) -> String {
    let mut o = String::from("{\"summary\":{\"lines\":");
    o.push_str(&format!(
        "{},\"decided\":{},\"not_understood\":{},\"actions\":{{\"allow\":{},\"deny\":{},\"pass\":{}}}",
        s.lines, s.decided, s.errors, s.actions[0], s.actions[1], s.actions[2]
    ));
    o.push_str(&format!(
        ",\"partner_traffic\":{{\"requests\":{},\"allowed\":{},\"not_allowed\":[",
        s.claiming, s.claiming_allowed
    ));
    for (i, ((action, reason, rule), n)) in sorted_not_allowed(s).into_iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str(&format!(
            "{{\"action\":\"{action}\",\"reason\":\"{reason}\",\"rule\":"
        ));
        match rule {
            Some(r) => sjson::write_str(&mut o, r),
            None => o.push_str("null"),
        }
        o.push_str(&format!(",\"count\":{n}}}"));
    }
    o.push_str(&format!(
        "]}},\"refused\":{{\"own_requests\":{},\"count\":{},\"first\":",
        s.own, s.refused
    ));
    let opt = |o: &mut String, v: &Option<String>| match v {
        Some(t) => sjson::write_str(o, t),
        None => o.push_str("null"),
    };
    opt(&mut o, &s.refused_first);
    o.push_str(",\"last\":");
    opt(&mut o, &s.refused_last);
    o.push_str(",\"by_status\":{");
    let mut st: Vec<_> = s.refused_by_status.iter().collect();
    st.sort();
    for (i, (k, v)) in st.iter().enumerate() {
        o.push_str(&format!("{}\"{k}\":{v}", if i > 0 { "," } else { "" }));
    }
    o.push_str("},\"groups\":[");
    let groups = sorted_groups(s);
    for (i, ((partner, status, method, prefix), g)) in groups.iter().take(GROUPS_SHOWN).enumerate()
    {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"partner\":");
        sjson::write_str(&mut o, partner);
        o.push_str(&format!(",\"status\":{status},\"method\":"));
        sjson::write_str(&mut o, method);
        o.push_str(",\"prefix\":");
        sjson::write_str(&mut o, prefix);
        o.push_str(&format!(",\"count\":{},\"first\":", g.count));
        sjson::write_str(&mut o, &g.first);
        o.push_str(",\"last\":");
        sjson::write_str(&mut o, &g.last);
        o.push('}');
    }
    let rest: u64 = groups
        .iter()
        .skip(GROUPS_SHOWN)
        .map(|(_, g)| g.count)
        .sum::<u64>()
        + s.other_groups;
    o.push_str(&format!("],\"other\":{rest}}},\"not_understood_lines\":["));
    for (i, (file, line, why)) in s.error_list.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"file\":");
        sjson::write_str(&mut o, file);
        o.push_str(&format!(",\"line\":{line},\"error\":"));
        sjson::write_str(&mut o, why);
        o.push('}');
    }
    o.push_str(&format!(
        "],\"not_understood_more\":{}}}}}",
        s.errors - s.error_list.len() as u64
    ));
    o
}
