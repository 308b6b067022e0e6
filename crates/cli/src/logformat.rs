//! Access-log lines into the engine's requests, for `replay`.
//!
//! Built-in formats, recognised line by line (the tester page's `www/logparse.mjs` reads exactly the same; both
//! are run over `tests/logs/`):
//!
//! - common: `host ident authuser [date] "request" status bytes`
//! - combined: common + `"referer" "user-agent"`
//! - combined + one trailing quoted field: the `X-Forwarded-For` header as logged (`-` = absent), nginx's `main`
//! - any of these after a virtual-host token (Apache's `vhost_combined`, `%v:%p`)
//!
//! Separators are spaces and tabs. Quoted fields may hold backslash escapes (`\"`, `\\`, `\n`, `\t`, `\xHH`), as
//! both servers write them; `\xHH` of a byte >= 0x80 stays as written (the page reads text, not bytes).
//!
//! `--log-format REGEX`: any other layout, a regular expression with the named groups `remote_addr`, `method`,
//! `uri` (required) and `status`, `user_agent`, `forwarded_for`, `time` (optional); the same unescaping applies.

use std::borrow::Cow;
use std::fmt;

/// Longer lines are not read (and not kept in memory): they are reported as not understood.
pub const MAX_LINE: usize = 65536;

/// What one log line says about its request.
#[derive(Debug, Default)]
pub struct Entry<'a> {
    pub remote_addr: &'a [u8],
    pub method: Cow<'a, [u8]>,
    pub uri: Cow<'a, [u8]>,
    /// The status code; `None` when the log says `-` (or the format has none).
    pub status: Option<u16>,
    pub user_agent: Option<Cow<'a, [u8]>>,
    pub forwarded_for: Option<Cow<'a, [u8]>>,
    pub time: Option<&'a [u8]>,
}

/// Why a line was not understood. The texts are `www/logparse.mjs`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    TooLong,
    NotBuiltIn,
    NotCustom,
    NoMethodAndTarget(String),
    BadStatus(String),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong => f.write_str("line longer than 64 KiB"),
            LineError::NotBuiltIn => f.write_str("not in common or combined log format"),
            LineError::NotCustom => f.write_str("does not match --log-format"),
            LineError::NoMethodAndTarget(quoted) => {
                write!(f, "request line {quoted} has no method and target")
            }
            LineError::BadStatus(quoted) => write!(f, "status {quoted} is not a status code"),
        }
    }
}

/// The groups a `--log-format` regex must have.
pub const REQUIRED_GROUPS: [&str; 3] = ["remote_addr", "method", "uri"];
/// The groups it may have.
pub const OPTIONAL_GROUPS: [&str; 4] = ["status", "user_agent", "forwarded_for", "time"];

/// How lines are read: the built-in formats, or the user's regex.
pub enum Format {
    BuiltIn,
    Custom(Box<Custom>),
}

pub struct Custom {
    re: regex::bytes::Regex,
    locs: regex::bytes::CaptureLocations,
    // Group indices: remote_addr, method, uri, status, user_agent, forwarded_for, time.
    idx: [Option<usize>; 7],
}

impl Format {
    /// Compiles a `--log-format` regex; the error is the regex crate's, or names the missing groups.
    pub fn custom(pattern: &str) -> Result<Format, String> {
        let re = regex::bytes::Regex::new(pattern)
            .map_err(|e| format!("--log-format: not a regular expression:\n{e}"))?;
        let index_of = |name: &str| re.capture_names().position(|n| n == Some(name));
        let missing: Vec<&str> = REQUIRED_GROUPS
            .iter()
            .copied()
            .filter(|g| index_of(g).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--log-format: the regex has no group named {} (required: {}; optional: {}; write (?P<name>...))",
                missing.join(", "),
                REQUIRED_GROUPS.join(", "),
                OPTIONAL_GROUPS.join(", ")
            ));
        }
        let mut idx = [None; 7];
        for (i, name) in REQUIRED_GROUPS
            .iter()
            .chain(OPTIONAL_GROUPS.iter())
            .enumerate()
        {
            idx[i] = index_of(name);
        }
        let locs = re.capture_locations();
        Ok(Format::Custom(Box::new(Custom { re, locs, idx })))
    }

    /// Reads one line (without its line end).
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Entry<'a>, LineError> {
        if line.len() > MAX_LINE {
            return Err(LineError::TooLong);
        }
        match self {
            Format::BuiltIn => parse_builtin(line),
            Format::Custom(c) => c.parse(line),
        }
    }
}

