//! Request paths as a server sees them before routing.
//!
//! A `paths` condition compares prefixes of the *normalised* path, so that `/wp-json/../wp-admin`,
//! `/%77p-admin` and `//wp-admin` cannot slip past a rule about `/wp-admin`. Normalisation follows the contract:
//! percent-encoded unreserved characters are decoded (other escapes keep their meaning and get upper-case hex),
//! dot segments are removed (RFC 3986 §5.2.4), and runs of `/` are collapsed.
//! Broken percent-encoding and an encoded NUL make the path malformed.

use alloc::vec::Vec;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The path part of a request target: before `?` (and before `#`, which no client should send).
/// An absolute-form target (`http://host/path`) is reduced to its path.
pub fn path_of(uri: &[u8]) -> &[u8] {
    let end = uri
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(uri.len());
    let mut path = &uri[..end];
    if let Some(scheme_end) = path.windows(3).position(|w| w == b"://") {
        if path[..scheme_end]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
            && scheme_end > 0
        {
            let after = &path[scheme_end + 3..];
            path = after
                .iter()
                .position(|&b| b == b'/')
                .map_or(&b"/"[..], |i| &after[i..]);
        }
    }
    path
}

/// Normalises a path. `None` for broken percent-encoding or an encoded NUL.
pub fn normalise(path: &[u8]) -> Option<Vec<u8>> {
    let decoded = decode_unreserved(path)?;
    let without_dots = remove_dot_segments(&decoded);
    let mut out = Vec::with_capacity(without_dots.len());
    for &b in &without_dots {
        if b == b'/' && out.last() == Some(&b'/') {
            continue;
        }
        out.push(b);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    Some(out)
}

fn decode_unreserved(path: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        if path[i] != b'%' {
            out.push(path[i]);
            i += 1;
            continue;
        }
        let hi = hex(*path.get(i + 1)?)?;
        let lo = hex(*path.get(i + 2)?)?;
        let byte = hi << 4 | lo;
        if byte == 0 {
            return None;
        }
        if is_unreserved(byte) {
            out.push(byte);
        } else {
            out.extend_from_slice(&[
                b'%',
                b"0123456789ABCDEF"[usize::from(hi)],
                b"0123456789ABCDEF"[usize::from(lo)],
            ]);
        }
        i += 3;
    }
    Some(out)
}

/// RFC 3986 §5.2.4, written over segments rather than by repeated string surgery so it stays linear.
fn remove_dot_segments(input: &[u8]) -> Vec<u8> {
    let absolute = input.first() == Some(&b'/');
    let body = if absolute { &input[1..] } else { input };
    let mut segments: Vec<&[u8]> = Vec::new();
    let parts: Vec<&[u8]> = body.split(|&b| b == b'/').collect();
    let last = parts.len() - 1;
    // A trailing "." or ".." leaves a trailing slash, as the RFC's algorithm does.
    let mut trailing_slash = false;
    for (i, seg) in parts.iter().enumerate() {
        match *seg {
            b"." => trailing_slash = i == last,
            b".." => {
                segments.pop();
                trailing_slash = i == last;
            }
            s => {
                segments.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, seg) in segments.iter().enumerate() {
        if absolute || i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(seg);
    }
    if trailing_slash || (absolute && segments.is_empty()) {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(p: &str) -> Option<alloc::string::String> {
        normalise(p.as_bytes()).map(|v| alloc::string::String::from_utf8(v).unwrap())
    }

    #[test]
    fn rfc3986_examples() {
        // RFC 3986 §5.2.4's own examples.
        assert_eq!(n("/a/b/c/./../../g").as_deref(), Some("/a/g"));
        assert_eq!(n("mid/content=5/../6").as_deref(), Some("mid/6"));
    }

    #[test]
    fn normalises_like_a_server() {
        for (input, expected) in [
            ("/wp-json/wc/v3/orders", "/wp-json/wc/v3/orders"),
            ("/wp-json/../wp-admin/", "/wp-admin/"),
            ("/%2e%2e/wp-admin", "/wp-admin"),
            ("/wp%2Dadmin", "/wp-admin"),
            ("/%77p-admin", "/wp-admin"),
            ("//wp-admin///x", "/wp-admin/x"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/..", "/"),
            ("/../../x", "/x"),
            ("", "/"),
            ("/", "/"),
            ("/a%2fb", "/a%2Fb"),
            ("/a%2Fb/../c", "/c"),
            ("*", "*"),
        ] {
            assert_eq!(n(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn rejects_broken_escapes() {
        for bad in ["/%", "/%4", "/%zz", "/%00", "/a%0"] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn path_of_uri() {
        assert_eq!(path_of(b"/a/b?x=1"), b"/a/b");
        assert_eq!(path_of(b"/a#f"), b"/a");
        assert_eq!(path_of(b"https://shop.example/wp-json/x?y"), b"/wp-json/x");
        assert_eq!(path_of(b"http://shop.example"), b"/");
    }
}
