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

/// A request target split into its path and its query (everything after the first `?`). The contract's forms:
/// empty (`/`), origin form (`/path?query`), `*`, and absolute form (`http://host/path?query`, reduced to its path,
/// `/` when it has none, and query). `#` is an ordinary byte: a request target has no fragment, so `/a#b?c` is the
/// path `/a#b` and the query `c`. `None` for anything else (`wp-admin`, `?x=1`): such a target is not a request a
/// server would route, and the request is unclean.
///
/// With `note_escapes`, the one scan that finds the `?` also notes whether a `%` comes before it
/// ([`Target::escaped`]); without, `escaped` is `true` (not looked for) and the scan looks for `?` alone.
#[inline(always)]
pub fn split_target(uri: &[u8], note_escapes: bool) -> Option<Target<'_>> {
    // Origin form, what nearly every request has, inlined; the other forms apart.
    if uri.first() == Some(&b'/') {
        return Some(split_query(uri, note_escapes));
    }
    split_other_target(uri, note_escapes)
}

/// A request target, split by [`split_target`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    pub path: &'a [u8],
    pub query: &'a [u8],
    /// Whether the target may have a `%` before its query: `false` only when it has none, and then its path
    /// [`normalises`]. The one scan that finds the `?` answers that too (when asked to), so a plain path costs
    /// nothing more when a rule has a `paths` condition.
    pub escaped: bool,
}

impl<'a> Target<'a> {
    /// The target of a request that has none (or whose target is broken): no path, no query.
    pub const EMPTY: Target<'static> = Target {
        path: b"",
        query: b"",
        escaped: false,
    };
}

#[inline(always)]
fn split_query(uri: &[u8], note_escapes: bool) -> Target<'_> {
    // The first `?` or `%`: one scan over the path, which nearly never has a `%`. Or the first `?` alone.
    let at = if note_escapes {
        crate::pattern::find_either(uri, b'?', b'%')
    } else {
        crate::pattern::find_byte(uri, b'?')
    };
    match at {
        None => Target {
            path: uri,
            query: b"",
            escaped: !note_escapes,
        },
        Some(i) if uri[i] == b'?' => Target {
            path: &uri[..i],
            query: &uri[i + 1..],
            escaped: !note_escapes,
        },
        Some(i) => split_escaped(uri, i),
    }
}

/// [`split_query`] of a target with a `%` at `at`, before any `?`.
#[inline(never)]
fn split_escaped(uri: &[u8], at: usize) -> Target<'_> {
    match crate::pattern::find_byte(&uri[at..], b'?') {
        Some(i) => Target {
            path: &uri[..at + i],
            query: &uri[at + i + 1..],
            escaped: true,
        },
        None => Target {
            path: uri,
            query: b"",
            escaped: true,
        },
    }
}

// Inlined too, though rare: a result that can come from a call is built in memory on every path, which a PHP host pays
// for statement by statement (measured: 16 fewer statements per decision).
#[inline(always)]
fn split_other_target(uri: &[u8], note_escapes: bool) -> Option<Target<'_>> {
    let Target {
        path,
        query,
        escaped,
    } = split_query(uri, note_escapes);
    let target = |path| {
        Some(Target {
            path,
            query,
            escaped,
        })
    };
    match uri {
        [] => target(b"/"),
        [b'*'] => target(uri),
        _ => {
            let scheme_end = path.windows(3).position(|w| w == b"://")?;
            let scheme = &path[..scheme_end];
            let valid_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b));
            if !valid_scheme {
                return None;
            }
            let after = &path[scheme_end + 3..];
            let path = after
                .iter()
                .position(|&b| b == b'/')
                .map_or(&b"/"[..], |i| &after[i..]);
            target(path)
        }
    }
}