impl Custom {
    fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Entry<'a>, LineError> {
        self.re
            .captures_read(&mut self.locs, line)
            .ok_or(LineError::NotCustom)?;
        let group = |i: usize| -> Option<&'a [u8]> {
            let (s, e) = self.locs.get(self.idx[i]?)?;
            Some(&line[s..e])
        };
        let status = match group(3) {
            None | Some(b"-") => None,
            Some(s) => Some(parse_status(s).ok_or_else(|| {
                LineError::BadStatus(js_quote(&truncate(&String::from_utf8_lossy(s), 60)))
            })?),
        };
        Ok(Entry {
            remote_addr: group(0).unwrap_or_default(),
            method: unescape(group(1).unwrap_or_default()),
            uri: unescape(group(2).unwrap_or_default()),
            status,
            user_agent: group(4).and_then(header_value),
            forwarded_for: group(5).and_then(header_value),
            time: group(6),
        })
    }
}

fn parse_status(s: &[u8]) -> Option<u16> {
    if s.len() == 3 && s.iter().all(u8::is_ascii_digit) {
        Some(s.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')))
    } else {
        None
    }
}

/// A logged header value: unescaped; `-` or empty is no header.
fn header_value(raw: &[u8]) -> Option<Cow<'_, [u8]>> {
    let v = unescape(raw);
    (!v.is_empty() && &*v != b"-").then_some(v)
}

#[inline]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A cursor over a line, with the few steps the built-in formats need.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// One or more separators; false (and nothing consumed) when there is none.
    fn seps(&mut self) -> bool {
        let start = self.at;
        while self.at < self.s.len() && is_sep(self.s[self.at]) {
            self.at += 1;
        }
        self.at > start
    }

    /// A run of non-separators (at least one).
    fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        while self.at < self.s.len() && !is_sep(self.s[self.at]) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.s[start..self.at])
    }

    /// `"..."` with backslash escapes; the raw inside.
    fn quoted(&mut self) -> Option<&'a [u8]> {
        if self.s.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let mut i = start;
        loop {
            match self.s.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(&self.s[start..i]);
                }
                b'\\' => {
                    self.s.get(i + 1)?;
                    i += 2;
                }
                _ => i += 1,
            }
        }
    }

    /// Only separators left.
    fn at_end(&self) -> bool {
        self.s[self.at..].iter().all(|&b| is_sep(b))
    }
}

/// The built-in formats, as `www/logparse.mjs`'s regular expression reads them: first without a virtual-host
/// token, then with one.
fn parse_builtin(line: &[u8]) -> Result<Entry<'_>, LineError> {
    let mut last = LineError::NotBuiltIn;
    for vhost in [false, true] {
        match builtin_with(line, vhost) {
            Some(Ok(e)) => return Ok(e),
            Some(Err(e)) => last = e,
            None => {}
        }
        if last != LineError::NotBuiltIn {
            break;
        }
    }
    Err(last)
}

