//! The contract's request, borrowed from whatever the host holds.
//!
//! [`Request`] is a view of byte slices: the engine never copies a request to decide on it, and values need not
//! be UTF-8 (a PHP `$_SERVER` entry or a raw log line may not be). Hosts build one of three ways:
//! - from Rust values directly ([`Request::new`] and [`Request::header`]);
//! - from the contract's JSON ([`Request::with_json`], serde_json), used by the CLI, the tests and the JS package;
//! - from the packed one-buffer form ([`Request::from_packed`]), used by the core wasm module so that a decision
//!   is one call with one buffer, whatever the host language.
//!
//! # The packed form
//!
//! All integers are little-endian `u32`. Three length-prefixed byte strings come first — `remote_addr`, `method`,
//! `uri` — then a header count and that many `name`, `value` pairs; then, optionally, the contract's `query` and
//! `form` (contract v2): the query string as the application sees it, and a count of body parameters with that many
//! `name`, `value` pairs:
//!
//! ```text
//! u32 len, remote_addr | u32 len, method | u32 len, uri | u32 count | count × (u32 len, name, u32 len, value)
//!   [ | u32 len, query | u32 count | count × (u32 len, name, u32 len, value) ]
//! ```
//!
//! A header that appeared more than once is sent as that many pairs, in order; so is a form parameter with several
//! values (an array). An empty `uri` means `/`; an empty `query` and no form parameters are the same as the optional
//! part left out, so a host that has neither writes the first part only. Trailing bytes or a length past the end
//! make the buffer invalid.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::decision::NotARequest;

/// One request as the contract sees it: bytes as they arrived, nothing validated yet (the engine validates while
/// deciding, and malformed input is a decision, never an error).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request<'a> {
    /// The TCP peer's address as text.
    pub remote_addr: &'a [u8],
    /// The request line's method.
    pub method: &'a [u8],
    /// The request target; empty means `/`.
    pub uri: &'a [u8],
    /// In arrival order; a repeated header appears once per occurrence. Names compare case-insensitively.
    pub headers: Headers<'a>,
    /// The query string as the application sees it (PHP's `QUERY_STRING`, which a rewrite may have changed), read
    /// in addition to `uri`'s query; empty when the host does not know it.
    pub query: &'a [u8],
    /// Body parameters the application parsed (PHP's `$_POST`), `(name, value)` in order; an array parameter is
    /// one pair per value. Only the names the engine reads (`_method`, `ps_method`, `rest_route`) matter.
    pub form: Params<'a>,
}

/// Form parameters: the same list-or-packed pairs as [`Headers`] (names here are compared as PHP reads them).
pub type Params<'a> = Headers<'a>;

/// A request's headers, `(name, value)` in arrival order: a list (requests built in Rust or read from JSON), or the
/// packed form's bytes read where they lie (the core module's requests: a decision then allocates nothing for its
/// headers, which a PHP host running the module pays for statement by statement).
// An enum rather than a struct with both: a packed request is built in memory, and every word of it is stores a PHP
// host pays for on each decision (four words here, where a list beside the packed bytes made six).
#[derive(Clone)]
pub struct Headers<'a>(Pairs<'a>);

#[derive(Clone)]
enum Pairs<'a> {
    List(Vec<(&'a [u8], &'a [u8])>),
    /// Exactly `count` (u32 len, name, u32 len, value) entries, checked by [`Request::from_packed`].
    Packed {
        bytes: &'a [u8],
        count: usize,
    },
}

impl Default for Headers<'_> {
    fn default() -> Self {
        Headers(Pairs::Packed {
            bytes: &[],
            count: 0,
        })
    }
}

