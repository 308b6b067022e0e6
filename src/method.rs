//! HTTP methods: validation as RFC 9110 tokens, and small sets of them.
//!
//! A [`Method`] is stored inline (at most 32 bytes), so deciding never allocates for it.

use alloc::vec::Vec;
use core::fmt;

/// Longest method accepted, in bytes.
pub const MAX_METHOD_LEN: usize = 32;

/// An upper-cased RFC 9110 token of 1 to 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method {
    /// Position in [`COMMON`], or [`OTHER`]: a function of the bytes, so the derived equality still holds, and what
    /// lets a [`MethodSet`] answer for the common methods with one bit test instead of comparing bytes.
    common: u8,
    len: u8,
    bytes: [u8; MAX_METHOD_LEN],
}

/// The methods nearly every request uses, already upper case and valid: parsed without per-byte work, and kept in a
/// [`MethodSet`] as bits. At most 8, the width of that mask.
const COMMON: [&[u8]; 7] = [
    b"GET", b"POST", b"HEAD", b"PUT", b"PATCH", b"DELETE", b"OPTIONS",
];
const OTHER: u8 = u8::MAX;

/// Each [`COMMON`] method, built once at compile time: parsing one is a copy, or a reference
/// ([`Method::parse_held`]). A `static`, so that a reference to one is a reference into it, not to a copy.
static COMMON_METHODS: [Method; COMMON.len()] = {
    let mut out = [Method {
        common: OTHER,
        len: 0,
        bytes: [0; MAX_METHOD_LEN],
    }; COMMON.len()];
    let mut i = 0;
    while i < COMMON.len() {
        let name = COMMON[i];
        let mut j = 0;
        while j < name.len() {
            out[i].bytes[j] = name[j];
            j += 1;
        }
        out[i].len = name.len() as u8;
        out[i].common = i as u8;
        i += 1;
    }
    out
};

/// RFC 9110 `tchar`, as a table: this runs for every byte of every method.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// The [`COMMON`] method `raw` spells exactly. Spelled as a `match` (not a search of the table) so that the compiler
/// switches on the length and compares each candidate as one integer, where a search calls `memcmp`; the test
/// `common_method_agrees_with_the_table` keeps the two in step. A reference, which a call returns as one value,
/// where an `Option<usize>` goes back through memory in wasm.
fn common_method(raw: &[u8]) -> Option<&'static Method> {
    Some(
        &COMMON_METHODS[match raw {
            b"GET" => 0,
            b"POST" => 1,
            b"HEAD" => 2,
            b"PUT" => 3,
            b"PATCH" => 4,
            b"DELETE" => 5,
            b"OPTIONS" => 6,
            _ => return None,
        }],
    )
}

fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

impl Method {
    /// Upper-cases (ASCII) and validates. `None` when empty, too long, or not a token.
    pub fn parse(raw: &[u8]) -> Option<Method> {
        if let Some(m) = common_method(raw) {
            return Some(*m);
        }
        if raw.is_empty() || raw.len() > MAX_METHOD_LEN || !raw.iter().all(|&b| is_tchar(b)) {
            return None;
        }
        let mut bytes = [0u8; MAX_METHOD_LEN];
        for (dst, src) in bytes.iter_mut().zip(raw) {
            *dst = src.to_ascii_uppercase();
        }
        // `patch` is PATCH: a lower-case spelling of a common method is that method.
        let upper = &bytes[..raw.len()];
        Some(match common_method(upper) {
            Some(m) => *m,
            None => Method {
                common: OTHER,
                len: raw.len() as u8,
                bytes,
            },
        })
    }