/// `None` when the line is not in the layout; `Some(Err)` when it is but its request line is not a request.
fn builtin_with(line: &[u8], vhost: bool) -> Option<Result<Entry<'_>, LineError>> {
    let mut c = Cursor { s: line, at: 0 };
    if vhost {
        c.token()?;
        if !c.seps() {
            return None;
        }
    }
    let host = c.token()?;
    for _ in 0..2 {
        if !c.seps() {
            return None;
        }
        c.token()?;
    }
    if !c.seps() || c.s.get(c.at) != Some(&b'[') {
        return None;
    }
    let close = c.s[c.at + 1..].iter().position(|&b| b == b']')?;
    let time = &c.s[c.at + 1..c.at + 1 + close];
    c.at += close + 2;
    if !c.seps() {
        return None;
    }
    let request = c.quoted()?;
    if !c.seps() {
        return None;
    }
    let status_tok = c.token()?;
    let status = match status_tok {
        b"-" => None,
        s => Some(parse_status(s)?),
    };
    if !c.seps() {
        return None;
    }
    c.token()?; // bytes
    let after_bytes = c.at;
    // The optional "referer" "user-agent" ["x-forwarded-for"], then only separators.
    let mut ua = None;
    let mut xff = None;
    let mut matched = false;
    if c.seps() && c.quoted().is_some() && c.seps() {
        if let Some(u) = c.quoted() {
            let after_ua = c.at;
            if c.seps() {
                if let Some(x) = c.quoted() {
                    if c.at_end() {
                        ua = Some(u);
                        xff = Some(x);
                        matched = true;
                    }
                }
            }
            if !matched {
                c.at = after_ua;
                if c.at_end() {
                    ua = Some(u);
                    matched = true;
                }
            }
        }
    }
    if !matched {
        c.at = after_bytes;
        if !c.at_end() {
            return None;
        }
    }
    Some(entry(host, request, status, ua, xff, time))
}

fn entry<'a>(
    host: &'a [u8],
    request: &'a [u8],
    status: Option<u16>,
    ua: Option<&'a [u8]>,
    xff: Option<&'a [u8]>,
    time: &'a [u8],
) -> Result<Entry<'a>, LineError> {
    let (method, uri) = split_request_line(unescape(request))?;
    Ok(Entry {
        remote_addr: host,
        method,
        uri,
        status,
        user_agent: ua.and_then(header_value),
        forwarded_for: xff.and_then(header_value),
        time: Some(time),
    })
}

/// `METHOD target [protocol]`, split at single spaces (as the page's `split(' ')`).
#[allow(clippy::type_complexity)]
fn split_request_line(rl: Cow<'_, [u8]>) -> Result<(Cow<'_, [u8]>, Cow<'_, [u8]>), LineError> {
    let parts: Vec<&[u8]> = rl.split(|&b| b == b' ').take(4).collect();
    if parts.len() < 2 || parts.len() > 3 || parts[0].is_empty() || parts[1].is_empty() {
        let text = String::from_utf8_lossy(&rl);
        return Err(LineError::NoMethodAndTarget(js_quote(&truncate(&text, 60))));
    }
    let (m, u) = (parts[0].len(), parts[1].len());
    Ok(match rl {
        Cow::Borrowed(b) => (Cow::Borrowed(&b[..m]), Cow::Borrowed(&b[m + 1..m + 1 + u])),
        Cow::Owned(v) => (
            Cow::Owned(v[..m].to_vec()),
            Cow::Owned(v[m + 1..m + 1 + u].to_vec()),
        ),
    })
}