impl<'a> Headers<'a> {
    /// `count` pairs checked by [`Request::from_packed`], read where they lie.
    #[inline(always)]
    fn packed(bytes: &'a [u8], count: usize) -> Headers<'a> {
        Headers(Pairs::Packed { bytes, count })
    }

    /// Adds an occurrence at the end.
    pub fn push(&mut self, name: &'a [u8], value: &'a [u8]) {
        if let Pairs::Packed { .. } = self.0 {
            self.0 = Pairs::List(self.iter().collect());
        }
        if let Pairs::List(list) = &mut self.0 {
            list.push((name, value));
        }
    }

    /// How many (name, value) pairs there are.
    pub fn len(&self) -> usize {
        match &self.0 {
            Pairs::List(list) => list.len(),
            Pairs::Packed { count, .. } => *count,
        }
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The occurrences in order.
    pub fn iter(&self) -> HeaderIter<'a, '_> {
        match &self.0 {
            Pairs::List(list) => HeaderIter::List(list.iter()),
            Pairs::Packed { bytes, .. } => HeaderIter::Packed(Reader { buf: bytes, at: 0 }),
        }
    }
}

impl<'a> From<Vec<(&'a [u8], &'a [u8])>> for Headers<'a> {
    fn from(list: Vec<(&'a [u8], &'a [u8])>) -> Headers<'a> {
        Headers(Pairs::List(list))
    }
}

impl PartialEq for Headers<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers<'_> {}

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The iterator of [`Headers::iter`].
pub enum HeaderIter<'a, 'h> {
    List(core::slice::Iter<'h, (&'a [u8], &'a [u8])>),
    Packed(Reader<'a>),
}

impl<'a> Iterator for HeaderIter<'a, '_> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HeaderIter::List(it) => it.next().copied(),
            // Checked when the request was read: the entries end exactly where the bytes do.
            HeaderIter::Packed(r) => Some((r.bytes()?, r.bytes()?)),
        }
    }
}

impl<'a> Request<'a> {
    /// A request with no headers, query or form parameters (add them with the builder methods below).
    pub fn new(remote_addr: &'a [u8], method: &'a [u8], uri: &'a [u8]) -> Request<'a> {
        Request {
            remote_addr,
            method,
            uri,
            ..Request::default()
        }
    }

    /// Sets the query string as the application sees it (builder style).
    pub fn query(mut self, query: &'a [u8]) -> Request<'a> {
        self.query = query;
        self
    }

    /// Adds a body parameter (builder style); call it once per value of an array parameter.
    pub fn form_param(mut self, name: &'a [u8], value: &'a [u8]) -> Request<'a> {
        self.form.push(name, value);
        self
    }

    /// Adds a header occurrence (builder style).
    pub fn header(mut self, name: &'a [u8], value: &'a [u8]) -> Request<'a> {
        self.headers.push(name, value);
        self
    }

    /// Reads a request given as the contract's JSON text and hands it to `f` (the request borrows from the parsed
    /// text, which lives only for the call). The error says why the text is not a request.
    ///
    /// ```
    /// use sendcloud_gate::{Policy, Request};
    ///
    /// let policy = Policy::default_policy();
    /// let action = Request::with_json(br#"{"remote_addr":"203.0.113.7","method":"GET"}"#, |r| policy.decide(r).action);
    /// assert_eq!(action.unwrap().as_str(), "pass");
    /// let why = Request::with_json(br#"{"remote_addr":"203.0.113.7"}"#, |_| ()).unwrap_err();
    /// assert_eq!(why.to_string(), "not a request: method: is required");
    /// ```
    pub fn with_json<T>(json: &[u8], f: impl FnOnce(&Request<'_>) -> T) -> Result<T, NotARequest> {
        let doc = RequestDoc::read(json)?;
        Ok(f(&doc.request()))
    }

    /// Reads the packed form described in the module docs. `None` if the buffer is not exactly one request.
    #[inline(always)]
    pub fn from_packed(buf: &'a [u8]) -> Option<Request<'a>> {
        let mut r = Reader { buf, at: 0 };
        let remote_addr = r.bytes()?;
        let method = r.bytes()?;
        let uri = r.bytes()?;
        let count = r.u32()? as usize;
        let header_pairs = r.pairs(count)?;
        // Each request built in its `Some` itself, one for a buffer without the tail (nearly all) and one with it: a
        // request (or its header list) assembled first and moved into the `Some` is a copy in wasm, which a PHP host
        // pays for byte by byte.
        if r.at == buf.len() {
            return Some(Request {
                remote_addr,
                method,
                uri,
                headers: Headers::packed(header_pairs, count),
                query: b"",
                form: Headers::default(),
            });
        }
        let query = r.bytes()?;
        let form_count = r.u32()? as usize;
        let form = r.pairs(form_count)?;
        if r.at != buf.len() {
            return None;
        }
        Some(Request {
            remote_addr,
            method,
            uri,
            headers: Headers::packed(header_pairs, count),
            query,
            form: Headers::packed(form, form_count),
        })
    }

    /// Writes the packed form; `from_packed(&req.to_packed())` gives `req` back.
    pub fn to_packed(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for field in [self.remote_addr, self.method, self.uri] {
            put_bytes(&mut out, field);
        }
        put_pairs(&mut out, &self.headers);
        if !self.query.is_empty() || !self.form.is_empty() {
            put_bytes(&mut out, self.query);
            put_pairs(&mut out, &self.form);
        }
        out
    }
}

/// `(name, value)` pairs read from JSON: borrowed from the text where no escape had to be decoded.
type OwnedPairs<'de> = Vec<(Cow<'de, [u8]>, Cow<'de, [u8]>)>;

/// The contract's JSON request read with serde_json, as byte strings (a value need not be UTF-8, and a lone
/// surrogate escape is kept as its WTF-8 bytes: what they mean is the engine's business, `malformed_input` where it
/// matters). Borrowed from the text where no escape had to be decoded.
#[derive(Default)]
struct RequestDoc<'de> {
    remote_addr: Option<Cow<'de, [u8]>>,
    method: Option<Cow<'de, [u8]>>,
    uri: Option<Cow<'de, [u8]>>,
    query: Option<Cow<'de, [u8]>>,
    headers: OwnedPairs<'de>,
    form: OwnedPairs<'de>,
}

impl<'de> RequestDoc<'de> {
    fn read(json: &'de [u8]) -> Result<RequestDoc<'de>, NotARequest> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let doc = RequestDoc::deserialize(&mut de).and_then(|doc| de.end().map(|()| doc));
        doc.map_err(|e| {
            let full = alloc::string::ToString::to_string(&e);
            let at = alloc::format!(" at line {} column {}", e.line(), e.column());
            let message = full.strip_suffix(&at).unwrap_or(&full);
            if e.is_data() {
                NotARequest::because(message)
            } else {
                NotARequest::because(alloc::format!(
                    "invalid JSON at line {}, column {}: {message}",
                    e.line(),
                    e.column()
                ))
            }
        })
    }