    /// [`parse`](Self::parse), borrowed: a common method is its static value, any other is kept in `slot`. The
    /// engine's decision path borrows methods instead of moving them (a move is a 34-byte copy in wasm).
    pub(crate) fn parse_held<'a>(raw: &[u8], slot: &'a mut Option<Method>) -> Option<&'a Method> {
        if let Some(m) = common_method(raw) {
            return Some(m);
        }
        Some(slot.insert(Method::parse(raw)?))
    }

    /// The method's bytes (ASCII token characters), without the UTF-8 check of [`as_str`](Self::as_str).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The method's bytes where they outlive `self`: the static name of a common method, or else a copy in `buf`.
    pub(crate) fn static_bytes_or_copy<'a>(&self, buf: &'a mut [u8; MAX_METHOD_LEN]) -> &'a [u8] {
        match COMMON.get(usize::from(self.common)) {
            Some(name) => name,
            None => {
                *buf = self.bytes;
                &buf[..usize::from(self.len)]
            }
        }
    }

    /// The method's text (upper-case token characters).
    pub fn as_str(&self) -> &str {
        // Only ASCII token bytes are ever stored.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Method({})", self.as_str())
    }
}

/// A small set of methods, in the order first written, without duplicates. Policies name a handful of methods,
/// so a linear scan over inline values beats hashing; the common ones are also kept as bits of `common`, which is
/// all a decision on a GET or POST looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodSet {
    methods: Vec<Method>,
    common: u8,
}

impl MethodSet {
    pub fn insert(&mut self, m: Method) {
        if !self.contains(&m) {
            self.methods.push(m);
            if m.common != OTHER {
                self.common |= 1 << m.common;
            }
        }
    }

    pub fn contains(&self, m: &Method) -> bool {
        if m.common != OTHER {
            return self.common & (1 << m.common) != 0;
        }
        self.methods.contains(m)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Method> {
        self.methods.iter()
    }
}

/// The methods in the order first given, each once (as [`MethodSet::insert`]).
impl FromIterator<Method> for MethodSet {
    fn from_iter<I: IntoIterator<Item = Method>>(methods: I) -> MethodSet {
        let mut set = MethodSet::default();
        for m in methods {
            set.insert(m);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(Method::parse(b"patch").unwrap().as_str(), "PATCH");
        assert_eq!(Method::parse(b"M-SEARCH").unwrap().as_str(), "M-SEARCH");
        assert!(Method::parse(&[b'A'; 32]).is_some());
        for bad in [
            &b""[..],
            b"GE T",
            b"GET\n",
            b"(GET)",
            b"G\xc3\x89T",
            &[b'A'; 33],
        ] {
            assert!(Method::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn sets() {
        let mut s = MethodSet::default();
        s.insert(Method::parse(b"GET").unwrap());
        s.insert(Method::parse(b"get").unwrap());
        assert_eq!(s.iter().count(), 1);
        assert!(s.contains(&Method::parse(b"GET").unwrap()));
        assert!(!s.contains(&Method::parse(b"POST").unwrap()));
        s.insert(Method::parse(b"m-search").unwrap());
        assert!(s.contains(&Method::parse(b"M-SEARCH").unwrap()));
        assert!(!s.contains(&Method::parse(b"PROPFIND").unwrap()));
        assert_eq!(s.iter().count(), 2);
    }

    #[test]
    fn common_method_agrees_with_the_table() {
        for (i, name) in COMMON.iter().enumerate() {
            let m = common_method(name).unwrap();
            assert_eq!((usize::from(m.common), m.as_bytes()), (i, *name));
        }
        assert_eq!(common_method(b"get"), None);
        assert_eq!(common_method(b"GETS"), None);
    }

    #[test]
    fn common_methods_are_the_same_values_however_spelled() {
        for name in COMMON {
            let lower = name.to_ascii_lowercase();
            let (a, b) = (Method::parse(name).unwrap(), Method::parse(&lower).unwrap());
            assert_eq!(a, b);
            assert_eq!(a.as_bytes(), name);
            let mut set = MethodSet::default();
            set.insert(b);
            assert!(set.contains(&a), "{}", a.as_str());
            for other in COMMON.iter().filter(|o| **o != name) {
                assert!(!set.contains(&Method::parse(other).unwrap()));
            }
        }
    }
}