/// `\"` -> `"`, `\\` -> `\`, `\n`, `\t`, `\xHH` -> the byte when it is ASCII (else kept as written), `\c` -> `c`.
pub fn unescape(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.contains(&b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b != b'\\' || i + 1 >= s.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let e = s[i + 1];
        if e == b'x'
            && i + 3 < s.len()
            && s[i + 2].is_ascii_hexdigit()
            && s[i + 3].is_ascii_hexdigit()
        {
            let v = hex(s[i + 2]) * 16 + hex(s[i + 3]);
            if v < 0x80 {
                out.push(v);
            } else {
                out.extend_from_slice(&s[i..i + 4]);
            }
            i += 4;
            continue;
        }
        out.push(match e {
            b'n' => b'\n',
            b't' => b'\t',
            other => other,
        });
        i += 2;
    }
    Cow::Owned(out)
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// The page's `truncate`: at most `n` characters, the last one `…` when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// `JSON.stringify` of a string, as the page writes it into its messages.
pub fn js_quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Entry<'_> {
        Format::BuiltIn.parse(line.as_bytes()).unwrap()
    }

    #[test]
    fn combined_and_variants() {
        let e = ok(
            r#"94.232.247.10 - - [23/Nov/2025:10:00:02 +0100] "PATCH /wp-json/wc/v3/orders/12 HTTP/1.1" 403 12 "-" "Sendcloud/1.0.0""#,
        );
        assert_eq!(e.remote_addr, b"94.232.247.10");
        assert_eq!(&*e.method, b"PATCH");
        assert_eq!(&*e.uri, b"/wp-json/wc/v3/orders/12");
        assert_eq!(e.status, Some(403));
        assert_eq!(e.user_agent.as_deref(), Some(&b"Sendcloud/1.0.0"[..]));
        assert_eq!(e.time, Some(&b"23/Nov/2025:10:00:02 +0100"[..]));
        let v = ok(
            r#"shop.example:443 94.232.247.10 - - [d] "GET /a HTTP/1.1" 200 1 "-" "x" "1.2.3.4""#,
        );
        assert_eq!(v.remote_addr, b"94.232.247.10");
        assert_eq!(v.forwarded_for.as_deref(), Some(&b"1.2.3.4"[..]));
        let common = ok(
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        );
        assert!(common.user_agent.is_none() && common.forwarded_for.is_none());
        assert_eq!(
            ok(r#"1.2.3.4 - - [d] "GET / HTTP/1.1" - - "-" "-""#).status,
            None
        );
    }

    #[test]
    fn escapes() {
        let e =
            ok(r#"1.2.3.4 - - [d] "GET /q?a=\"b\" HTTP/1.1" 200 1 "-" "Agent \"q\" \x41 \xe9""#);
        assert_eq!(&*e.uri, br#"/q?a="b""#);
        assert_eq!(e.user_agent.as_deref(), Some(&br#"Agent "q" A \xe9"#[..]));
    }

    #[test]
    fn errors() {
        let err = |l: &str| Format::BuiltIn.parse(l.as_bytes()).unwrap_err().to_string();
        assert_eq!(err("garbage"), "not in common or combined log format");
        assert_eq!(
            err(r#"1.2.3.4 - - [d] "-" 408 0 "-" "-""#),
            r#"request line "-" has no method and target"#
        );
        assert_eq!(
            err(r#"1.2.3.4 - - [d] "GET / HTTP/1.1" 200"#),
            "not in common or combined log format"
        );
        assert_eq!(err(&"x".repeat(MAX_LINE + 1)), "line longer than 64 KiB");
    }

    #[test]
    fn custom_format() {
        let mut f = Format::custom(r#"^(?P<remote_addr>\S+) "(?P<method>\S+) (?P<uri>\S+)[^"]*" (?P<status>\S+) "(?P<user_agent>[^"]*)"$"#).unwrap();
        let e = f
            .parse(br#"94.232.247.10 "DELETE /x HTTP/1.1" 405 "Sendcloud/1.0.0""#)
            .unwrap();
        assert_eq!((&*e.method, e.status), (&b"DELETE"[..], Some(405)));
        assert_eq!(f.parse(b"nope").unwrap_err(), LineError::NotCustom);
        let Err(e) = Format::custom(r"(?P<remote_addr>\S+) (?P<status>\d+)") else {
            panic!()
        };
        assert!(e.contains("no group named method, uri"), "{e}");
        let Err(e) = Format::custom(r"(?P<remote_addr>") else {
            panic!()
        };
        assert!(e.contains("not a regular expression"), "{e}");
    }
}

/// The test harness's JSON reader (byte strings, keys in order), shared with the engine's corpus tests.
#[cfg(test)]
#[path = "../../../tests/common/json.rs"]
mod test_json;

/// The shared fixtures: `tests/logs/*.log` must give exactly `*.expected.jsonl`, which `www/logparse.mjs` is held to
/// as well (`www/test/logs.test.mjs`).
#[cfg(test)]
mod fixtures {
    use super::test_json::{parse, Node, Value};
    use super::*;

    fn get<'a>(n: &'a Node, key: &str) -> Option<&'a Value> {
        match &n.value {
            Value::Object(m) => m
                .iter()
                .find(|m| m.key == key.as_bytes())
                .map(|m| &m.value.value),
            _ => None,
        }
    }

    fn text(v: Option<&Value>) -> Option<Vec<u8>> {
        match v {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/logs");
        let mut files = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("log") {
                continue;
            }
            files += 1;
            let log = std::fs::read(&path).unwrap();
            let expected = std::fs::read_to_string(path.with_extension("expected.jsonl")).unwrap();
            let mut want = expected.lines().filter(|l| !l.is_empty());
            let mut format = Format::BuiltIn;
            for (i, line) in log.split(|&b| b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let at = format!("{}:{}", path.display(), i + 1);
                let w = parse(
                    want.next()
                        .unwrap_or_else(|| panic!("{at}: no expected line"))
                        .as_bytes(),
                )
                .unwrap();
                assert_eq!(
                    get(&w, "line"),
                    Some(&Value::Number((i + 1).to_string())),
                    "{at}"
                );
                match format.parse(line) {
                    Err(e) => assert_eq!(
                        text(get(&w, "error")),
                        Some(e.to_string().into_bytes()),
                        "{at}"
                    ),
                    Ok(e) => {
                        assert!(
                            get(&w, "error").is_none(),
                            "{at}: parsed, expected {:?}",
                            get(&w, "error")
                        );
                        let Some(Value::Object(req)) = get(&w, "request") else {
                            panic!("{at}")
                        };
                        let req = Node {
                            value: Value::Object(req.clone()),
                            pos: w.pos,
                        };
                        assert_eq!(
                            text(get(&req, "remote_addr")).as_deref(),
                            Some(e.remote_addr),
                            "{at}"
                        );
                        assert_eq!(
                            text(get(&req, "method")).as_deref(),
                            Some(&*e.method),
                            "{at}"
                        );
                        assert_eq!(text(get(&req, "uri")).as_deref(), Some(&*e.uri), "{at}");
                        let Some(Value::Object(h)) = get(&req, "headers") else {
                            panic!("{at}")
                        };
                        let mut headers = vec![];
                        for m in h {
                            let Value::String(v) = &m.value.value else {
                                panic!("{at}")
                            };
                            headers.push((m.key.clone(), v.clone()));
                        }
                        let mut got = vec![];
                        if let Some(ua) = &e.user_agent {
                            got.push((b"User-Agent".to_vec(), ua.to_vec()));
                        }
                        if let Some(x) = &e.forwarded_for {
                            got.push((b"X-Forwarded-For".to_vec(), x.to_vec()));
                        }
                        assert_eq!(got, headers, "{at}");
                        let status = match get(&w, "status") {
                            Some(Value::Number(n)) => Some(n.parse::<u16>().unwrap()),
                            _ => None,
                        };
                        assert_eq!(e.status, status, "{at}");
                        assert_eq!(text(get(&w, "time")).as_deref(), e.time, "{at}");
                    }
                }
            }
            assert!(
                want.next().is_none(),
                "{}: more expected lines than lines",
                path.display()
            );
        }
        assert!(files >= 4, "{files} fixture logs in {}", dir.display());
    }
}