    fn request(&self) -> Request<'_> {
        let mut r = Request {
            remote_addr: self.remote_addr.as_deref().unwrap_or_default(),
            method: self.method.as_deref().unwrap_or_default(),
            uri: self.uri.as_deref().unwrap_or_default(),
            query: self.query.as_deref().unwrap_or_default(),
            ..Request::default()
        };
        for (name, value) in &self.headers {
            r.headers.push(name, value);
        }
        for (name, value) in &self.form {
            r.form.push(name, value);
        }
        r
    }
}

impl<'de> Deserialize<'de> for RequestDoc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = RequestDoc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestDoc<'de>, A::Error> {
        let mut doc = RequestDoc::default();
        let mut seen = [false; 6];
        while let Some(key) = map.next_key::<Bytes<'de>>()? {
            let (at, field) = match &*key.0 {
                b"remote_addr" => (0, "remote_addr"),
                b"method" => (1, "method"),
                b"uri" => (2, "uri"),
                b"headers" => (3, "headers"),
                b"query" => (4, "query"),
                b"form" => (5, "form"),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if core::mem::replace(&mut seen[at], true) {
                return Err(de::Error::custom(format_args!("{field}: appears twice")));
            }
            let nullable = at >= 2;
            match at {
                0..=2 | 4 => {
                    let value = map.next_value_seed(Text { field, nullable })?;
                    *[
                        &mut doc.remote_addr,
                        &mut doc.method,
                        &mut doc.uri,
                        &mut doc.query,
                    ][if at == 4 { 3 } else { at }] = value;
                }
                _ => {
                    let into = if at == 3 {
                        &mut doc.headers
                    } else {
                        &mut doc.form
                    };
                    map.next_value_seed(PairsSeed { field, into })?;
                }
            }
        }
        if doc.remote_addr.is_none() {
            return Err(de::Error::custom("remote_addr: is required"));
        }
        if doc.method.is_none() {
            return Err(de::Error::custom("method: is required"));
        }
        Ok(doc)
    }
}

/// A byte string (a key, a header name).
struct Bytes<'de>(Cow<'de, [u8]>);

impl<'de> Deserialize<'de> for Bytes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(BytesVisitor("a string")).map(Bytes)
    }
}

struct BytesVisitor(&'static str);

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Cow<'de, [u8]>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_vec()))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v.as_bytes()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.as_bytes().to_vec()))
    }
}

/// `remote_addr`, `method` (strings), `uri`, `query` (strings or `null`, which is absent).
struct Text {
    field: &'static str,
    nullable: bool,
}

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<Cow<'de, [u8]>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<Cow<'de, [u8]>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be a string", self.field)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(None)
        } else {
            Err(E::custom(format_args!("{}: must be a string", self.field)))
        }
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let field = self.field;
        d.deserialize_bytes(BytesVisitor("a string"))
            .map_err(|_| de::Error::custom(format_args!("{field}: must be a string")))
            .map(Some)
    }
}