/// Whether [`normalise`] (and so [`candidates`]) succeeds on `path`: every `%` starts two hex digits that are not
/// `00`. Checked without building anything: a request is unclean when a candidate cannot be normalised, and that must
/// be known before any rule runs, while the candidates themselves are only built when a rule reaches its paths.
pub fn normalises(path: &[u8]) -> bool {
    if !crate::pattern::has_byte(path, b'%') {
        return true;
    }
    let mut i = 0;
    while i < path.len() {
        if path[i] == b'%' {
            match (
                path.get(i + 1).copied().and_then(hex),
                path.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) if h | l != 0 => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

/// Normalises a path: unreserved escapes decoded, dot segments removed, then runs of `/` collapsed. `None` for broken
/// percent-encoding or an encoded NUL. (Policy path prefixes are normalised this way.)
pub fn normalise(path: &[u8]) -> Option<Vec<u8>> {
    let decoded = decode_unreserved(path)?;
    Some(non_empty(collapse_slashes(&remove_dot_segments(&decoded))))
}

/// Every path a server or an application may route `path` to, normalised, without repeats, into `out`: the two
/// orders of collapsing `//` and removing dot segments (`/x//../a` is `/a` one way and `/x/a` the other), and the
/// same again with `%2F` decoded to `/` when the path has one (nginx decodes it before routing: a `/` hidden as
/// `%2F` must not climb past a prefix unseen). `false` when the path cannot be normalised (broken percent-encoding,
/// an encoded NUL); `out` then holds what was added before.
pub fn candidates(path: &[u8], decode_slashes: bool, out: &mut Vec<Vec<u8>>) -> bool {
    let Some(decoded) = decode_unreserved(path) else {
        return false;
    };
    let mut add = |p: Vec<u8>| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    let dots_first = non_empty(collapse_slashes(&remove_dot_segments(&decoded)));
    let slashes_first = non_empty(remove_dot_segments(&collapse_slashes(&decoded)));
    let encoded_slash = decode_slashes
        && decoded
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'2' && w[2] == b'F');
    add(dots_first);
    add(slashes_first);
    if encoded_slash {
        let mut plain = Vec::with_capacity(decoded.len());
        let mut i = 0;
        while i < decoded.len() {
            if decoded[i..].starts_with(b"%2F") {
                plain.push(b'/');
                i += 3;
            } else {
                plain.push(decoded[i]);
                i += 1;
            }
        }
        add(non_empty(collapse_slashes(&remove_dot_segments(&plain))));
        add(non_empty(remove_dot_segments(&collapse_slashes(&plain))));
    }
    true
}

fn collapse_slashes(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if b == b'/' && out.last() == Some(&b'/') {
            continue;
        }
        out.push(b);
    }
    out
}

fn non_empty(mut path: Vec<u8>) -> Vec<u8> {
    if path.is_empty() {
        path.push(b'/');
    }
    path
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
            assert!(!normalises(bad.as_bytes()), "{bad}");
        }
        for good in ["/", "/%41", "/%2f%2F", "/%0a", "/a%ff", ""] {
            assert!(n(good).is_some() && normalises(good.as_bytes()), "{good}");
        }
    }

    #[test]
    fn splits_targets() {
        fn split(t: &str) -> Option<(&[u8], &[u8])> {
            let target = split_target(t.as_bytes(), true)?;
            // Without noting escapes: the same split, and a `%` that may be there.
            let unnoted = split_target(t.as_bytes(), false)?;
            assert_eq!(
                (unnoted.path, unnoted.query, unnoted.escaped),
                (target.path, target.query, true),
                "{t}"
            );
            // A target without `%` before its query has a path that normalises.
            assert!(target.escaped || normalises(target.path), "{t}");
            assert_eq!(
                target.escaped,
                t.split('?').next().unwrap_or_default().contains('%'),
                "{t}"
            );
            Some((target.path, target.query))
        }
        assert_eq!(split("/a/b?x=1"), Some((&b"/a/b"[..], &b"x=1"[..])));
        assert_eq!(split("/a#f?x"), Some((&b"/a#f"[..], &b"x"[..])));
        assert_eq!(split("/a?x#f"), Some((&b"/a"[..], &b"x#f"[..])));
        assert_eq!(split(""), Some((&b"/"[..], &b""[..])));
        assert_eq!(split("*"), Some((&b"*"[..], &b""[..])));
        assert_eq!(
            split("https://shop.example/wp-json/x?y"),
            Some((&b"/wp-json/x"[..], &b"y"[..]))
        );
        assert_eq!(split("http://shop.example"), Some((&b"/"[..], &b""[..])));
        assert_eq!(
            split("http://shop.example?_method=PUT"),
            Some((&b"/"[..], &b"_method=PUT"[..]))
        );
        assert_eq!(split("/a%2fb?x%41"), Some((&b"/a%2fb"[..], &b"x%41"[..])));
        assert_eq!(split("/a%?x"), Some((&b"/a%"[..], &b"x"[..])));
        assert_eq!(split("/a?x%"), Some((&b"/a"[..], &b"x%"[..])));
        assert_eq!(split("/%"), Some((&b"/%"[..], &b""[..])));
        assert_eq!(split("http://h%41/a?x"), Some((&b"/a"[..], &b"x"[..])));
        for bad in ["wp-admin", "?x=1", "**", "1http://x/", "://x/", "#/a"] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }

    #[test]
    fn candidates_cover_both_orders_and_encoded_slashes() {
        let c = |p: &str| {
            let mut out = Vec::new();
            assert!(candidates(p.as_bytes(), true, &mut out), "{p}");
            out.into_iter()
                .map(|v| alloc::string::String::from_utf8(v).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(c("/wp-json/wc/v3/orders"), ["/wp-json/wc/v3/orders"]);
        assert_eq!(c("/x//../a"), ["/x/a", "/a"]);
        assert_eq!(
            c("/wp-json/office/..%2f..%2fwp-admin/"),
            ["/wp-json/office/..%2F..%2Fwp-admin/", "/wp-admin/"]
        );
        let mut out = Vec::new();
        assert!(!candidates(b"/a/%zz", true, &mut out));
    }
}
