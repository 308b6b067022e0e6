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
    len: u8,
    bytes: [u8; MAX_METHOD_LEN],
}

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

fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

impl Method {
    /// Upper-cases (ASCII) and validates. `None` when empty, too long, or not a token.
    pub fn parse(raw: &[u8]) -> Option<Method> {
        // Nearly every request has one of these, already upper case and valid: no per-byte work for them.
        let common = matches!(
            raw,
            b"GET" | b"POST" | b"HEAD" | b"PUT" | b"PATCH" | b"DELETE" | b"OPTIONS"
        );
        if !common
            && (raw.is_empty() || raw.len() > MAX_METHOD_LEN || !raw.iter().all(|&b| is_tchar(b)))
        {
            return None;
        }
        let mut bytes = [0u8; MAX_METHOD_LEN];
        for (dst, src) in bytes.iter_mut().zip(raw) {
            *dst = src.to_ascii_uppercase();
        }
        Some(Method {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// The method's bytes (ASCII token characters), without the UTF-8 check of [`as_str`](Self::as_str).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

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
/// so a linear scan over inline values beats hashing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodSet {
    methods: Vec<Method>,
}

impl MethodSet {
    pub fn insert(&mut self, m: Method) {
        if !self.contains(m) {
            self.methods.push(m);
        }
    }

    pub fn contains(&self, m: Method) -> bool {
        self.methods.contains(&m)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Method> {
        self.methods.iter()
    }

    pub fn len(&self) -> usize {
        self.methods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
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
        assert_eq!(s.len(), 1);
        assert!(s.contains(Method::parse(b"GET").unwrap()));
        assert!(!s.contains(Method::parse(b"POST").unwrap()));
    }
}