/// `headers` and `form`: an object whose values are strings or arrays of strings (one pair per string), or `null`.
struct PairsSeed<'a, 'de> {
    field: &'static str,
    into: &'a mut OwnedPairs<'de>,
}

impl<'de> DeserializeSeed<'de> for PairsSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let field = self.field;
        d.deserialize_option(self).map_err(|e| {
            let what = if field == "headers" {
                "header names to values"
            } else {
                "parameter names to values"
            };
            // A value's own error names it already; anything else is the whole field's.
            let text = alloc::string::ToString::to_string(&e);
            if text.starts_with(field) {
                e
            } else {
                de::Error::custom(format_args!("{field}: must be an object of {what}"))
            }
        })
    }
}

impl<'de> Visitor<'de> for PairsSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be an object", self.field)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Bytes(name)) = map.next_key()? {
            let values = map.next_value_seed(Values).map_err(|_: A::Error| {
                de::Error::custom(format_args!(
                    "{}.{}: must be a string or an array of strings",
                    self.field,
                    alloc::string::String::from_utf8_lossy(&name)
                ))
            })?;
            for v in values {
                self.into.push((name.clone(), v));
            }
        }
        Ok(())
    }
}

/// A string or an array of strings.
struct Values;

impl<'de> DeserializeSeed<'de> for Values {
    type Value = Vec<Cow<'de, [u8]>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // serde_json reads a string as bytes and hands an array to `visit_seq`.
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for Values {
    type Value = Vec<Cow<'de, [u8]>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(alloc::vec![Cow::Borrowed(v)])
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(alloc::vec![Cow::Owned(v.to_vec())])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Bytes(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(out)
    }
}

fn put_pairs(out: &mut Vec<u8>, pairs: &Headers<'_>) {
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (name, value) in pairs.iter() {
        put_bytes(out, name);
        put_bytes(out, value);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// A cursor over packed bytes (see the module docs).
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

// Inlined: as calls, each would return its Option through memory (wasm32 has no multi-value returns here), which a
// PHP host pays for at every header of every decision.
impl<'a> Reader<'a> {
    #[inline(always)]
    fn u32(&mut self) -> Option<u32> {
        let b = self.buf.get(self.at..self.at.checked_add(4)?)?;
        self.at += 4;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Checks `count` (name, value) pairs at the cursor, moves past them and returns their bytes; they are read in
    /// place later ([`Headers::iter`]): no allocation per request. (The bytes, not a [`Headers`]: a struct that comes
    /// back in an `Option` is copied once more into the request in wasm.)
    #[inline(always)]
    fn pairs(&mut self, count: usize) -> Option<&'a [u8]> {
        // Each pair needs at least 8 bytes: refuse a count the buffer cannot hold before walking it.
        if count > (self.buf.len() - self.at) / 8 {
            return None;
        }
        let start = self.at;
        for _ in 0..count {
            self.bytes()?;
            self.bytes()?;
        }
        Some(&self.buf[start..self.at])
    }

    #[inline(always)]
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let b = self.buf.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_round_trip_and_rejection() {
        let r = Request::new(b"::1", b"PATCH", b"/x")
            .header(b"User-Agent", b"a")
            .header(b"X", b"");
        let packed = r.to_packed();
        assert_eq!(Request::from_packed(&packed), Some(r.clone()));
        for cut in 0..packed.len() {
            assert_eq!(
                Request::from_packed(&packed[..cut]),
                None,
                "truncated at {cut}"
            );
        }
        // Read in place, the headers are the same list, and one added later goes after them.
        let read = Request::from_packed(&packed).unwrap();
        assert_eq!(read.headers.len(), 2);
        assert_eq!(
            read.headers.iter().collect::<Vec<_>>(),
            [(&b"User-Agent"[..], &b"a"[..]), (b"X", b"")]
        );
        assert_eq!(
            read.clone().header(b"Z", b"z"),
            r.clone().header(b"Z", b"z")
        );
        assert_ne!(read, r.clone().header(b"Z", b"z"));
        let mut extra = packed.clone();
        extra.push(0);
        assert_eq!(Request::from_packed(&extra), None);
        // A header count far beyond the buffer is refused without allocating for it.
        let mut huge = Request::new(b"", b"", b"").to_packed();
        let n = huge.len();
        huge[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Request::from_packed(&huge), None);
    }
}
